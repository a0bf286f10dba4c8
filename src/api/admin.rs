//! Operator endpoints under `/ecsd/v1`: fault injection for the simulated
//! driver. Only account administrators may call them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::{errors, AppState};
use crate::domain::ControlError;
use crate::driver::sim::FaultRule;

async fn admin_only(st: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers.get("x-auth-token").and_then(|v| v.to_str().ok());
    let Some(token) = token else {
        return Err(super::auth::keystone_unauthorized(st));
    };
    match st.identity.validate(token).await {
        Ok(info) if info.user.account_admin => Ok(()),
        Ok(_) => Err(errors::keystone(&ControlError::Forbidden {
            missing: vec!["ecsd:faults:manage".into()],
        })),
        Err(_) => Err(super::auth::keystone_unauthorized(st)),
    }
}

fn sim_missing() -> Response {
    errors::keystone_status(StatusCode::NOT_FOUND, "Fault injection needs the simulated driver.")
}

async fn list(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(r) = admin_only(&st, &headers).await {
        return r;
    }
    match &st.sim {
        Some(sim) => Json(json!({ "faults": sim.faults() })).into_response(),
        None => sim_missing(),
    }
}

async fn add(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = admin_only(&st, &headers).await {
        return r;
    }
    let Some(sim) = &st.sim else { return sim_missing() };
    match serde_json::from_slice::<FaultRule>(&body) {
        Ok(rule) => {
            sim.add_fault(rule.clone());
            (StatusCode::CREATED, Json(json!({ "fault": rule }))).into_response()
        }
        Err(e) => errors::keystone_status(StatusCode::BAD_REQUEST, &format!("Invalid fault rule: {e}")),
    }
}

async fn clear(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(r) = admin_only(&st, &headers).await {
        return r;
    }
    let Some(sim) = &st.sim else { return sim_missing() };
    sim.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/ecsd/v1/faults", get(list).post(add).delete(clear))
}
