//! Images, read-only: the Glance v2 form (`/image/v2/images`) that the
//! `openstack` CLI uses for rebuild, and Nova's compute proxy (before 2.36).

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use super::{ApiResult, AppState, Req};
use crate::catalog::{Endpoint, OpId};
use crate::domain::{ControlError, Image};

const IMAGE_CREATED: &str = "2024-01-01T00:00:00Z";

fn glance_view(i: &Image) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "status": i.status,
        "visibility": i.visibility,
        "protected": false,
        "os_hidden": false,
        "min_disk": i.min_disk_gb,
        "min_ram": i.min_ram_mb,
        "disk_format": "qcow2",
        "container_format": "bare",
        "size": i.size_bytes,
        "virtual_size": null,
        "checksum": null,
        "os_hash_algo": null,
        "os_hash_value": null,
        "owner": null,
        "tags": [],
        "os_type": i.os_type.to_lowercase(),
        "__os_type": i.os_type,
        "__os_version": i.os_version,
        "__os_bit": i.os_bit,
        "__platform": i.os_version.split_whitespace().next().unwrap_or_default(),
        "architecture": i.arch,
        "created_at": IMAGE_CREATED,
        "updated_at": IMAGE_CREATED,
        "self": format!("/v2/images/{}", i.id),
        "file": format!("/v2/images/{}/file", i.id),
        "schema": "/v2/schemas/image",
    })
}

fn not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: "Ecs.0031",
        message: format!("No image found with ID {id}"),
    }
}

pub async fn handle_glance(st: &Arc<AppState>, endpoint: Endpoint, req: &Req) -> ApiResult {
    let inv = st.service.as_ref();
    match endpoint {
        Endpoint::GlanceImages => {
            st.service.authorize(&req.caller, OpId::ImageList, None).await?;
            let q = req.query_pairs();
            let name = q.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone());
            let id = q.iter().find(|(k, _)| k == "id").map(|(_, v)| v.clone());
            let items: Vec<Value> = inv
                .images()
                .iter()
                .filter(|i| name.as_deref().is_none_or(|n| n == i.name || n == i.id))
                .filter(|i| id.as_deref().is_none_or(|n| n == i.id))
                .map(glance_view)
                .collect();
            Ok(Json(json!({"images": items, "first": "/v2/images", "schema": "/v2/schemas/images"})).into_response())
        }
        _ => {
            st.service.authorize(&req.caller, OpId::ImageShow, None).await?;
            let id = req.param("image_id");
            let image = inv.image(id).ok_or_else(|| not_found(id))?;
            Ok(Json(glance_view(image)).into_response())
        }
    }
}

fn proxy_view(st: &AppState, req: &Req, i: &Image) -> Value {
    let p = &req.caller.project_id;
    json!({
        "id": i.id,
        "name": i.name,
        "status": "ACTIVE",
        "progress": 100,
        "minDisk": i.min_disk_gb,
        "minRam": i.min_ram_mb,
        "metadata": {"os_type": i.os_type, "os_version": i.os_version},
        "created": IMAGE_CREATED,
        "updated": IMAGE_CREATED,
        "OS-EXT-IMG-SIZE:size": i.size_bytes,
        "links": [
            {"rel": "self", "href": format!("{}/v2.1/{p}/images/{}", st.public_url, i.id)},
            {"rel": "bookmark", "href": format!("{}/{p}/images/{}", st.public_url, i.id)},
        ],
    })
}

/// Nova's image proxy; gone from 2.36 on, as in Nova.
pub async fn handle_compute_proxy(st: &Arc<AppState>, endpoint: Endpoint, req: &Req) -> ApiResult {
    if req.mv.at_least(36) {
        return Err(ControlError::NotFound {
            code: "Ecs.0031",
            message: "The resource could not be found.".into(),
        });
    }
    let inv = st.service.as_ref();
    match endpoint {
        Endpoint::NovaImages => {
            st.service.authorize(&req.caller, OpId::ImageList, None).await?;
            let items: Vec<Value> = inv.images().iter().map(|i| proxy_view(st, req, i)).collect();
            Ok(Json(json!({ "images": items })).into_response())
        }
        _ => {
            st.service.authorize(&req.caller, OpId::ImageShow, None).await?;
            let id = req.param("image_id");
            let image = inv.image(id).ok_or_else(|| not_found(id))?;
            Ok(Json(json!({ "image": proxy_view(st, req, image) })).into_response())
        }
    }
}
