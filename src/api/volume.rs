//! Cinder v3: volumes and volume types, in Cinder's bodies and Nova's
//! fault format (which Cinder shares).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{json, Map, Value};

use super::{body, errors, ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::{NewVolume, VOLUME_TYPES};
use crate::domain::{ControlError, ControlResult, Volume, AVAILABILITY_ZONE};

pub async fn handle(st: &Arc<AppState>, op: OpId, req: &Req) -> ApiResult {
    let svc = &st.service;
    let c = &req.caller;
    // The row's actions before the body or any lookup, as for networks.
    svc.authorize(c, op, None).await?;
    match op {
        OpId::CinderLimits
        | OpId::CinderQuotaShow
        | OpId::CinderQuotaDefaults
        | OpId::CinderQuotaUpdate
        | OpId::CinderQuotaDelete => super::quotas::cinder(st, op, req).await,
        OpId::CinderVolumeCreate => {
            let b = volume_body(req)?;
            body::only_keys(
                &b,
                &[
                    "size",
                    "name",
                    "description",
                    "volume_type",
                    "availability_zone",
                    "metadata",
                    "multiattach",
                    "consistencygroup_id",
                    "snapshot_id",
                    "source_volid",
                    "imageRef",
                    "backup_id",
                ],
            )?;
            for unsupported in ["snapshot_id", "source_volid", "imageRef", "backup_id"] {
                if b.get(unsupported).is_some_and(|v| !v.is_null()) {
                    return Err(ControlError::bad_request(format!(
                        "Invalid input received: volumes from {unsupported} are not supported; create an empty volume."
                    )));
                }
            }
            let size = match b.get("size") {
                Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or_default(),
                Some(Value::String(s)) => s.parse().map_err(|_| {
                    ControlError::bad_request(format!("Invalid input received: size '{s}' is not an integer."))
                })?,
                Some(v) => {
                    return Err(ControlError::bad_request(format!(
                        "Invalid input received: size {v} is not an integer."
                    )))
                }
                None => {
                    return Err(ControlError::bad_request(
                        "Invalid input received: 'size' is a required property",
                    ))
                }
            };
            let v = svc
                .create_volume(
                    c,
                    NewVolume {
                        size_gb: size,
                        name: body::opt_str(&b, "name")?.unwrap_or_default(),
                        description: body::opt_str(&b, "description")?.unwrap_or_default(),
                        volume_type: body::opt_str(&b, "volume_type")?,
                        availability_zone: body::opt_str(&b, "availability_zone")?,
                        count: 1,
                    },
                )
                .await?;
            Ok(errors::json_response(
                StatusCode::ACCEPTED,
                json!({ "volume": view(st, req, &v) }),
            ))
        }
        OpId::CinderVolumeList => {
            let detail = req.path.ends_with("/detail");
            let q = req.query_pairs();
            let want = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
            let (name, status) = (want("name"), want("status"));
            let items: Vec<Value> = svc
                .volumes(c)
                .await?
                .iter()
                .filter(|v| name.as_deref().is_none_or(|n| n == v.name))
                .filter(|v| status.as_deref().is_none_or(|s| s == status_of(v)))
                .map(|v| {
                    if detail {
                        view(st, req, v)
                    } else {
                        json!({"id": v.id, "name": v.name, "links": links(st, req, &v.id)})
                    }
                })
                .collect();
            ok(json!({ "volumes": items }))
        }
        OpId::CinderVolumeShow => {
            let v = svc.volume(c, req.param("volume_id")).await?;
            ok(json!({ "volume": view(st, req, &v) }))
        }
        OpId::CinderVolumeUpdate => {
            let b = volume_body(req)?;
            body::only_keys(
                &b,
                &["name", "description", "metadata", "display_name", "display_description"],
            )?;
            let name = body::opt_str(&b, "name")?.or(body::opt_str(&b, "display_name")?);
            let description = body::opt_str(&b, "description")?.or(body::opt_str(&b, "display_description")?);
            let v = svc.update_volume(c, req.param("volume_id"), name, description).await?;
            ok(json!({ "volume": view(st, req, &v) }))
        }
        OpId::CinderVolumeDelete => {
            svc.delete_volume(c, op, req.param("volume_id"), &req.request_id)
                .await?;
            Ok(StatusCode::ACCEPTED.into_response())
        }
        OpId::CinderVolumeExtend => {
            let mut outer = body::json_object(req)?;
            let Some(extend) = outer.remove("os-extend") else {
                let key = outer.keys().next().cloned().unwrap_or_default();
                return Err(ControlError::bad_request(format!("There is no such action: {key}")));
            };
            let new_size = extend
                .get("new_size")
                .and_then(|n| n.as_i64().or_else(|| n.as_str().and_then(|s| s.parse().ok())))
                .ok_or_else(|| {
                    ControlError::bad_request("Invalid input for field/attribute new_size: an integer is required.")
                })?;
            svc.extend_volume(c, op, req.param("volume_id"), new_size, &req.request_id)
                .await?;
            Ok(StatusCode::ACCEPTED.into_response())
        }
        OpId::CinderTypeList => {
            let types: Vec<Value> = VOLUME_TYPES
                .iter()
                .map(|t| {
                    json!({"id": t, "name": t, "description": format!("EVS disk type {t}"),
                                "is_public": true, "extra_specs": {"volume_backend_name": t}})
                })
                .collect();
            ok(json!({ "volume_types": types }))
        }
        other => Err(ControlError::internal(format!(
            "{} is not a block storage operation",
            other.name()
        ))),
    }
}

fn volume_body(req: &Req) -> ControlResult<Map<String, Value>> {
    let mut outer = body::json_object(req)?;
    match outer.remove("volume") {
        Some(Value::Object(m)) => Ok(m),
        _ => Err(ControlError::bad_request(
            "Missing required element 'volume' in request body.",
        )),
    }
}

fn ok(body: Value) -> ApiResult {
    Ok(errors::json_response(StatusCode::OK, body))
}

fn status_of(v: &Volume) -> &str {
    if v.server_id.is_some() && v.status != "creating" {
        "in-use"
    } else {
        v.status.as_str()
    }
}

fn links(st: &AppState, req: &Req, id: &str) -> Value {
    let p = &req.caller.project_id;
    json!([
        {"rel": "self", "href": format!("{}/volume/v3/{p}/volumes/{id}", st.public_url)},
        {"rel": "bookmark", "href": format!("{}/volume/{p}/volumes/{id}", st.public_url)},
    ])
}

fn view(st: &AppState, req: &Req, v: &Volume) -> Value {
    let attachments: Vec<Value> = v
        .server_id
        .iter()
        .map(|s| {
            json!({"id": v.id, "attachment_id": v.id, "volume_id": v.id, "server_id": s,
                   "device": v.device, "host_name": v.host,
                   "attached_at": v.attached_at.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())})
        })
        .collect();
    let created = v.created.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
    json!({
        "id": v.id,
        "name": v.name,
        "description": v.description,
        "status": status_of(v),
        "size": v.size_gb,
        "availability_zone": AVAILABILITY_ZONE,
        "volume_type": v.volume_type,
        "bootable": if v.bootable { "true" } else { "false" },
        "encrypted": false,
        "multiattach": false,
        "attachments": attachments,
        "metadata": {},
        "volume_image_metadata": v.image_id.as_ref().map(|i| json!({"image_id": i})),
        "snapshot_id": null,
        "source_volid": null,
        "consistencygroup_id": null,
        "replication_status": null,
        "migration_status": null,
        "user_id": req.caller.user_id,
        "os-vol-tenant-attr:tenant_id": v.project_id,
        "created_at": created,
        "updated_at": created,
        "links": links(st, req, &v.id),
    })
}
