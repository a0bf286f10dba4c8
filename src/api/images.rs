//! Images over one model: Glance v2 (`/image/v2/images`, and `/v2/images`
//! where Huawei's IMS SDK sends its Glance calls), IMS (`/v2/cloudimages`
//! list, create from a server, JSON-patch update) and Nova's compute
//! proxy (before 2.36). Glance and IMS show the same record with Huawei's
//! `__` keys beside Glance's, typed as huaweicloudsdkims reads them.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Map, Value};

use super::{body, errors, ApiResult, AppState, Req};
use crate::catalog::{Endpoint, OpId};
use crate::control::service::{image_not_found, ImagePatch, NewImage, ServerImage};
use crate::domain::{ControlError, ControlResult, Image, ImageMember};

/// When the seeded images were published (they carry no time of their own).
const SEEDED_AT: &str = "2024-01-01T00:00:00Z";

/// Most images one list page holds (Glance's `api_limit_max`).
const MAX_LIMIT: usize = 1000;

/// Glance's core attributes: a JSON patch may not name these as properties.
const READ_ONLY: &[&str] = &[
    "id",
    "status",
    "owner",
    "size",
    "virtual_size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "updated_at",
    "self",
    "file",
    "schema",
    "direct_url",
    "locations",
];

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| SEEDED_AT.to_string())
}

/// IMS's image type: `gold` for the region's public images.
fn image_type(i: &Image) -> &'static str {
    match (i.owner.is_some(), i.visibility.as_str()) {
        (false, _) => "gold",
        (true, "shared") => "shared",
        (true, "community") => "market",
        _ => "private",
    }
}

fn platform(i: &Image) -> String {
    i.os_version.split_whitespace().next().unwrap_or("Other").to_string()
}

/// One image as Glance v2 and IMS show it.
fn image_view(i: &Image) -> Value {
    let mut v = json!({
        "id": i.id,
        "name": i.name,
        "status": i.status,
        "visibility": i.visibility,
        "protected": i.protected,
        "os_hidden": false,
        "min_disk": i.min_disk_gb,
        "min_ram": i.min_ram_mb,
        "disk_format": i.disk_format,
        "container_format": i.container_format,
        "size": if i.status == "queued" { Value::Null } else { json!(i.size_bytes) },
        "virtual_size": null,
        "checksum": null,
        "os_hash_algo": null,
        "os_hash_value": null,
        "owner": i.owner.clone().unwrap_or_default(),
        "tags": i.tags,
        "os_type": i.os_type.to_lowercase(),
        "architecture": i.arch,
        "created_at": time(i.created),
        "updated_at": time(i.updated),
        "self": format!("/v2/images/{}", i.id),
        "file": format!("/v2/images/{}/file", i.id),
        "schema": "/v2/schemas/image",
        "__imagetype": image_type(i),
        "__isregistered": "true",
        "__os_type": i.os_type,
        "__os_version": i.os_version,
        "__os_bit": i.os_bit,
        "__platform": platform(i),
        "__description": i.description,
        "__image_source_type": "uds",
        "__image_size": i.size_bytes.to_string(),
        "__support_kvm": "true",
        "virtual_env_type": "FusionCompute",
        "enterprise_project_id": "0",
    });
    if let (Some(server), Value::Object(m)) = (&i.source_server, &mut v) {
        m.insert("__data_origin".into(), json!(format!("instance,{server}")));
    }
    if let Value::Object(m) = &mut v {
        for (k, val) in &i.properties {
            m.entry(k.clone()).or_insert_with(|| json!(val));
        }
    }
    v
}

fn query_of(req: &Req) -> Vec<(String, String)> {
    req.query_pairs()
}

fn one(q: &[(String, String)], key: &str) -> Option<String> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// The filters both image lists take, applied to the rendered view so any
/// attribute (Glance's or IMS's `__` keys) filters as the client names it.
fn filtered(images: &[Image], q: &[(String, String)], paging: &[&str]) -> ControlResult<Vec<Value>> {
    let mut out = Vec::new();
    for i in images {
        let view = image_view(i);
        let keep = q
            .iter()
            .filter(|(k, _)| !paging.contains(&k.as_str()))
            .all(|(k, want)| match (k.as_str(), view.get(k)) {
                ("tag", _) => i.tags.contains(want),
                (_, Some(Value::String(s))) => s == want,
                (_, Some(Value::Number(n))) => n.to_string() == *want,
                (_, Some(Value::Bool(b))) => b.to_string() == *want,
                (_, None | Some(_)) => false,
            });
        if keep {
            out.push(view);
        }
    }
    Ok(out)
}

/// `limit` and `marker` over an id-ordered list; returns the page and
/// whether more follow.
fn page(items: Vec<Value>, q: &[(String, String)]) -> ControlResult<(Vec<Value>, bool)> {
    let limit = match one(q, "limit") {
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ControlError::bad_request(format!("limit param must be an integer: {l}")))?
            .min(MAX_LIMIT),
        None => MAX_LIMIT,
    };
    let start = match one(q, "marker") {
        Some(m) => {
            items
                .iter()
                .position(|v| v["id"] == m.as_str())
                .ok_or_else(|| ControlError::bad_request(format!("marker {m} could not be found.")))?
                + 1
        }
        None => 0,
    };
    let more = items.len() > start + limit;
    Ok((items.into_iter().skip(start).take(limit).collect(), more))
}

fn member_view(m: &ImageMember) -> Value {
    json!({
        "image_id": m.image_id,
        "member_id": m.member_id,
        "status": m.status,
        "created_at": m.created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "updated_at": m.updated.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "schema": "/v2/schemas/member",
    })
}

/// Glance's members: the owner shares and unshares, the member answers.
async fn handle_members(st: &Arc<AppState>, endpoint: Endpoint, req: &Req) -> ApiResult {
    use axum::http::Method;
    let svc = &st.service;
    let c = &req.caller;
    let (image, member) = (req.param("image_id"), req.param("member_id"));
    match (endpoint, &req.method) {
        (Endpoint::GlanceMembers, &Method::POST) => {
            svc.authorize(c, OpId::GlanceMemberCreate, None).await?;
            let b = body::json_object(req)?;
            body::only_keys(&b, &["member"])?;
            let who = body::opt_str(&b, "member")?
                .ok_or_else(|| ControlError::bad_request("The member (a project id) is required."))?;
            let m = svc.add_image_member(c, OpId::GlanceMemberCreate, image, &who).await?;
            Ok(Json(member_view(&m)).into_response())
        }
        (Endpoint::GlanceMembers, _) => {
            let all = svc.image_members(c, OpId::GlanceMemberList, image).await?;
            let items: Vec<Value> = all.iter().map(member_view).collect();
            Ok(Json(json!({"members": items, "schema": "/v2/schemas/members"})).into_response())
        }
        (_, &Method::PUT) => {
            svc.authorize(c, OpId::GlanceMemberUpdate, None).await?;
            let b = body::json_object(req)?;
            body::only_keys(&b, &["status"])?;
            let status =
                body::opt_str(&b, "status")?.ok_or_else(|| ControlError::bad_request("The status is required."))?;
            let m = svc
                .set_image_member_status(c, OpId::GlanceMemberUpdate, image, member, &status)
                .await?;
            Ok(Json(member_view(&m)).into_response())
        }
        (_, &Method::DELETE) => {
            svc.remove_image_member(c, OpId::GlanceMemberDelete, image, member)
                .await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => {
            let m = svc.image_member(c, OpId::GlanceMemberShow, image, member).await?;
            Ok(Json(member_view(&m)).into_response())
        }
    }
}

pub async fn handle_glance(st: &Arc<AppState>, endpoint: Endpoint, req: &Req) -> ApiResult {
    let svc = &st.service;
    let c = &req.caller;
    use axum::http::Method;
    if matches!(endpoint, Endpoint::GlanceMembers | Endpoint::GlanceMember) {
        return handle_members(st, endpoint, req).await;
    }
    match (endpoint, &req.method) {
        (Endpoint::GlanceImages, &Method::POST) => {
            // The row's action before the body is read, as for networks.
            svc.authorize(c, OpId::GlanceCreate, None).await?;
            let new = glance_create_body(req)?;
            let image = svc.create_image_record(c, OpId::GlanceCreate, new).await?;
            Ok(errors::json_response(StatusCode::CREATED, image_view(&image)))
        }
        (Endpoint::GlanceImages, _) => {
            let images = svc.list_images(c, OpId::ImageList).await?;
            let q = query_of(req);
            // Community images are listed only when asked for (Glance).
            let visible: Vec<Image> = images
                .into_iter()
                .filter(|i| {
                    one(&q, "visibility").is_some()
                        || i.visibility != "community"
                        || i.owner.as_deref() == Some(c.project_id.as_str())
                })
                .collect();
            let items = filtered(
                &visible,
                &q,
                &["limit", "marker", "sort_key", "sort_dir", "sort", "member_status"],
            )?;
            let (items, more) = page(items, &q)?;
            let mut out = json!({"images": items, "first": "/v2/images", "schema": "/v2/schemas/images"});
            if more {
                if let Some(last) = items.last() {
                    let limit = one(&q, "limit").unwrap_or_else(|| MAX_LIMIT.to_string());
                    out["next"] = json!(format!(
                        "/v2/images?marker={}&limit={limit}",
                        last["id"].as_str().unwrap_or("")
                    ));
                }
            }
            Ok(Json(out).into_response())
        }
        (_, &Method::PATCH) => {
            svc.authorize(c, OpId::GlanceUpdate, None).await?;
            let patch = json_patch(req)?;
            let image = svc
                .update_image(c, OpId::GlanceUpdate, req.param("image_id"), patch)
                .await?;
            Ok(Json(image_view(&image)).into_response())
        }
        (_, &Method::DELETE) => {
            svc.delete_image(c, OpId::GlanceDelete, req.param("image_id")).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => {
            let image = svc.show_image(c, OpId::ImageShow, req.param("image_id")).await?;
            Ok(Json(image_view(&image)).into_response())
        }
    }
}

/// IMS's own calls: the filtered list, an image from a server (a job), and
/// the JSON-patch update (answered with the image at the top level).
pub async fn handle_ims(st: &Arc<AppState>, endpoint: Endpoint, req: &Req) -> ApiResult {
    let svc = &st.service;
    let c = &req.caller;
    match endpoint {
        Endpoint::ImsImages => {
            let images = svc.list_images(c, OpId::ImsList).await?;
            let q = query_of(req);
            let items = filtered(&images, &q, &["limit", "marker", "sort_key", "sort_dir", "page"])?;
            let (items, _) = page(items, &q)?;
            Ok(Json(json!({ "images": items })).into_response())
        }
        Endpoint::ImsCreate => {
            body::check_content_type(req)?;
            let b = body::json_object(req)?;
            body::only_keys(
                &b,
                &[
                    "name",
                    "description",
                    "instance_id",
                    "image_tags",
                    "tags",
                    "max_ram",
                    "min_ram",
                    "enterprise_project_id",
                    "data_images",
                    "os_version",
                    "image_url",
                    "min_disk",
                    "is_config",
                    "cmk_id",
                    "type",
                    "is_quick_import",
                    "architecture",
                    "volume_id",
                    "hw_firmware_type",
                ],
            )?;
            let name = body::opt_str(&b, "name")?
                .ok_or_else(|| ControlError::bad_request_code("IMG.0001", "The name is required."))?;
            let Some(server_id) = body::opt_str(&b, "instance_id")? else {
                return Err(ControlError::bad_request_code(
                    "IMG.0001",
                    "Only images from a server (instance_id) are supported; image_url and volume_id are not.",
                ));
            };
            if b.get("data_images").is_some_and(|d| !d.is_null() && d != &json!([])) {
                return Err(ControlError::bad_request_code(
                    "IMG.0001",
                    "Full-ECS images with data disks (data_images) are not supported.",
                ));
            }
            let mut properties = BTreeMap::new();
            if let Some(Value::Array(tags)) = b.get("image_tags") {
                for t in tags {
                    if let (Some(k), Some(v)) = (
                        t.get("key").and_then(Value::as_str),
                        t.get("value").and_then(Value::as_str),
                    ) {
                        properties.insert(format!("tag:{k}"), v.to_string());
                    }
                }
            }
            let description = body::opt_str(&b, "description")?.unwrap_or_default();
            let (job_id, _) = svc
                .create_server_image(
                    c,
                    OpId::ImsCreateFromServer,
                    &server_id,
                    ServerImage {
                        name,
                        description,
                        properties,
                    },
                    &req.request_id,
                )
                .await?;
            Ok(errors::json_response(StatusCode::OK, json!({ "job_id": job_id })))
        }
        _ => {
            svc.authorize(c, OpId::ImsUpdate, None).await?;
            let patch = json_patch(req)?;
            let image = svc
                .update_image(c, OpId::ImsUpdate, req.param("image_id"), patch)
                .await?;
            Ok(Json(image_view(&image)).into_response())
        }
    }
}

fn glance_create_body(req: &Req) -> ControlResult<NewImage> {
    let b = body::json_object(req)?;
    let mut new = NewImage::default();
    for (k, v) in &b {
        match k.as_str() {
            "id" => new.id = body::opt_str(&b, "id")?,
            "name" => new.name = body::opt_str(&b, "name")?.unwrap_or_default(),
            "visibility" => new.visibility = body::opt_str(&b, "visibility")?,
            "disk_format" => new.disk_format = body::opt_str(&b, "disk_format")?,
            "container_format" => new.container_format = body::opt_str(&b, "container_format")?,
            "min_disk" => new.min_disk_gb = body::opt_int(&b, "min_disk")?.unwrap_or(0),
            "min_ram" => new.min_ram_mb = body::opt_int(&b, "min_ram")?.unwrap_or(0),
            "protected" => new.protected = body::opt_bool(&b, "protected")?.unwrap_or(false),
            "tags" => new.tags = string_list("tags", v)?,
            "os_hidden" => {}
            k if READ_ONLY.contains(&k) => {
                return Err(ControlError::Forbidden {
                    missing: vec![format!("Attribute '{k}' is read-only.")],
                })
            }
            k => {
                new.properties.insert(k.to_string(), property_text(k, v)?);
            }
        }
    }
    Ok(new)
}

fn string_list(key: &str, v: &Value) -> ControlResult<Vec<String>> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|t| {
                t.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ControlError::bad_request(format!("Invalid {key}: every item must be a string.")))
            })
            .collect(),
        _ => Err(ControlError::bad_request(format!(
            "Invalid {key}: a list of strings is required."
        ))),
    }
}

/// A property's value as text (Glance keeps extra properties as strings).
fn property_text(key: &str, v: &Value) -> ControlResult<String> {
    match v {
        Value::String(s) if s.len() <= 255 => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(ControlError::bad_request(format!(
            "Invalid value for property {key}: a string of at most 255 characters is required."
        ))),
    }
}

/// A Glance (or IMS) JSON patch read into the fields it changes. Paths are
/// `/name`-style; `add` and `replace` set, `remove` drops a property.
fn json_patch(req: &Req) -> ControlResult<ImagePatch> {
    let ops: Value = serde_json::from_slice(&req.body)
        .map_err(|e| ControlError::bad_request(format!("Malformed JSON patch: {e}")))?;
    let Value::Array(ops) = ops else {
        return Err(ControlError::bad_request(
            "A JSON patch must be a list of operations (application/openstack-images-v2.1-json-patch).",
        ));
    };
    if ops.len() > 100 {
        return Err(ControlError::bad_request(
            "A JSON patch may hold at most 100 operations.",
        ));
    }
    let mut patch = ImagePatch::default();
    for op in &ops {
        let o: &Map<String, Value> = op
            .as_object()
            .ok_or_else(|| ControlError::bad_request("Each JSON patch operation must be an object."))?;
        let kind = o.get("op").and_then(Value::as_str).unwrap_or_default();
        let path = o
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| ControlError::bad_request("Each JSON patch operation needs a path."))?;
        let key = path
            .strip_prefix('/')
            .filter(|k| !k.is_empty() && !k.contains('/'))
            .ok_or_else(|| ControlError::bad_request(format!("Invalid JSON pointer for this resource: '{path}'")))?;
        if READ_ONLY.contains(&key) {
            return Err(ControlError::Forbidden {
                missing: vec![format!("Attribute '{key}' is read-only.")],
            });
        }
        let value = o.get("value").cloned().unwrap_or(Value::Null);
        match kind {
            "add" | "replace" => set_field(&mut patch, key, &value)?,
            "remove" => match key {
                "name" | "visibility" | "min_disk" | "min_ram" | "protected" | "disk_format" | "container_format" => {
                    return Err(ControlError::Forbidden {
                        missing: vec![format!("Attribute '{key}' cannot be removed.")],
                    })
                }
                "tags" => patch.tags = Some(Vec::new()),
                "__description" | "description" => patch.description = Some(String::new()),
                k => patch.remove_properties.push(k.to_string()),
            },
            other => {
                return Err(ControlError::bad_request(format!(
                    "Invalid operation: `{other}`: must be add, replace or remove."
                )))
            }
        }
    }
    Ok(patch)
}

fn set_field(patch: &mut ImagePatch, key: &str, value: &Value) -> ControlResult<()> {
    let text = |v: &Value| -> ControlResult<String> { property_text(key, v) };
    let int = |v: &Value| -> ControlResult<i64> {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| ControlError::bad_request(format!("Invalid value for {key}: an integer is required.")))
    };
    match key {
        "name" => patch.name = Some(text(value)?),
        "__description" | "description" => patch.description = Some(text(value)?),
        "visibility" => patch.visibility = Some(text(value)?),
        "disk_format" => patch.disk_format = Some(text(value)?),
        "container_format" => patch.container_format = Some(text(value)?),
        "min_disk" => patch.min_disk_gb = Some(int(value)?),
        "min_ram" => patch.min_ram_mb = Some(int(value)?),
        "protected" => {
            patch.protected = Some(match value {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" || s == "false" => s == "true",
                _ => {
                    return Err(ControlError::bad_request(
                        "Invalid value for protected: a boolean is required.",
                    ))
                }
            })
        }
        "tags" => patch.tags = Some(string_list("tags", value)?),
        k => {
            patch.set_properties.insert(k.to_string(), text(value)?);
        }
    }
    Ok(())
}

fn proxy_view(st: &AppState, req: &Req, i: &Image) -> Value {
    let p = &req.caller.project_id;
    let status = match i.status.as_str() {
        "active" => "ACTIVE",
        "queued" | "saving" | "importing" => "SAVING",
        "deleted" | "pending_delete" => "DELETED",
        _ => "ERROR",
    };
    let mut metadata: Map<String, Value> = i.properties.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    metadata.insert("os_type".into(), json!(i.os_type));
    metadata.insert("os_version".into(), json!(i.os_version));
    let mut v = json!({
        "id": i.id,
        "name": i.name,
        "status": status,
        "progress": if status == "ACTIVE" { 100 } else { 25 },
        "minDisk": i.min_disk_gb,
        "minRam": i.min_ram_mb,
        "metadata": metadata,
        "created": time(i.created),
        "updated": time(i.updated),
        "OS-EXT-IMG-SIZE:size": i.size_bytes,
        "links": [
            {"rel": "self", "href": format!("{}/v2.1/{p}/images/{}", st.public_url, i.id)},
            {"rel": "bookmark", "href": format!("{}/{p}/images/{}", st.public_url, i.id)},
        ],
    });
    if let Some(server) = &i.source_server {
        v["server"] = json!({"id": server});
    }
    v
}

/// Nova's image proxy; gone from 2.36 on, as in Nova.
pub async fn handle_compute_proxy(st: &Arc<AppState>, endpoint: Endpoint, req: &Req) -> ApiResult {
    if req.mv.at_least(36) {
        return Err(ControlError::NotFound {
            code: "Ecs.0031",
            message: "The resource could not be found.".into(),
        });
    }
    match endpoint {
        Endpoint::NovaImages => {
            let images = st.service.list_images(&req.caller, OpId::ImageList).await?;
            let items: Vec<Value> = images.iter().map(|i| proxy_view(st, req, i)).collect();
            Ok(Json(json!({ "images": items })).into_response())
        }
        _ => {
            let id = req.param("image_id");
            let image = st
                .service
                .show_image(&req.caller, OpId::ImageShow, id)
                .await
                .map_err(|e| match e {
                    ControlError::NotFound { .. } => image_not_found(id),
                    other => other,
                })?;
            Ok(Json(json!({ "image": proxy_view(st, req, &image) })).into_response())
        }
    }
}
