//! Servers: list (brief and detailed), show, create and delete.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::server_body::{CreateBody, NewServer};
use super::{accepted_server, empty, links, server_view, version_prefix};
use crate::api::body::{self, fields};
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::workflows::{DeleteInput, WorkInput};
use crate::domain::{ControlError, Page, ServerFilter};

pub(super) async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let (s, vols, ports) = st
        .service
        .read_server_view(&req.caller, OpId::NovaShowServer, req.param("server_id"))
        .await?;
    Ok(Json(json!({"server": server_view(st, req, &s, &vols, &ports, false)})).into_response())
}

/// The most servers one page holds (Nova's default `max_limit`).
const MAX_PAGE: usize = 1000;

pub(super) async fn list(st: &Arc<AppState>, req: &Req, detail: bool) -> ApiResult {
    let mut filter = ServerFilter::default();
    let mut limit = MAX_PAGE;
    let mut marker = None;
    for (k, v) in req.query_pairs() {
        match k.as_str() {
            "limit" => {
                limit = v.parse().map_err(|_| {
                    ControlError::bad_request(format!(
                        "Invalid input for query parameters limit. Value: {v}. '{v}' does not match '^[0-9]*$'"
                    ))
                })?
            }
            "marker" => marker = Some(v),
            "name" => filter.name_contains = Some(v.trim_start_matches('^').trim_end_matches('$').to_string()),
            "status" => filter.statuses.push(leak_status(&v)?),
            "flavor" => filter.flavor_id = Some(v),
            "image" => filter.image_id = Some(v),
            "ip" => filter.ip_contains = Some(v),
            "tags" => filter.tags_all = v.split(',').map(str::to_string).collect(),
            "not-tags" => filter.not_tags = v.split(',').map(str::to_string).collect(),
            "changes-since" => {
                let t = DateTime::parse_from_rfc3339(&v)
                    .map_err(|_| ControlError::bad_request(format!("Invalid changes-since value {v}")))?;
                filter.changes_since = Some(t.with_timezone(&Utc));
            }
            "deleted" => filter.include_deleted = v == "true",
            _ => {}
        }
    }
    let after_seq = match &marker {
        Some(m) => Some(
            st.service
                .server_for(&req.caller, m)
                .await
                .map_err(|_| ControlError::bad_request(format!("marker [{m}] not found")))?
                .seq,
        ),
        None => None,
    };
    // Nova's max_limit: larger (or zero) limits get a full page of 1,000.
    let limit = if limit == 0 { MAX_PAGE } else { limit.min(MAX_PAGE) };
    let page = Page {
        limit,
        offset: 0,
        after_seq,
        count_total: false,
    };
    let (servers, _) = st
        .service
        .list_servers(&req.caller, OpId::NovaListServers, &filter, page)
        .await?;
    let mut items = Vec::with_capacity(servers.len());
    for s in &servers {
        if detail {
            let (vols, ports) = st.service.volumes_and_ports(&s.id).await?;
            items.push(server_view(st, req, s, &vols, &ports, true));
        } else {
            items.push(json!({"id": s.id, "name": s.name, "links": links(st, req, "servers", &s.id)}));
        }
    }
    let mut body = json!({ "servers": items });
    if servers.len() == limit && limit > 0 {
        if let Some(last) = servers.last() {
            let kind = if detail { "servers/detail" } else { "servers" };
            body["servers_links"] = json!([{
                "rel": "next",
                "href": format!("{}/{}/{}/{kind}?limit={limit}&marker={}", st.public_url, version_prefix(req), req.caller.project_id, last.id),
            }]);
        }
    }
    Ok(Json(body).into_response())
}

fn leak_status(v: &str) -> Result<&'static str, ControlError> {
    const ALL: [&str; 20] = [
        "ACTIVE",
        "BUILD",
        "DELETED",
        "ERROR",
        "HARD_REBOOT",
        "MIGRATING",
        "PASSWORD",
        "PAUSED",
        "REBOOT",
        "REBUILD",
        "RESCUE",
        "RESIZE",
        "REVERT_RESIZE",
        "SHELVED",
        "SHELVED_OFFLOADED",
        "SHUTOFF",
        "SOFT_DELETED",
        "SUSPENDED",
        "UNKNOWN",
        "VERIFY_RESIZE",
    ];
    let up = v.to_ascii_uppercase();
    ALL.iter()
        .find(|s| **s == up)
        .copied()
        .ok_or_else(|| ControlError::bad_request(format!("Invalid status value {v}")))
}

pub(super) async fn delete(st: &Arc<AppState>, req: &Req) -> ApiResult {
    st.service
        .act(
            &req.caller,
            OpId::NovaDelete,
            req.param("server_id"),
            WorkInput::Delete(DeleteInput::default()),
            &req.request_id,
        )
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub(super) async fn create(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let raw = body::json_object(req)?;
    // The image's minimum disk sizes the root volume; read it before the
    // body is turned into a create.
    let image_ref = raw
        .get("server")
        .and_then(|s| s.get("imageRef"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string();
    let min_disk = match image_ref.as_str() {
        "" => 0,
        id => st
            .service
            .visible_image(&req.caller, id)
            .await?
            .map(|i| i.min_disk_gb)
            .unwrap_or(0),
    };
    let body: CreateBody = fields(&serde_json::Value::Object(raw))?;
    let NewServer { spec, admin_pass } = body.into_new_server(req.mv, |_| min_disk)?;
    let (_, servers) = st
        .service
        .create(&req.caller, OpId::NovaCreate, spec, &req.request_id)
        .await?;
    let Some(first) = servers.first() else {
        return Err(ControlError::internal("create made no server"));
    };
    let view = json!({"server": {
        "id": first.id,
        "links": links(st, req, "servers", &first.id),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}],
        "adminPass": admin_pass,
    }});
    Ok(accepted_server(st, req, &first.id, view))
}
