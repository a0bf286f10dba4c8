//! `POST /servers/{server_id}/action`: the body's single key (and for
//! reboot its `type`) picks the catalog row; the body, checked first, gives
//! the row's workflow input.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
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
    if key == "createImage" {
        return create_image(st, req, &value).await;
    }
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

/// `createImage`: a private image of the server's disk. 202 with the image's
/// `Location`, and from 2.45 its id in the body.
async fn create_image(st: &AppState, req: &Req, value: &Value) -> ApiResult {
    let obj = body::object("createImage", value)?;
    body::only_keys(obj, &["name", "metadata"])?;
    let name = body::req_str(obj, "createImage", "name")?;
    if name.chars().count() > 255 || name.trim().is_empty() {
        return Err(body::invalid(
            "name",
            &json!(name),
            "must be 1 to 255 characters, not only spaces",
        ));
    }
    let properties = match obj.get("metadata") {
        Some(md) if !md.is_null() => body::string_map(md, "metadata")?,
        _ => Default::default(),
    };
    let (_, image) = st
        .service
        .create_server_image(
            &req.caller,
            crate::catalog::OpId::NovaCreateImage,
            req.param("server_id"),
            crate::control::service::ServerImage {
                name,
                description: String::new(),
                properties,
            },
            &req.request_id,
        )
        .await?;
    let location = format!("{}/image/v2/images/{}", st.public_url, image.id);
    let mut resp = if req.mv.at_least(45) {
        (StatusCode::ACCEPTED, axum::Json(json!({ "image_id": image.id }))).into_response()
    } else {
        empty(StatusCode::ACCEPTED)
    };
    if let Ok(v) = axum::http::HeaderValue::from_str(&location) {
        resp.headers_mut().insert("location", v);
    }
    Ok(resp)
}
