//! Networks in two dialects over one set of records: Neutron v2.0
//! ([`neutron`]) and Huawei VPC v1 ([`vpc`]). Handlers unpack the body,
//! call the service and render; lists are filtered and paged on the
//! rendered items, as both APIs filter on their own attribute names.

mod eip;
pub mod neutron;
mod neutron_bodies;
mod neutron_views;
pub mod vpc;
mod vpc_v3;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::{body, errors, ApiResult};
use crate::domain::{ControlError, ControlResult};

/// Largest page either dialect returns.
pub const MAX_PAGE: usize = 2_000;

/// Neutron's and Huawei's timestamp form.
fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The request body's object under `key` (`{"network": {...}}`).
fn wrapped(req: &super::Req, key: &str, code: &'static str) -> ControlResult<Map<String, Value>> {
    let mut outer = body::json_object(req).map_err(|e| recode(e, code))?;
    match outer.remove(key) {
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(ControlError::bad_request_code(
            code,
            format!("Invalid input: '{key}' must be an object."),
        )),
        None => Err(ControlError::bad_request_code(
            code,
            format!("Resource body required: the body must hold '{key}'."),
        )),
    }
}

/// A bad-request error with the dialect's code in place of a generic one.
fn recode(e: ControlError, code: &'static str) -> ControlError {
    match e {
        ControlError::BadRequest { message, .. } => ControlError::BadRequest { code, message },
        other => other,
    }
}

/// Refuses attributes outside `allowed` (Neutron's "Unrecognized attribute").
fn known_keys(obj: &Map<String, Value>, allowed: &[&str], code: &'static str) -> ControlResult<()> {
    let extra: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect();
    if extra.is_empty() {
        return Ok(());
    }
    Err(ControlError::bad_request_code(
        code,
        format!("Unrecognized attribute(s) '{}'", extra.join(", ")),
    ))
}

fn text(obj: &Map<String, Value>, key: &str, code: &'static str) -> ControlResult<Option<String>> {
    body::opt_str(obj, key).map_err(|e| recode(e, code))
}

fn flag(obj: &Map<String, Value>, key: &str, code: &'static str) -> ControlResult<Option<bool>> {
    body::opt_bool(obj, key).map_err(|e| recode(e, code))
}

fn int(obj: &Map<String, Value>, key: &str, code: &'static str) -> ControlResult<Option<i64>> {
    body::opt_int(obj, key).map_err(|e| recode(e, code))
}

fn required(obj: &Map<String, Value>, key: &str, code: &'static str) -> ControlResult<String> {
    match text(obj, key, code)? {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ControlError::bad_request_code(
            code,
            format!("Invalid input: '{key}' is required and must be a non-empty string."),
        )),
    }
}

/// Keeps the items whose attributes equal every filter of the query; a
/// key given several times matches any of its values. `skip` names the
/// paging and display parameters, which are not filters.
fn filtered(items: Vec<Value>, query: &[(String, String)], skip: &[&str]) -> Vec<Value> {
    let mut filters: Vec<(&str, Vec<&str>)> = Vec::new();
    for (k, v) in query {
        if skip.contains(&k.as_str()) {
            continue;
        }
        match filters.iter_mut().find(|(key, _)| key == k) {
            Some((_, values)) => values.push(v),
            None => filters.push((k, vec![v])),
        }
    }
    items
        .into_iter()
        .filter(|item| {
            filters.iter().all(|(k, values)| {
                let got = item.get(*k);
                values.iter().any(|want| match got {
                    Some(Value::String(s)) => s == want,
                    Some(Value::Bool(b)) => want.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
                    Some(Value::Number(n)) => n.to_string() == *want,
                    Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(want)),
                    Some(Value::Null) | None => want.is_empty(),
                    Some(Value::Object(_)) => false,
                })
            })
        })
        .collect()
}

/// The page after `marker` (an item id), at most `limit` long; and
/// whether more items follow it.
fn page(items: Vec<Value>, query: &[(String, String)], code: &'static str) -> ControlResult<(Vec<Value>, bool)> {
    let get = |k: &str| query.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let limit = match get("limit") {
        None | Some("") => MAX_PAGE,
        Some(l) => match l.parse::<usize>() {
            Ok(0) => MAX_PAGE,
            Ok(n) => n.min(MAX_PAGE),
            Err(_) => {
                return Err(ControlError::bad_request_code(
                    code,
                    format!("Invalid input: limit '{l}' is not a non-negative integer."),
                ))
            }
        },
    };
    let start = match get("marker") {
        None | Some("") => 0,
        Some(m) => match items
            .iter()
            .position(|i| i.get("id").and_then(Value::as_str) == Some(m))
        {
            Some(p) => p + 1,
            None => {
                return Err(ControlError::NotFound {
                    code,
                    message: format!("Marker {m} could not be found."),
                })
            }
        },
    };
    let more = items.len() > start + limit;
    Ok((items.into_iter().skip(start).take(limit).collect(), more))
}

fn ok(body: Value) -> ApiResult {
    Ok(errors::json_response(StatusCode::OK, body))
}

fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}
