//! `POST /servers/{server_id}/action`: the body's single key (and for
//! reboot its `type`) picks the catalog row; the body, checked first, gives
//! the row's workflow input.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::action_bodies::{self, no_such_action, ActionRequest};
use super::views::rebuild_view;
use super::{accepted_server, empty};
use crate::api::body;
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::{self, Endpoint};
use crate::control::workflows::{RebuildInput, WorkInput};
use crate::domain::{ControlError, ControlResult, Server};

pub(super) async fn action(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let (key, value) = single_key(req)?;
    let request = action_bodies::parse(&key, &value, req)?;
    let row = catalog::select(Endpoint::NovaServerAction, Some(&key), &value).ok_or_else(|| no_such_action(&key))?;
    let accepted = st
        .service
        .act(
            &req.caller,
            row.id,
            req.param("server_id"),
            request.input(),
            &req.request_id,
        )
        .await?;
    match request {
        ActionRequest::Rebuild { input, admin_pass } => rebuilt(st, req, accepted.server, &input, &admin_pass).await,
        ActionRequest::Plain(WorkInput::ConfirmResize) => Ok(empty(StatusCode::NO_CONTENT)),
        ActionRequest::Plain(_) => Ok(empty(StatusCode::ACCEPTED)),
    }
}

/// The body's one key and its value; anything else is malformed.
fn single_key(req: &Req) -> ControlResult<(String, Value)> {
    body::check_content_type(req)?;
    let malformed = || ControlError::bad_request("Malformed request body");
    let parsed: Value = serde_json::from_slice(&req.body).map_err(|_| malformed())?;
    let Value::Object(obj) = parsed else {
        return Err(malformed());
    };
    if obj.len() != 1 {
        return Err(malformed());
    }
    obj.into_iter().next().ok_or_else(malformed)
}

/// The rebuild's answer: the server as the rebuild begins (REBUILD, the new
/// image, name and metadata) and its admin password.
async fn rebuilt(st: &AppState, req: &Req, mut shown: Server, params: &RebuildInput, admin_pass: &str) -> ApiResult {
    shown.image_id = params.image_id.clone();
    if let Some(n) = &params.rename {
        shown.name = n.clone();
    }
    if let Some(md) = &params.metadata {
        shown.metadata = md.clone();
    }
    let (vols, ports) = st.service.volumes_and_ports(&shown.id).await?;
    let view = rebuild_view(st, req, &shown, &vols, &ports, admin_pass);
    Ok(accepted_server(st, req, &shown.id, json!({ "server": view })))
}
