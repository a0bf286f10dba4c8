//! A server's disks: attach (`attachvolume`), detach (`detachvolume`) and
//! the block-device queries. Attach and detach answer with their job.

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use super::{dry_run_ok, job_accepted};
use crate::api::body::{self, opt_bool, opt_int, opt_str, req_str};
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::AttachSpec;
use crate::domain::{ControlError, Volume};

/// Disks a server may hold beside its system disk (`/dev/vdb`..`/dev/vdz`).
const DATA_DISK_SLOTS: usize = 25;

fn block_device(v: &Volume, server_id: &str) -> Value {
    json!({
        "bootIndex": if v.bootable { json!(0) } else { Value::Null },
        "pciAddress": "",
        "volumeId": v.id,
        "device": v.device,
        "serverId": server_id,
        "id": v.id,
        "size": v.size_gb,
        "bus": "virtio",
    })
}

pub(super) async fn attach(st: &Arc<AppState>, req: &Req) -> ApiResult {
    body::check_content_type(req)?;
    let outer = body::json_object(req)?;
    body::only_keys(&outer, &["volumeAttachment", "dry_run"])?;
    let dry_run = opt_bool(&outer, "dry_run")?.unwrap_or(false);
    let a = match outer.get("volumeAttachment") {
        Some(Value::Object(m)) => m,
        _ => {
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                "The volumeAttachment object is required.",
            ))
        }
    };
    body::only_keys(a, &["volumeId", "device", "volume_type", "count", "hw:passthrough"])?;
    let volume_id = req_str(a, "volumeAttachment", "volumeId")
        .map_err(|e| ControlError::bad_request_code("Ecs.0005", e.to_string()))?;
    // SCSI or VBD and the passthrough flag describe the bus; every disk
    // here is on virtio, so they are read and checked, not kept.
    if let Some(t) = opt_str(a, "volume_type")? {
        if !matches!(t.as_str(), "SCSI" | "VBD") {
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                format!("Invalid volume_type {t}; use SCSI or VBD."),
            ));
        }
    }
    opt_int(a, "count")?;
    opt_str(a, "hw:passthrough")?;
    let spec = AttachSpec {
        volume_id,
        device: opt_str(a, "device")?,
        delete_on_termination: false,
        dry_run,
    };
    let done = st
        .service
        .attach_volume(
            &req.caller,
            OpId::HwAttachVolume,
            req.param("server_id"),
            spec,
            &req.request_id,
        )
        .await?;
    if dry_run {
        return Ok(dry_run_ok());
    }
    Ok(job_accepted(&done.job_id))
}

pub(super) async fn detach(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let q = req.query_pairs();
    if let Some((_, flag)) = q.iter().find(|(k, _)| k == "delete_flag") {
        // 1 forces the detach; both end the same here.
        if !matches!(flag.as_str(), "0" | "1") {
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                format!("Invalid delete_flag {flag}; use 0 or 1."),
            ));
        }
    }
    let done = st
        .service
        .detach_volume(
            &req.caller,
            OpId::HwDetachVolume,
            req.param("server_id"),
            req.param("volume_id"),
            &req.request_id,
        )
        .await?;
    Ok(job_accepted(&done.job_id))
}

pub(super) async fn list(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let server_id = req.param("server_id");
    let (_, volumes, _) = st
        .service
        .read_server_view(&req.caller, OpId::HwListBlockDevices, server_id)
        .await?;
    let data = volumes.iter().filter(|v| !v.bootable).count();
    let free = DATA_DISK_SLOTS.saturating_sub(data);
    let items: Vec<Value> = volumes.iter().map(|v| block_device(v, server_id)).collect();
    Ok(Json(json!({
        "attachableQuantity": {"free_scsi": free, "free_blk": free, "free_disk": free},
        "volumeAttachments": items,
    }))
    .into_response())
}

pub(super) async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let server_id = req.param("server_id");
    let v = st
        .service
        .server_volume(&req.caller, OpId::HwShowBlockDevice, server_id, req.param("volume_id"))
        .await?;
    Ok(Json(json!({ "volumeAttachment": block_device(&v, server_id) })).into_response())
}
