//! A server's record without a job: `PUT cloudservers/{id}` (name,
//! description, hostname) and the metadata calls (add or change, delete one).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use super::server_view;
use crate::api::body;
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::{MetadataChange, RecordChange};
use crate::domain::ControlError;

fn bad(message: impl Into<String>) -> ControlError {
    ControlError::bad_request_code("Ecs.0005", message)
}

pub(super) async fn update(st: &Arc<AppState>, req: &Req) -> ApiResult {
    body::check_content_type(req)?;
    let outer = body::json_object(req)?;
    body::only_keys(&outer, &["server"])?;
    let Some(Value::Object(s)) = outer.get("server") else {
        return Err(bad("The server object is required."));
    };
    body::only_keys(s, &["name", "description", "hostname", "user_data", "security_options"])?;
    if s.get("user_data").is_some_and(|v| !v.is_null()) {
        return Err(bad("Changing user_data is not supported."));
    }
    // The hostname follows the name here: ecsd keeps no hostname apart.
    let name = body::opt_str(s, "name")?.or(body::opt_str(s, "hostname")?);
    let change = RecordChange {
        name,
        description: body::opt_str(s, "description")?,
        metadata: MetadataChange::Keep,
    };
    let id = req.param("server_id");
    st.service
        .change_server_record(&req.caller, OpId::HwUpdateServer, id, change)
        .await?;
    let (server, vols, ports) = st.service.read_server_view(&req.caller, OpId::HwShowServer, id).await?;
    Ok(Json(json!({ "server": server_view(st, &server, &vols, &ports) })).into_response())
}

pub(super) async fn update_metadata(st: &Arc<AppState>, req: &Req) -> ApiResult {
    body::check_content_type(req)?;
    let outer = body::json_object(req)?;
    body::only_keys(&outer, &["metadata"])?;
    let items = match outer.get("metadata") {
        Some(v) => body::string_map(v, "metadata").map_err(|e| bad(e.to_string()))?,
        None => return Err(bad("The metadata object is required.")),
    };
    let change = RecordChange {
        metadata: MetadataChange::Merge(items),
        ..RecordChange::default()
    };
    let s = st
        .service
        .change_server_record(&req.caller, OpId::HwUpdateMetadata, req.param("server_id"), change)
        .await?;
    Ok(Json(json!({ "metadata": s.metadata })).into_response())
}

pub(super) async fn delete_metadata(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let change = RecordChange {
        metadata: MetadataChange::Remove(req.param("key").to_string()),
        ..RecordChange::default()
    };
    st.service
        .change_server_record(&req.caller, OpId::HwDeleteMetadata, req.param("server_id"), change)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
