//! Operator and IAM-insight endpoints under `/ecsd/v1`:
//! - `GET/POST/DELETE /ecsd/v1/faults`: fault injection for the simulated driver
//!   (account administrators);
//! - `POST /ecsd/v1/iam/explain`: the decision per action with the statements that
//!   matched (account administrators, and any user about themselves);
//! - `GET /ecsd/v1/audit`: the audit trail with filters and paging (administrators);
//! - `GET /ecsd/v1/iam/suggest`: the least-privilege policy for a user's recorded
//!   requests (administrators, and any user about themselves).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::auth::ScopeNeed;
use super::body::parse_query;
use super::errors::{self, Dialect};
use super::{new_request_id, pipeline, AppState};
use crate::domain::AuditFilter;
use crate::domain::{Caller, ControlError};
use crate::driver::faults::FaultRule;

/// The authenticated caller, body and query of an operator request.
async fn caller_of(st: &Arc<AppState>, req: Request) -> Result<(Caller, axum::body::Bytes, String), Response> {
    let request_id = new_request_id();
    let req = pipeline::accept(
        st,
        Dialect::Keystone,
        ScopeNeed::AccountOrProject,
        Default::default(),
        req,
        &request_id,
    )
    .await?;
    Ok((req.caller, req.body, req.query))
}

fn forbidden(action: &str) -> Response {
    errors::keystone(&ControlError::Forbidden {
        missing: vec![action.to_string()],
    })
}

fn sim_missing() -> Response {
    errors::keystone_status(StatusCode::NOT_FOUND, "Fault injection needs the simulated driver.")
}

pub(super) async fn faults(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let method = req.method().clone();
    let (caller, body, _) = match caller_of(&st, req).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !caller.is_admin {
        return forbidden("ecsd:faults:manage");
    }
    let Some(faults) = st.service.faults() else {
        return sim_missing();
    };
    match method.as_str() {
        "GET" => Json(json!({ "faults": faults.faults() })).into_response(),
        "DELETE" => {
            faults.clear_faults();
            StatusCode::NO_CONTENT.into_response()
        }
        _ => match serde_json::from_slice::<FaultRule>(&body) {
            Ok(rule) => {
                faults.add_fault(rule.clone());
                (StatusCode::CREATED, Json(json!({ "fault": rule }))).into_response()
            }
            Err(e) => errors::keystone_status(StatusCode::BAD_REQUEST, &format!("Invalid fault rule: {e}")),
        },
    }
}

pub(super) async fn explain(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let (caller, body, _) = match caller_of(&st, req).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let ask: crate::control::explain::ExplainRequest = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => return errors::keystone_status(StatusCode::BAD_REQUEST, &format!("Invalid explain request: {e}")),
    };
    // Anyone may ask about themselves; only administrators about others.
    let about_self = ask.user == caller.user_id
        || (ask.user == caller.user_name
            && ask
                .domain
                .as_deref()
                .is_none_or(|d| d == caller.domain_id || d == caller.domain_name));
    if !about_self && !caller.is_admin {
        return forbidden("iam:permissions:explain");
    }
    match st.insight.explain(&ask, &caller.domain_id).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => errors::keystone(&e),
    }
}

fn time_param(q: &[(String, String)], key: &str) -> Result<Option<DateTime<Utc>>, Response> {
    match q.iter().find(|(k, _)| k == key) {
        None => Ok(None),
        Some((_, v)) => DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| errors::keystone_status(StatusCode::BAD_REQUEST, &format!("{key} must be an RFC 3339 time"))),
    }
}

pub(super) async fn audit(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let (caller, _, query) = match caller_of(&st, req).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !caller.is_admin {
        return forbidden("ecsd:audit:list");
    }
    let q = parse_query(&query);
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let limit = match get("limit").map(|l| l.parse::<usize>()) {
        None => 100,
        Some(Ok(l)) if (1..=1000).contains(&l) => l,
        Some(_) => return errors::keystone_status(StatusCode::BAD_REQUEST, "limit must be 1 to 1000"),
    };
    let before_seq = match get("marker").map(|m| m.parse::<i64>()) {
        None => None,
        Some(Ok(m)) => Some(m),
        Some(Err(_)) => return errors::keystone_status(StatusCode::BAD_REQUEST, "marker must be a record seq"),
    };
    let (since, until) = match (time_param(&q, "since"), time_param(&q, "until")) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let filter = AuditFilter {
        domain_id: Some(caller.domain_id.clone()),
        user_id: get("user_id"),
        project_id: get("project_id"),
        operation: get("operation"),
        decision: get("decision"),
        since,
        until,
        before_seq,
        limit,
    };
    match st.insight.audit(&filter).await {
        Ok(records) => {
            let next = (records.len() == limit)
                .then(|| records.last().map(|r| r.seq))
                .flatten();
            Json(json!({"records": records, "next_marker": next})).into_response()
        }
        Err(e) => errors::keystone(&e),
    }
}

pub(super) async fn suggest(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let (caller, _, query) = match caller_of(&st, req).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = parse_query(&query);
    let user = q
        .iter()
        .find(|(k, _)| k == "user_id")
        .map(|(_, v)| v.clone())
        .unwrap_or(caller.user_id.clone());
    if user != caller.user_id && !caller.is_admin {
        return forbidden("iam:permissions:suggest");
    }
    let (since, until) = match (time_param(&q, "since"), time_param(&q, "until")) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    match st.insight.suggest(&caller.domain_id, &user, since, until).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => errors::keystone(&e),
    }
}
