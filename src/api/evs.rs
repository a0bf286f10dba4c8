//! Huawei EVS: disks at `/v2/{project_id}/cloudvolumes` (create and
//! expand also at `/v2.1`), in the shapes huaweicloudsdkevs reads. Create,
//! expand and delete answer with a job, served by the ECS job query at
//! `/v1/{project_id}/jobs/{job_id}`; errors are in ECS's format.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Map, Value};

use super::{body, errors, ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::NewVolume;
use crate::domain::{ControlError, ControlResult, Volume, AVAILABILITY_ZONE};

/// Most disks one list page holds (EVS's `limit` maximum).
const MAX_LIMIT: usize = 1000;

fn bad(message: impl Into<String>) -> ControlError {
    ControlError::bad_request_code("EVS.2002", message)
}

pub async fn handle(st: &Arc<AppState>, op: OpId, req: &Req) -> ApiResult {
    let svc = &st.service;
    let c = &req.caller;
    // The row's actions before the body or any lookup, as for networks.
    svc.authorize(c, op, None).await?;
    match op {
        OpId::EvsQuotas => super::quotas::cinder(st, op, req).await,
        OpId::EvsCreate => {
            body::check_content_type(req)?;
            let outer = body::json_object(req)?;
            body::only_keys(
                &outer,
                &["volume", "bssParam", "server_id", "OS-SCH-HNT:scheduler_hints"],
            )?;
            if outer.get("server_id").is_some_and(|v| !v.is_null()) {
                return Err(bad(
                    "Creating a disk attached to a server is not supported; attach it through ECS.",
                ));
            }
            if let Some(bss) = body::opt_obj(&outer, "bssParam")? {
                if bss
                    .get("chargingMode")
                    .and_then(Value::as_str)
                    .is_some_and(|m| m != "postPaid")
                {
                    return Err(bad("Only pay-per-use (postPaid) disks are supported."));
                }
            }
            let v = volume_object(&outer)?;
            body::only_keys(
                v,
                &[
                    "availability_zone",
                    "backup_id",
                    "count",
                    "description",
                    "enterprise_project_id",
                    "imageRef",
                    "metadata",
                    "multiattach",
                    "name",
                    "size",
                    "snapshot_id",
                    "volume_type",
                    "tags",
                    "iops",
                    "throughput",
                ],
            )?;
            for unsupported in ["backup_id", "snapshot_id", "imageRef"] {
                if v.get(unsupported).is_some_and(|x| !x.is_null()) {
                    return Err(bad(format!(
                        "Disks from {unsupported} are not supported; create an empty disk."
                    )));
                }
            }
            if body::opt_bool(v, "multiattach")?.unwrap_or(false) {
                return Err(bad("Shared (multiattach) disks are not supported."));
            }
            let zone = body::opt_str(v, "availability_zone")?
                .ok_or_else(|| bad("Invalid input received: availability_zone is required."))?;
            let volume_type = body::opt_str(v, "volume_type")?
                .ok_or_else(|| bad("Invalid input received: volume_type is required."))?;
            let size = body::opt_int(v, "size")?.ok_or_else(|| bad("Invalid input received: size is required."))?;
            let count = match body::opt_int(v, "count")? {
                None => 1,
                Some(n) if n >= 1 => n as usize,
                Some(n) => return Err(bad(format!("Invalid input received: count {n} must be at least 1."))),
            };
            let made = svc
                .create_volumes(
                    c,
                    op,
                    NewVolume {
                        size_gb: size,
                        name: body::opt_str(v, "name")?.unwrap_or_default(),
                        description: body::opt_str(v, "description")?.unwrap_or_default(),
                        volume_type: Some(volume_type),
                        availability_zone: Some(zone),
                        count,
                    },
                    &req.request_id,
                )
                .await?;
            let ids: Vec<&str> = made.volumes.iter().map(|v| v.id.as_str()).collect();
            Ok(errors::json_response(
                StatusCode::OK,
                json!({"job_id": made.job_id, "volume_ids": ids}),
            ))
        }
        OpId::EvsList => {
            let q = req.query_pairs();
            let want = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
            let number = |k: &str| -> ControlResult<Option<usize>> {
                want(k)
                    .map(|v| v.parse::<usize>().map_err(|_| bad(format!("Invalid {k} {v}."))))
                    .transpose()
            };
            let limit = number("limit")?.unwrap_or(MAX_LIMIT);
            if limit > MAX_LIMIT {
                return Err(bad(format!("Invalid limit {limit}: at most {MAX_LIMIT}.")));
            }
            let offset = number("offset")?.unwrap_or(0);
            let (name, status, zone, marker) =
                (want("name"), want("status"), want("availability_zone"), want("marker"));
            let matching: Vec<Volume> = svc
                .volumes(c)
                .await?
                .into_iter()
                .filter(|v| name.as_deref().is_none_or(|n| v.name.contains(n)))
                .filter(|v| status.as_deref().is_none_or(|s| s == status_of(v)))
                .filter(|_| zone.as_deref().is_none_or(|z| z == AVAILABILITY_ZONE))
                .collect();
            let count = matching.len();
            let start =
                match &marker {
                    Some(m) => matching.iter().position(|v| &v.id == m).map(|i| i + 1).ok_or_else(|| {
                        ControlError::NotFound {
                            code: crate::control::service::VOLUME_NOT_FOUND,
                            message: format!("The marker volume {m} could not be found."),
                        }
                    })?,
                    None => offset,
                };
            let page: Vec<Value> = matching
                .iter()
                .skip(start)
                .take(limit)
                .map(|v| view(st, req, v))
                .collect();
            let mut out = json!({"count": count, "volumes": page});
            if start + limit < count {
                if let Some(last) = matching.get(start + limit - 1) {
                    out["volumes_links"] = json!([{"rel": "next", "href": format!(
                        "{}/v2/{}/cloudvolumes/detail?limit={limit}&marker={}",
                        st.public_url, c.project_id, last.id)}]);
                }
            }
            Ok(errors::json_response(StatusCode::OK, out))
        }
        OpId::EvsShow => {
            let v = svc.volume(c, req.param("volume_id")).await?;
            Ok(Json(json!({ "volume": view(st, req, &v) })).into_response())
        }
        OpId::EvsUpdate => {
            body::check_content_type(req)?;
            let outer = body::json_object(req)?;
            body::only_keys(&outer, &["volume"])?;
            let v = volume_object(&outer)?;
            body::only_keys(v, &["name", "description"])?;
            let (name, description) = (body::opt_str(v, "name")?, body::opt_str(v, "description")?);
            if name.is_none() && description.is_none() {
                return Err(bad("Invalid input received: name or description is required."));
            }
            let v = svc.update_volume(c, req.param("volume_id"), name, description).await?;
            // huaweicloudsdkevs reads the updated disk's fields at the top level.
            Ok(Json(view(st, req, &v)).into_response())
        }
        OpId::EvsExtend => {
            body::check_content_type(req)?;
            let outer = body::json_object(req)?;
            body::only_keys(&outer, &["os-extend", "bssParam"])?;
            let extend = match outer.get("os-extend") {
                Some(Value::Object(m)) => m,
                _ => return Err(bad("Invalid input received: os-extend is required.")),
            };
            body::only_keys(extend, &["new_size"])?;
            let new_size = body::opt_int(extend, "new_size")?
                .ok_or_else(|| bad("Invalid input received: new_size is required."))?;
            let (job_id, _) = svc
                .extend_volume(c, op, req.param("volume_id"), new_size, &req.request_id)
                .await?;
            Ok(errors::json_response(StatusCode::OK, json!({ "job_id": job_id })))
        }
        OpId::EvsDelete => {
            let job_id = svc
                .delete_volume(c, op, req.param("volume_id"), &req.request_id)
                .await?;
            Ok(errors::json_response(StatusCode::OK, json!({ "job_id": job_id })))
        }
        other => Err(ControlError::internal(format!(
            "{} is not an EVS operation",
            other.name()
        ))),
    }
}

fn volume_object(outer: &Map<String, Value>) -> ControlResult<&Map<String, Value>> {
    match outer.get("volume") {
        Some(Value::Object(m)) => Ok(m),
        _ => Err(bad("Invalid input received: the volume object is required.")),
    }
}

fn status_of(v: &Volume) -> &str {
    if v.server_id.is_some() {
        "in-use"
    } else {
        v.status.as_str()
    }
}

fn view(st: &AppState, req: &Req, v: &Volume) -> Value {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
    let attachments: Vec<Value> = v
        .server_id
        .iter()
        .map(|s| {
            json!({"id": v.id, "attachment_id": v.id, "volume_id": v.id, "server_id": s,
                   "device": v.device, "host_name": v.host, "attached_at": time(v.attached_at)})
        })
        .collect();
    let href = format!("{}/v2/{}/cloudvolumes/{}", st.public_url, req.caller.project_id, v.id);
    json!({
        "id": v.id,
        "links": [{"rel": "self", "href": href}, {"rel": "bookmark", "href": href}],
        "name": v.name,
        "status": status_of(v),
        "attachments": attachments,
        "availability_zone": AVAILABILITY_ZONE,
        "os-vol-host-attr:host": v.host,
        "source_volid": null,
        "snapshot_id": null,
        "description": v.description,
        "created_at": time(v.created),
        "updated_at": time(v.created),
        "os-vol-tenant-attr:tenant_id": v.project_id,
        "volume_image_metadata": v.image_id.as_ref().map(|i| json!({"image_id": i})).unwrap_or(json!({})),
        "volume_type": v.volume_type,
        "size": v.size_gb,
        "consistencygroup_id": null,
        "bootable": if v.bootable { "true" } else { "false" },
        "metadata": {},
        "encrypted": false,
        "replication_status": "disabled",
        "shareable": "false",
        "multiattach": false,
        "user_id": req.caller.user_id,
        "service_type": "EVS",
        "tags": {},
        "wwn": "",
        "enterprise_project_id": "0",
    })
}
