//! The Nova dialect: `/v2` and `/v2.1` servers, actions, instance actions
//! and flavors, with the server representation of each microversion.

mod action_bodies;
mod actions;
mod flavors;
mod instance_actions;
mod interfaces;
mod keypairs;
mod metadata;
mod server_body;
mod servers;
mod views;
mod volume_attachments;

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::{ApiResult, AppState, Req};
use crate::catalog::Endpoint;
use crate::domain::ControlError;

pub use views::server_view;

pub async fn handle(st: &Arc<AppState>, endpoint: Endpoint, req: &Req) -> ApiResult {
    use axum::http::Method;
    match (endpoint, &req.method) {
        (Endpoint::NovaServers, &Method::POST) => servers::create(st, req).await,
        (Endpoint::NovaServers, _) => servers::list(st, req, false).await,
        (Endpoint::NovaServersDetail, _) => servers::list(st, req, true).await,
        (Endpoint::NovaServer, &Method::DELETE) => servers::delete(st, req).await,
        (Endpoint::NovaServer, &Method::PUT) => metadata::update(st, req).await,
        (Endpoint::NovaMetadata, &Method::POST) => metadata::write(st, req, false).await,
        (Endpoint::NovaMetadata, &Method::PUT) => metadata::write(st, req, true).await,
        (Endpoint::NovaMetadata, _) => metadata::list(st, req).await,
        (Endpoint::NovaMetadataItem, &Method::PUT) => metadata::set(st, req).await,
        (Endpoint::NovaMetadataItem, &Method::DELETE) => metadata::delete(st, req).await,
        (Endpoint::NovaMetadataItem, _) => metadata::show(st, req).await,
        (Endpoint::NovaIps, _) => ips(st, req).await,
        (Endpoint::NovaKeypairs, &Method::POST) => keypairs::create(st, req).await,
        (Endpoint::NovaKeypairs, _) => keypairs::list(st, req).await,
        (Endpoint::NovaKeypair, &Method::DELETE) => keypairs::delete(st, req).await,
        (Endpoint::NovaKeypair, _) => keypairs::show(st, req).await,
        (Endpoint::NovaZones, _) => zones(st, req).await,
        (Endpoint::NovaServer, _) => servers::show(st, req).await,
        (Endpoint::NovaServerAction, _) => actions::action(st, req).await,
        (Endpoint::NovaInstanceActions, _) => instance_actions::list(st, req).await,
        (Endpoint::NovaInstanceAction, _) => instance_actions::show(st, req).await,
        (Endpoint::NovaInterfaces, &Method::POST) => interfaces::attach(st, req).await,
        (Endpoint::NovaInterfaces, _) => interfaces::list(st, req).await,
        (Endpoint::NovaInterface, &Method::DELETE) => interfaces::detach(st, req).await,
        (Endpoint::NovaInterface, _) => interfaces::show(st, req).await,
        (Endpoint::NovaFlavors, _) => flavors::list(st, req, false).await,
        (Endpoint::NovaFlavorsDetail, _) => flavors::list(st, req, true).await,
        (Endpoint::NovaFlavor, _) => flavors::show(st, req).await,
        (Endpoint::NovaLimits, _) => super::quotas::nova_limits(st, req).await,
        (Endpoint::NovaQuotaSets, _) => super::quotas::nova_quota_sets(st, req).await,
        (Endpoint::NovaVolumeAttachments, &Method::POST) => volume_attachments::attach(st, req).await,
        (Endpoint::NovaVolumeAttachments, _) => volume_attachments::list(st, req).await,
        (Endpoint::NovaVolumeAttachment, &Method::DELETE) => volume_attachments::detach(st, req).await,
        (Endpoint::NovaVolumeAttachment, _) => volume_attachments::show(st, req).await,
        (Endpoint::NovaImages, _) | (Endpoint::NovaImage, _) => {
            super::images::handle_compute_proxy(st, endpoint, req).await
        }
        _ => Err(ControlError::internal("not a Nova endpoint")),
    }
}

fn empty(status: StatusCode) -> Response {
    let mut resp = status.into_response();
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    resp
}

/// A 202 with the server body and its `Location` (create and rebuild).
fn accepted_server(st: &AppState, req: &Req, server_id: &str, body: Value) -> Response {
    let mut resp = (StatusCode::ACCEPTED, Json(body)).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!(
        "{}/{}/{}/servers/{server_id}",
        st.public_url,
        version_prefix(req),
        req.caller.project_id,
    )) {
        resp.headers_mut().insert("location", loc);
    }
    resp
}

fn secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Nova's naive timestamps (no zone, microseconds).
fn naive(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// The legacy `/v2/` routes, lenient about unknown body fields.
fn is_legacy(req: &Req) -> bool {
    req.path.starts_with("/v2/")
}

fn version_prefix(req: &Req) -> &'static str {
    if is_legacy(req) {
        "v2"
    } else {
        "v2.1"
    }
}

fn links(st: &AppState, req: &Req, kind: &str, id: &str) -> Value {
    let p = &req.caller.project_id;
    json!([
        {"rel": "self", "href": format!("{}/{}/{p}/{kind}/{id}", st.public_url, version_prefix(req))},
        {"rel": "bookmark", "href": format!("{}/{p}/{kind}/{id}", st.public_url)},
    ])
}

/// `GET /servers/{id}/ips` and `/ips/{network}`.
async fn ips(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let label = req.params.get("network_label").cloned();
    let op = if label.is_some() {
        crate::catalog::OpId::NovaShowIps
    } else {
        crate::catalog::OpId::NovaListIps
    };
    let (_, _, ports) = st
        .service
        .read_server_view(&req.caller, op, req.param("server_id"))
        .await?;
    let mut all = views::ips_view(&ports);
    match label {
        None => Ok(Json(json!({ "addresses": all })).into_response()),
        Some(l) => {
            let found = all.remove(&l).ok_or_else(|| ControlError::NotFound {
                code: "Ecs.0005",
                message: "There is no such network for the instance.".into(),
            })?;
            Ok(Json(json!({ l: found })).into_response())
        }
    }
}

/// `GET /os-availability-zone` (and `/detail`, with the zone's hosts, for
/// the administrator): the region's one zone, available.
async fn zones(st: &Arc<AppState>, req: &Req) -> ApiResult {
    use crate::catalog::OpId;
    let detail = req.path.ends_with("/detail");
    let op = if detail {
        OpId::NovaAvailabilityZonesDetail
    } else {
        OpId::NovaAvailabilityZones
    };
    st.service.authorize(&req.caller, op, None).await?;
    let hosts = if detail {
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
        let m: serde_json::Map<String, Value> = st
            .service
            .hosts()
            .iter()
            .map(|h| {
                let service = json!({"nova-compute": {"available": true, "active": true, "updated_at": now}});
                (h.name.clone(), service)
            })
            .collect();
        Value::Object(m)
    } else {
        Value::Null
    };
    Ok(Json(json!({"availabilityZoneInfo": [{
        "zoneName": crate::domain::AVAILABILITY_ZONE,
        "zoneState": {"available": true},
        "hosts": hosts,
    }]}))
    .into_response())
}
