//! Server actions: the batch start, stop and reboot, change and reinstall
//! OS, resize and cold migration. Each body is checked with today's
//! messages, read into its typed form, and the catalog row it selects runs
//! with that row's workflow input.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{check_password, check_servers, dry_run_ok, job_accepted, ServerRef};
use crate::api::body::{self, opt_bool, opt_obj, opt_str, req_str};
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::{self, Endpoint, OpId, Operation};
use crate::control::workflows::{HwResizeInput, MigrateInput, RebootInput, ReinstallOsInput, StopInput, WorkInput};
use crate::domain::{ControlError, ControlResult};

/// The catalog row that `key`'s object picks on `endpoint`.
fn row_for(endpoint: Endpoint, key: &str, opts: &Map<String, Value>) -> ControlResult<&'static Operation> {
    catalog::select(endpoint, Some(key), &Value::Object(opts.clone()))
        .ok_or_else(|| ControlError::bad_request(format!("There is no such action: {key}")))
}

/// Starts `op` on the path's server and answers with its job.
async fn act_on_server(st: &Arc<AppState>, req: &Req, op: OpId, params: WorkInput) -> ApiResult {
    let accepted = st
        .service
        .act(&req.caller, op, req.param("server_id"), params, &req.request_id)
        .await?;
    Ok(job_accepted(&accepted.job_id))
}

/// `mode`: absent, or `withStopServer` to stop the server first and start
/// it again afterwards. Returns whether the server restarts after.
fn restart_after(mode: Option<&str>) -> ControlResult<bool> {
    match mode {
        None => Ok(false),
        Some("withStopServer") => Ok(true),
        Some(other) => Err(ControlError::bad_request(format!(
            "Unknown mode {other}; only withStopServer is allowed."
        ))),
    }
}

// ---------------------------------------------------------------- batch

/// One action of `POST /cloudservers/action` (`os-start`, `os-stop`,
/// `reboot`), its `type` already checked for the action.
#[derive(Deserialize)]
struct BatchBody {
    servers: Vec<ServerRef>,
    #[serde(rename = "type")]
    kind: Option<StopType>,
}

/// How a stop or reboot treats the guest.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
enum StopType {
    #[serde(rename = "SOFT")]
    Soft,
    #[serde(rename = "HARD")]
    Hard,
}

pub(super) async fn batch(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let raw = body::json_object(req)?;
    if raw.len() != 1 {
        return Err(ControlError::bad_request(
            "The body must have exactly one of os-start, os-stop, reboot.",
        ));
    }
    let Some((key, value)) = raw.iter().next() else {
        return Err(ControlError::bad_request("Empty action."));
    };
    let mut opts = match value {
        Value::Object(m) => m.clone(),
        v => return Err(body::invalid(key, v, "must be an object")),
    };
    check_servers(opts.get("servers"))?;
    check_batch_type(key, &mut opts)?;
    let row = row_for(Endpoint::HwBatchAction, key, &opts)?;
    let action: BatchBody = body::typed(&opts)?;
    let hard = action.kind == Some(StopType::Hard);
    let params = match row.id {
        OpId::HwBatchStart => WorkInput::Start,
        OpId::HwBatchStop => WorkInput::Stop(StopInput { hard }),
        OpId::HwBatchRebootSoft | OpId::HwBatchRebootHard => WorkInput::Reboot(RebootInput { hard }),
        _ => return Err(ControlError::internal("not a batch action row")),
    };
    let ids = ServerRef::ids(action.servers);
    let job_id = st
        .service
        .batch(&req.caller, row.id, &ids, params, &req.request_id)
        .await?;
    Ok(job_accepted(&job_id))
}

/// Checks `type` as the action reads it and leaves it in `opts` only where
/// it counts: a start ignores it, a stop defaults to SOFT, a reboot needs it.
fn check_batch_type(key: &str, opts: &mut Map<String, Value>) -> ControlResult<()> {
    let default = match key {
        "os-stop" => Some("SOFT"),
        "reboot" => None,
        // A start takes no type; a key no row selects is refused by `row_for`.
        _ => {
            opts.remove("type");
            return Ok(());
        }
    };
    let kind = match opt_str(opts, "type")?.as_deref().or(default) {
        Some(k @ ("SOFT" | "HARD")) => k.to_string(),
        Some(other) => {
            return Err(ControlError::bad_request(format!(
                "type must be SOFT or HARD, not {other}."
            )))
        }
        None => return Err(ControlError::bad_request("reboot needs type SOFT or HARD.")),
    };
    opts.insert("type".into(), Value::String(kind));
    Ok(())
}

// ---------------------------------------------------------------- change and reinstall OS

/// `os-change` / `os-reinstall`: the new image (change only), how to log in,
/// and whether to stop the server around it.
#[derive(Deserialize)]
struct ChangeOsBody {
    imageid: Option<String>,
    adminpass: Option<String>,
    keyname: Option<String>,
    mode: Option<String>,
    metadata: Option<OsMetadata>,
}

#[derive(Deserialize)]
struct OsMetadata {
    user_data: Option<String>,
}

impl ChangeOsBody {
    fn user_data(&self) -> Option<&str> {
        self.metadata.as_ref().and_then(|m| m.user_data.as_deref())
    }

    /// The login and user-data rules; `cloud_init` lets user data alone do.
    fn check(&self, cloud_init: bool) -> ControlResult<()> {
        if self.adminpass.is_some() && self.keyname.is_some() {
            return Err(ControlError::bad_request(
                "adminpass and keyname cannot be set together.",
            ));
        }
        if self.adminpass.is_none() && self.keyname.is_none() && (!cloud_init || self.user_data().is_none()) {
            return Err(ControlError::bad_request(
                "Give adminpass or keyname (or metadata.user_data with cloud-init).",
            ));
        }
        if let Some(p) = &self.adminpass {
            check_password(p)?;
        }
        if let Some(u) = self.user_data() {
            use base64::Engine as _;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(u)
                .map_err(|_| ControlError::bad_request("metadata.user_data must be base64."))?;
            if raw.len() > 32 * 1024 {
                return Err(ControlError::bad_request("metadata.user_data exceeds 32 KB."));
            }
        }
        Ok(())
    }
}

/// Change OS (`HwChangeOs`, a new image) or reinstall OS (`HwReinstallOs`, the same image).
pub(super) async fn change_os(st: &Arc<AppState>, req: &Req, endpoint: Endpoint) -> ApiResult {
    let new_image = endpoint == Endpoint::HwChangeOs;
    let key = if new_image { "os-change" } else { "os-reinstall" };
    let raw = body::json_object(req)?;
    let opts = opt_obj(&raw, key)?
        .ok_or_else(|| ControlError::bad_request(format!("The request body must contain \"{key}\".")))?;
    if new_image {
        req_str(opts, key, "imageid")?;
    }
    for field in ["adminpass", "keyname", "mode"] {
        opt_str(opts, field)?;
    }
    if let Some(m) = opt_obj(opts, "metadata")? {
        opt_str(m, "user_data")?;
    }
    // A reinstall keeps its image and ignores any `imageid`.
    let mut fields = opts.clone();
    if !new_image {
        fields.remove("imageid");
    }
    let change: ChangeOsBody = body::typed(&fields)?;
    change.check(req.path.starts_with("/v2/"))?;
    let restart_after = restart_after(change.mode.as_deref())?;
    let row = row_for(endpoint, key, opts)?;
    let user_data = change.user_data().map(str::to_string);
    let params = WorkInput::ReinstallOs(ReinstallOsInput {
        image_id: change.imageid,
        restart_after,
        key_name: change.keyname,
        user_data,
    });
    act_on_server(st, req, row.id, params).await
}

// ---------------------------------------------------------------- resize

/// `POST /cloudservers/{id}/resize`: the `resize` object and the dry-run flag.
#[derive(Deserialize)]
struct ResizeRequest {
    resize: ResizeBody,
    #[serde(default, deserialize_with = "body::lenient_bool")]
    dry_run: Option<bool>,
}

#[derive(Deserialize)]
struct ResizeBody {
    #[serde(rename = "flavorRef")]
    flavor_ref: String,
    mode: Option<String>,
}

pub(super) async fn resize(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let raw = body::json_object(req)?;
    let opts = opt_obj(&raw, "resize")?
        .ok_or_else(|| ControlError::bad_request("The request body must contain \"resize\"."))?;
    req_str(opts, "resize", "flavorRef")?;
    opt_str(opts, "mode")?;
    opt_bool(&raw, "dry_run")?;
    if let Some(cpu) = opt_obj(opts, "cpu_options")? {
        if let Some(t) = cpu.get("hw:cpu_threads") {
            if !matches!(t.as_i64(), Some(1) | Some(2)) {
                return Err(ControlError::bad_request("cpu_options.hw:cpu_threads must be 1 or 2."));
            }
        }
    }
    let resize: ResizeRequest = body::typed(&raw)?;
    let restart_after = restart_after(resize.resize.mode.as_deref())?;
    let row = row_for(Endpoint::HwResize, "resize", opts)?;
    let params = WorkInput::HwResize(HwResizeInput {
        flavor_id: resize.resize.flavor_ref,
        restart_after,
    });
    if resize.dry_run.unwrap_or(false) {
        st.service
            .check(&req.caller, row.id, req.param("server_id"), params)
            .await?;
        return Ok(dry_run_ok());
    }
    act_on_server(st, req, row.id, params).await
}

// ---------------------------------------------------------------- migrate

/// `POST /cloudservers/{id}/migrate`: to a dedicated host, or (no target)
/// back to a shared one.
#[derive(Deserialize)]
struct MigrateBody {
    migrate: Option<MigrateTarget>,
}

#[derive(Deserialize)]
struct MigrateTarget {
    dedicated_host_id: Option<String>,
}

pub(super) async fn migrate(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let raw = body::json_object(req)?;
    // The SDK sends `{}` for `MigrateServerRequestBody(migrate=None)`: like
    // `"migrate": null`, it means back to a shared host.
    match raw.get("migrate") {
        None if raw.is_empty() => {}
        None => return Err(ControlError::bad_request("The request body must contain \"migrate\".")),
        Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            opt_str(m, "dedicated_host_id")?;
        }
        Some(v) => return Err(body::invalid("migrate", v, "must be an object or null")),
    }
    let migrate: MigrateBody = body::typed(&raw)?;
    let params = WorkInput::Migrate(MigrateInput {
        dedicated_host_id: migrate.migrate.and_then(|m| m.dedicated_host_id),
    });
    act_on_server(st, req, OpId::HwMigrate, params).await
}
