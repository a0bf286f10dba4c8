//! `os-keypairs`: the caller's key pairs, in the shapes of the request's
//! microversion (`type` from 2.2, 201 and 204 from 2.2, generated keys
//! refused from 2.92, paging from 2.35).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use super::empty;
use crate::api::body;
use crate::api::{errors, ApiResult, AppState, Req};
use crate::control::service::NewKeyPair;
use crate::domain::{ControlError, KeyPair};

fn summary(k: &KeyPair, req: &Req) -> Value {
    let mut v = json!({"name": k.name, "public_key": k.public_key, "fingerprint": k.fingerprint});
    if req.mv.at_least(2) {
        v["type"] = json!(k.key_type);
    }
    v
}

pub(super) async fn create(st: &Arc<AppState>, req: &Req) -> ApiResult {
    body::check_content_type(req)?;
    let outer = body::json_object(req)?;
    let k = match outer.get("keypair") {
        Some(v) => body::object("keypair", v)?,
        None => return Err(body::missing("keypair", &Value::Object(outer.clone()), "keypair")),
    };
    let mut allowed = vec!["name", "public_key"];
    if req.mv.at_least(2) {
        allowed.push("type");
    }
    body::only_keys(k, &allowed)?;
    let name = body::req_str(k, "keypair", "name")?;
    let public_key = body::opt_str(k, "public_key")?;
    if public_key.is_none() && req.mv.at_least(92) {
        return Err(body::missing("keypair", &Value::Object(k.clone()), "public_key"));
    }
    let made = st
        .service
        .create_keypair(
            &req.caller,
            NewKeyPair {
                name,
                key_type: body::opt_str(k, "type")?,
                public_key,
            },
        )
        .await?;
    let mut v = summary(&made.keypair, req);
    v["user_id"] = json!(made.keypair.user_id);
    if let Some(private) = made.private_key {
        v["private_key"] = json!(private);
    }
    let status = if req.mv.at_least(2) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(errors::json_response(status, json!({ "keypair": v })))
}

pub(super) async fn list(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let all = st.service.keypairs(&req.caller).await?;
    let q = req.query_pairs();
    let want = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let limit = match want("limit") {
        Some(l) if req.mv.at_least(35) => Some(l.parse::<usize>().map_err(|_| {
            ControlError::bad_request(format!("Invalid input for query parameters limit. Value: {l}."))
        })?),
        _ => None,
    };
    let start = match want("marker").filter(|_| req.mv.at_least(35)) {
        Some(m) => all
            .iter()
            .position(|k| k.name == m)
            .map(|i| i + 1)
            .ok_or_else(|| ControlError::bad_request(format!("marker [{m}] not found")))?,
        None => 0,
    };
    let page: Vec<&KeyPair> = all.iter().skip(start).take(limit.unwrap_or(usize::MAX)).collect();
    let items: Vec<Value> = page.iter().map(|k| json!({"keypair": summary(k, req)})).collect();
    let mut out = json!({ "keypairs": items });
    if let (Some(l), Some(last)) = (limit, page.last()) {
        if start + l < all.len() {
            out["keypairs_links"] = json!([{"rel": "next", "href": format!(
                "{}/v2.1/os-keypairs?limit={l}&marker={}", st.public_url, last.name)}]);
        }
    }
    Ok(Json(out).into_response())
}

pub(super) async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let k = st.service.keypair(&req.caller, req.param("keypair_name")).await?;
    let mut v = summary(&k, req);
    v["user_id"] = json!(k.user_id);
    v["created_at"] = json!(k.created.format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
    v["updated_at"] = Value::Null;
    v["deleted"] = json!(false);
    v["deleted_at"] = Value::Null;
    v["id"] = json!(0);
    Ok(Json(json!({ "keypair": v })).into_response())
}

pub(super) async fn delete(st: &Arc<AppState>, req: &Req) -> ApiResult {
    st.service
        .delete_keypair(&req.caller, req.param("keypair_name"))
        .await?;
    Ok(empty(if req.mv.at_least(2) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    }))
}
