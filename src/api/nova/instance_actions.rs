//! A server's instance actions: the list (paged from 2.58) and one action
//! with its events.

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use super::views::action_view;
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::domain::ControlError;

pub(super) async fn list(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let mut actions = st
        .service
        .instance_actions(&req.caller, OpId::NovaListInstanceActions, req.param("server_id"))
        .await?;
    if req.mv.at_least(58) {
        let q = req.query_pairs();
        if let Some((_, m)) = q.iter().find(|(k, _)| k == "marker") {
            let pos = actions
                .iter()
                .position(|a| &a.request_id == m)
                .ok_or_else(|| ControlError::bad_request(format!("Marker {m} could not be found.")))?;
            actions.drain(..=pos);
        }
        if let Some((_, l)) = q.iter().find(|(k, _)| k == "limit") {
            let n: usize = l
                .parse()
                .map_err(|_| ControlError::bad_request("limit must be an integer"))?;
            actions.truncate(n);
        }
    }
    let items: Vec<Value> = actions.iter().map(|a| action_view(req, a, false)).collect();
    Ok(Json(json!({ "instanceActions": items })).into_response())
}

pub(super) async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let a = st
        .service
        .instance_action(
            &req.caller,
            OpId::NovaShowInstanceAction,
            req.param("server_id"),
            req.param("request_id"),
        )
        .await?;
    // Owners see events from 2.51 (Nova's default policy for non-admins).
    Ok(Json(json!({ "instanceAction": action_view(req, &a, req.mv.at_least(51)) })).into_response())
}
