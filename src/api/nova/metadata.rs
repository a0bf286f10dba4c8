//! A server's record without a workflow: `PUT /servers/{id}` (name and,
//! from 2.19, description) and the metadata calls (all of it, or one key).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use super::{empty, server_view};
use crate::api::body;
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::{MetadataChange, RecordChange};
use crate::domain::ControlError;

pub(super) async fn update(st: &Arc<AppState>, req: &Req) -> ApiResult {
    body::check_content_type(req)?;
    let outer = body::json_object(req)?;
    let s = match outer.get("server") {
        Some(v) => body::object("server", v)?,
        None => return Err(body::missing("server", &Value::Object(outer.clone()), "server")),
    };
    let mut allowed = vec!["name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"];
    if req.mv.at_least(19) {
        allowed.push("description");
    }
    body::only_keys(s, &allowed)?;
    for unsupported in ["accessIPv4", "accessIPv6"] {
        if s.get(unsupported).is_some_and(|v| !v.is_null()) {
            return Err(ControlError::bad_request(format!("{unsupported} is not supported.")));
        }
    }
    let change = RecordChange {
        name: body::opt_str(s, "name")?,
        description: body::opt_str(s, "description")?,
        metadata: MetadataChange::Keep,
    };
    let id = req.param("server_id");
    st.service
        .change_server_record(&req.caller, OpId::NovaUpdate, id, change)
        .await?;
    let (server, vols, ports) = st
        .service
        .read_server_view(&req.caller, OpId::NovaShowServer, id)
        .await?;
    Ok(Json(json!({"server": server_view(st, req, &server, &vols, &ports, false)})).into_response())
}

pub(super) async fn list(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let (s, _, _) = st
        .service
        .read_server_view(&req.caller, OpId::NovaMetadataList, req.param("server_id"))
        .await?;
    Ok(Json(json!({ "metadata": s.metadata })).into_response())
}

pub(super) async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let (s, _, _) = st
        .service
        .read_server_view(&req.caller, OpId::NovaMetadataShow, req.param("server_id"))
        .await?;
    let key = req.param("key");
    let value = s.metadata.get(key).ok_or_else(|| ControlError::NotFound {
        code: "Ecs.0005",
        message: "Metadata item was not found".into(),
    })?;
    Ok(Json(json!({ "meta": { key: value } })).into_response())
}

/// The body's `metadata` (or, for one key, `meta`) object of strings.
fn items(req: &Req, key: &str) -> Result<BTreeMap<String, String>, ControlError> {
    body::check_content_type(req)?;
    let outer = body::json_object(req)?;
    body::only_keys(&outer, &[key])?;
    match outer.get(key) {
        Some(v) => body::string_map(v, key),
        None => Err(body::missing(key, &Value::Object(outer.clone()), key)),
    }
}

/// POST merges, PUT replaces; both answer with the whole metadata.
pub(super) async fn write(st: &Arc<AppState>, req: &Req, replace: bool) -> ApiResult {
    let given = items(req, "metadata")?;
    let (op, metadata) = if replace {
        (OpId::NovaMetadataReplace, MetadataChange::Replace(given))
    } else {
        (OpId::NovaMetadataMerge, MetadataChange::Merge(given))
    };
    let change = RecordChange {
        metadata,
        ..RecordChange::default()
    };
    let s = st
        .service
        .change_server_record(&req.caller, op, req.param("server_id"), change)
        .await?;
    Ok(Json(json!({ "metadata": s.metadata })).into_response())
}

/// `PUT .../metadata/{key}` with `{"meta": {key: value}}`: that one key.
pub(super) async fn set(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let given = items(req, "meta")?;
    let key = req.param("key");
    if given.len() != 1 || !given.contains_key(key) {
        return Err(ControlError::bad_request("Request body and URI mismatch"));
    }
    let change = RecordChange {
        metadata: MetadataChange::Merge(given.clone()),
        ..RecordChange::default()
    };
    st.service
        .change_server_record(&req.caller, OpId::NovaMetadataSet, req.param("server_id"), change)
        .await?;
    Ok(Json(json!({ "meta": given })).into_response())
}

pub(super) async fn delete(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let change = RecordChange {
        metadata: MetadataChange::Remove(req.param("key").to_string()),
        ..RecordChange::default()
    };
    st.service
        .change_server_record(&req.caller, OpId::NovaMetadataDelete, req.param("server_id"), change)
        .await?;
    Ok(empty(StatusCode::NO_CONTENT).into_response())
}
