//! `os-volume_attachments`: a server's volumes as Nova shows them, and
//! attaching and detaching them.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use super::empty;
use crate::api::{body, ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::AttachSpec;
use crate::domain::{ControlError, Volume};

/// One attachment in the shape of the request's microversion: `id` until
/// 2.89, `tag` from 2.70, `delete_on_termination` from 2.79, the
/// attachment and block-device ids from 2.89.
fn attachment(v: &Volume, server_id: &str, req: &Req) -> Value {
    let mut a = json!({
        "serverId": server_id,
        "volumeId": v.id,
        "device": v.device,
    });
    if !req.mv.at_least(89) {
        a["id"] = json!(v.id);
    }
    if req.mv.at_least(70) {
        a["tag"] = Value::Null;
    }
    if req.mv.at_least(79) {
        a["delete_on_termination"] = json!(v.delete_on_termination);
    }
    if req.mv.at_least(89) {
        // One attachment per volume: the volume id names it too.
        a["attachment_id"] = json!(v.id);
        a["bdm_uuid"] = json!(v.id);
    }
    a
}

pub(super) async fn list(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let server_id = req.param("server_id");
    let (_, volumes, _) = st
        .service
        .read_server_view(&req.caller, OpId::NovaListVolumeAttachments, server_id)
        .await?;
    let q = req.query_pairs();
    let number = |k: &str| -> Result<Option<usize>, ControlError> {
        match q.iter().find(|(key, _)| key == k) {
            None => Ok(None),
            Some((_, v)) => v.parse().map(Some).map_err(|_| {
                ControlError::bad_request(format!(
                    "Invalid input for query parameters {k}. Value: {v}. '{v}' does not match '^[0-9]*$'"
                ))
            }),
        }
    };
    let (limit, offset) = (number("limit")?, number("offset")?.unwrap_or(0));
    let items: Vec<Value> = volumes
        .iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .map(|v| attachment(v, server_id, req))
        .collect();
    Ok(Json(json!({ "volumeAttachments": items })).into_response())
}

pub(super) async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let server_id = req.param("server_id");
    let v = st
        .service
        .server_volume(
            &req.caller,
            OpId::NovaShowVolumeAttachment,
            server_id,
            req.param("volume_id"),
        )
        .await?;
    Ok(Json(json!({ "volumeAttachment": attachment(&v, server_id, req) })).into_response())
}

pub(super) async fn attach(st: &Arc<AppState>, req: &Req) -> ApiResult {
    body::check_content_type(req)?;
    let outer = body::json_object(req)?;
    let whole = Value::Object(outer.clone());
    let a = match outer.get("volumeAttachment") {
        Some(v) => body::object("volumeAttachment", v)?,
        None => return Err(body::missing("volumeAttachment", &whole, "volumeAttachment")),
    };
    let mut allowed = vec!["volumeId", "device"];
    if req.mv.at_least(49) {
        allowed.push("tag");
    }
    if req.mv.at_least(79) {
        allowed.push("delete_on_termination");
    }
    body::only_keys(a, &allowed)?;
    let volume_id = body::req_str(a, "volumeAttachment", "volumeId")?;
    if !crate::domain::is_uuid(&volume_id) {
        return Err(body::invalid(
            "volumeId",
            &json!(volume_id),
            &format!("'{volume_id}' is not a 'uuid'"),
        ));
    }
    let spec = AttachSpec {
        volume_id,
        device: body::opt_str(a, "device")?,
        delete_on_termination: body::opt_bool(a, "delete_on_termination")?.unwrap_or(false),
        dry_run: false,
    };
    let server_id = req.param("server_id");
    let done = st
        .service
        .attach_volume(&req.caller, OpId::NovaAttachVolume, server_id, spec, &req.request_id)
        .await?;
    Ok(Json(json!({ "volumeAttachment": attachment(&done.volume, server_id, req) })).into_response())
}

pub(super) async fn detach(st: &Arc<AppState>, req: &Req) -> ApiResult {
    st.service
        .detach_volume(
            &req.caller,
            OpId::NovaDetachVolume,
            req.param("server_id"),
            req.param("volume_id"),
            &req.request_id,
        )
        .await?;
    Ok(empty(StatusCode::ACCEPTED))
}
