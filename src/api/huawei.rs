//! The Huawei ECS dialect: `/v1`, `/v1.1` and `/v2` cloudservers APIs and
//! the job query. Async operations answer 200 `{"job_id": ...}`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::body::{self, opt_bool, opt_int, opt_obj, opt_str, req_str};
use super::{ApiResult, AppState, Req};
use crate::catalog::{Endpoint, OpId};
use crate::control::service::{CreateSpec, NicSpec, VolumeSpec, MAX_BATCH};
use crate::control::workflows::{
    DeleteInput, HwResizeInput, MigrateInput, RebootInput, ReinstallOsInput, StopInput, WorkInput,
};
use crate::domain::AVAILABILITY_ZONE;
use crate::domain::{ControlError, ControlResult, Flavor, Job, Port, Server, Volume};
use crate::domain::{Page, ServerFilter};

pub async fn handle(st: &Arc<AppState>, endpoint: Endpoint, req: &Req) -> ApiResult {
    match endpoint {
        Endpoint::HwCreate => create(st, req).await,
        Endpoint::HwListDetail => list(st, req).await,
        Endpoint::HwShow => show(st, req).await,
        Endpoint::HwDelete => delete(st, req).await,
        Endpoint::HwBatchAction => batch(st, req).await,
        Endpoint::HwFlavors => flavors(st, req).await,
        Endpoint::HwResizeFlavors => resize_flavors(st, req).await,
        Endpoint::HwChangeOs => change_os(st, req, true).await,
        Endpoint::HwReinstallOs => change_os(st, req, false).await,
        Endpoint::HwResize => resize(st, req).await,
        Endpoint::HwMigrate => migrate(st, req).await,
        Endpoint::HwJob => job(st, req).await,
        _ => Err(ControlError::internal("not a Huawei endpoint")),
    }
}

fn job_accepted(job_id: &str) -> Response {
    (StatusCode::OK, Json(json!({ "job_id": job_id }))).into_response()
}

/// `dry_run: true` validated everything: 202 with no job.
fn dry_run_ok() -> Response {
    (StatusCode::ACCEPTED, Json(json!({}))).into_response()
}

fn hw_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn iso_seconds(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn usage_time(t: Option<DateTime<Utc>>) -> Value {
    t.map(|t| Value::String(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()))
        .unwrap_or(Value::Null)
}

/// Password complexity: 8-26 characters with three of four classes.
fn check_password(p: &str) -> ControlResult<()> {
    let classes = [
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if !(8..=26).contains(&p.chars().count()) || classes.iter().filter(|c| **c).count() < 3 {
        return Err(ControlError::bad_request_code(
            "Ecs.0011",
            "Ensure the password meets the password complexity requirements.",
        ));
    }
    Ok(())
}

fn server_ids(list: &Value, key: &str) -> ControlResult<Vec<String>> {
    let Value::Array(items) = list else {
        return Err(ControlError::bad_request(format!(
            "{key} must be a list of {{\"id\": ...}} objects."
        )));
    };
    if items.len() > MAX_BATCH {
        return Err(ControlError::bad_request_code(
            "Ecs.0118",
            "The number of ECSs exceeds the maximum allowed limit.",
        ));
    }
    items
        .iter()
        .map(|i| match i.get("id") {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(ControlError::bad_request(format!(
                "Each item of {key} needs a string id."
            ))),
        })
        .collect()
}

// ---------------------------------------------------------------- actions

async fn change_os(st: &Arc<AppState>, req: &Req, change: bool) -> ApiResult {
    let body = body::json_object(req)?;
    let key = if change { "os-change" } else { "os-reinstall" };
    let opts = opt_obj(&body, key)?
        .ok_or_else(|| ControlError::bad_request(format!("The request body must contain \"{key}\".")))?;
    let image_id = if change {
        Some(req_str(opts, key, "imageid")?)
    } else {
        None
    };
    let adminpass = opt_str(opts, "adminpass")?;
    let keyname = opt_str(opts, "keyname")?;
    let mode = opt_str(opts, "mode")?;
    let metadata = opt_obj(opts, "metadata")?;
    let user_data = match metadata {
        Some(m) => opt_str(m, "user_data")?,
        None => None,
    };
    if adminpass.is_some() && keyname.is_some() {
        return Err(ControlError::bad_request(
            "adminpass and keyname cannot be set together.",
        ));
    }
    let cloud_init = req.path.starts_with("/v2/");
    if adminpass.is_none() && keyname.is_none() && (!cloud_init || user_data.is_none()) {
        return Err(ControlError::bad_request(
            "Give adminpass or keyname (or metadata.user_data with cloud-init).",
        ));
    }
    if let Some(p) = &adminpass {
        check_password(p)?;
    }
    if let Some(u) = &user_data {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(u)
            .map_err(|_| ControlError::bad_request("metadata.user_data must be base64."))?;
        if raw.len() > 32 * 1024 {
            return Err(ControlError::bad_request("metadata.user_data exceeds 32 KB."));
        }
    }
    let with_stop = match mode.as_deref() {
        None => false,
        Some("withStopServer") => true,
        Some(other) => {
            return Err(ControlError::bad_request(format!(
                "Unknown mode {other}; only withStopServer is allowed."
            )))
        }
    };
    let op = match (change, with_stop) {
        (true, false) => OpId::HwChangeOs,
        (true, true) => OpId::HwChangeOsWithStop,
        (false, false) => OpId::HwReinstallOs,
        (false, true) => OpId::HwReinstallOsWithStop,
    };
    let params = WorkInput::ReinstallOs(ReinstallOsInput {
        image_id,
        restart_after: with_stop,
        key_name: keyname,
        user_data,
    });
    let accepted = st
        .service
        .act(&req.caller, op, req.param("server_id"), params, &req.request_id)
        .await?;
    Ok(job_accepted(&accepted.job_id))
}

async fn resize(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let body = body::json_object(req)?;
    let opts = opt_obj(&body, "resize")?
        .ok_or_else(|| ControlError::bad_request("The request body must contain \"resize\"."))?;
    let flavor = req_str(opts, "resize", "flavorRef")?;
    let mode = opt_str(opts, "mode")?;
    let dry_run = opt_bool(&body, "dry_run")?.unwrap_or(false);
    if let Some(cpu) = opt_obj(opts, "cpu_options")? {
        if let Some(t) = cpu.get("hw:cpu_threads") {
            if !matches!(t.as_i64(), Some(1) | Some(2)) {
                return Err(ControlError::bad_request("cpu_options.hw:cpu_threads must be 1 or 2."));
            }
        }
    }
    let with_stop = match mode.as_deref() {
        None => false,
        Some("withStopServer") => true,
        Some(other) => {
            return Err(ControlError::bad_request(format!(
                "Unknown mode {other}; only withStopServer is allowed."
            )))
        }
    };
    let op = if with_stop {
        OpId::HwResizeWithStop
    } else {
        OpId::HwResize
    };
    let params = WorkInput::HwResize(HwResizeInput {
        flavor_id: flavor,
        restart_after: with_stop,
    });
    if dry_run {
        st.service
            .check(&req.caller, op, req.param("server_id"), params)
            .await?;
        return Ok(dry_run_ok());
    }
    let accepted = st
        .service
        .act(&req.caller, op, req.param("server_id"), params, &req.request_id)
        .await?;
    Ok(job_accepted(&accepted.job_id))
}

async fn migrate(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let body = body::json_object(req)?;
    // The SDK sends `{}` for `MigrateServerRequestBody(migrate=None)`: like
    // `"migrate": null`, it means back to a shared host.
    let target = match body.get("migrate") {
        None if body.is_empty() => None,
        None => return Err(ControlError::bad_request("The request body must contain \"migrate\".")),
        Some(Value::Null) => None,
        Some(Value::Object(m)) => opt_str(m, "dedicated_host_id")?,
        Some(v) => return Err(body::invalid("migrate", v, "must be an object or null")),
    };
    let params = WorkInput::Migrate(MigrateInput {
        dedicated_host_id: target,
    });
    let accepted = st
        .service
        .act(
            &req.caller,
            OpId::HwMigrate,
            req.param("server_id"),
            params,
            &req.request_id,
        )
        .await?;
    Ok(job_accepted(&accepted.job_id))
}

async fn batch(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let body = body::json_object(req)?;
    if body.len() != 1 {
        return Err(ControlError::bad_request(
            "The body must have exactly one of os-start, os-stop, reboot.",
        ));
    }
    let Some((key, value)) = body.iter().next() else {
        return Err(ControlError::bad_request("Empty action."));
    };
    let opts = match value {
        Value::Object(m) => m,
        v => return Err(body::invalid(key, v, "must be an object")),
    };
    let ids = server_ids(opts.get("servers").unwrap_or(&Value::Null), "servers")?;
    let kind = |default: Option<&str>| -> ControlResult<bool> {
        match opt_str(opts, "type")?.as_deref().or(default) {
            Some("SOFT") => Ok(false),
            Some("HARD") => Ok(true),
            Some(other) => Err(ControlError::bad_request(format!(
                "type must be SOFT or HARD, not {other}."
            ))),
            None => Err(ControlError::bad_request("reboot needs type SOFT or HARD.")),
        }
    };
    let (op, params) = match key.as_str() {
        "os-start" => (OpId::HwBatchStart, WorkInput::Start),
        "os-stop" => (
            OpId::HwBatchStop,
            WorkInput::Stop(StopInput {
                hard: kind(Some("SOFT"))?,
            }),
        ),
        "reboot" => {
            let hard = kind(None)?;
            let op = if hard {
                OpId::HwBatchRebootHard
            } else {
                OpId::HwBatchRebootSoft
            };
            (op, WorkInput::Reboot(RebootInput { hard }))
        }
        other => return Err(ControlError::bad_request(format!("There is no such action: {other}"))),
    };
    let job_id = st.service.batch(&req.caller, op, &ids, params, &req.request_id).await?;
    Ok(job_accepted(&job_id))
}

async fn delete(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let body = body::json_object(req)?;
    let ids = server_ids(body.get("servers").unwrap_or(&Value::Null), "servers")?;
    let _ = opt_bool(&body, "delete_publicip")?;
    let delete_volume = opt_bool(&body, "delete_volume")?.unwrap_or(false);
    let params = WorkInput::Delete(DeleteInput {
        delete_data_volumes: delete_volume,
    });
    let job_id = st
        .service
        .batch(&req.caller, OpId::HwDelete, &ids, params, &req.request_id)
        .await?;
    Ok(job_accepted(&job_id))
}

async fn create(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let body = body::json_object(req)?;
    let s = opt_obj(&body, "server")?
        .ok_or_else(|| ControlError::bad_request("The request body must contain \"server\"."))?;
    let dry_run = opt_bool(&body, "dry_run")?.unwrap_or(false);
    let name = req_str(s, "server", "name")?;
    if name.chars().count() > 64
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(ControlError::bad_request(
            "name must be 1-64 letters, digits, '_', '-' or '.'.",
        ));
    }
    let image_id = req_str(s, "server", "imageRef")?;
    let flavor_id = req_str(s, "server", "flavorRef")?;
    let vpc_id = req_str(s, "server", "vpcid")?;
    let nics = match s.get("nics") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= 12 => items,
        _ => return Err(ControlError::bad_request("nics must be a list of 1 to 12 NICs.")),
    };
    let mut nic_specs = Vec::new();
    for n in nics {
        let Value::Object(n) = n else {
            return Err(ControlError::bad_request("Each NIC must be an object."));
        };
        let subnet = opt_str(n, "subnet_id")?
            .or(opt_str(n, "port_id")?)
            .ok_or_else(|| ControlError::bad_request("Each NIC needs subnet_id."))?;
        nic_specs.push(NicSpec {
            network_id: vpc_id.clone(),
            subnet_id: subnet,
            ip_address: opt_str(n, "ip_address")?,
        });
    }
    let root = opt_obj(s, "root_volume")?.ok_or_else(|| ControlError::bad_request("root_volume is required."))?;
    let volume = |v: &Map<String, Value>, root: bool| -> ControlResult<VolumeSpec> {
        let vt = req_str(v, "root_volume", "volumetype")?;
        if !["SATA", "SAS", "SSD", "GPSSD", "ESSD", "GPSSD2", "ESSD2"].contains(&vt.as_str()) {
            return Err(ControlError::bad_request(format!("Unknown volumetype {vt}.")));
        }
        let size = opt_int(v, "size")?.unwrap_or(40);
        let range = if root { 1..=1024 } else { 10..=32768 };
        if !range.contains(&size) {
            return Err(ControlError::bad_request(format!(
                "Volume size {size} GB is out of range."
            )));
        }
        Ok(VolumeSpec {
            volume_type: vt,
            size_gb: size,
            delete_on_termination: opt_bool(v, "delete_on_termination")?.unwrap_or(false),
        })
    };
    let root_volume = volume(root, true)?;
    let mut data_volumes = Vec::new();
    if let Some(Value::Array(items)) = s.get("data_volumes") {
        if items.len() > 23 {
            return Err(ControlError::bad_request("At most 23 data volumes."));
        }
        for v in items {
            let Value::Object(v) = v else {
                return Err(ControlError::bad_request("Each data volume must be an object."));
            };
            data_volumes.push(volume(v, false)?);
        }
    }
    let count = opt_int(s, "count")?.unwrap_or(1);
    let metadata = match s.get("metadata") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(v) => body::string_map(v, "metadata")?,
    };
    let mut tags = Vec::new();
    if let Some(Value::Array(items)) = s.get("server_tags") {
        if items.len() > 10 {
            return Err(ControlError::bad_request("At most 10 server_tags."));
        }
        for t in items {
            let k = t.get("key").and_then(Value::as_str).unwrap_or_default();
            if k.is_empty() {
                return Err(ControlError::bad_request("Each server tag needs a key."));
            }
            let v = t.get("value").and_then(Value::as_str).unwrap_or_default();
            tags.push(format!("{k}={v}"));
        }
    }
    let hints = opt_obj(s, "os:scheduler_hints")?;
    let dedicated = match hints {
        Some(h) => opt_str(h, "dedicated_host_id")?,
        None => None,
    };
    let description = opt_str(s, "description")?.unwrap_or_default();
    if description.chars().count() > 85 || description.contains(['<', '>']) {
        return Err(ControlError::bad_request(
            "description is at most 85 characters without '<' or '>'.",
        ));
    }
    let spec = CreateSpec {
        name,
        image_id,
        flavor_id,
        count,
        vpc_id,
        nics: nic_specs,
        root_volume,
        data_volumes,
        availability_zone: opt_str(s, "availability_zone")?,
        key_name: opt_str(s, "key_name")?,
        user_data: opt_str(s, "user_data")?,
        metadata,
        tags,
        description,
        dedicated_host_id: dedicated,
        auto_rename: opt_bool(s, "isAutoRename")?.unwrap_or(true),
    };
    if let Some(p) = opt_str(s, "adminPass")? {
        check_password(&p)?;
    }
    if dry_run {
        st.service.check_create(&req.caller, OpId::HwCreate, &spec).await?;
        return Ok(dry_run_ok());
    }
    let (job_id, servers) = st
        .service
        .create(&req.caller, OpId::HwCreate, spec, &req.request_id)
        .await?;
    let ids: Vec<&str> = servers.iter().map(|s| s.id.as_str()).collect();
    Ok((StatusCode::OK, Json(json!({"job_id": job_id, "serverIds": ids}))).into_response())
}

// ---------------------------------------------------------------- reads

async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let server = st
        .service
        .read_server(&req.caller, OpId::HwShowServer, req.param("server_id"))
        .await?;
    let (vols, ports) = st.service.volumes_and_ports(&server.id).await?;
    let view = server_view(st, &server, &vols, &ports);
    Ok(Json(json!({ "server": view })).into_response())
}

async fn list(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let mut filter = ServerFilter::default();
    let mut limit = 25usize;
    let mut offset = 1usize;
    let mut marker = None;
    for (k, v) in req.query_pairs() {
        match k.as_str() {
            "limit" => {
                limit = v
                    .parse()
                    .map_err(|_| ControlError::bad_request("limit must be an integer."))?;
                if limit > 1000 {
                    return Err(ControlError::bad_request("limit must be at most 1000."));
                }
            }
            "offset" => {
                offset = v
                    .parse()
                    .map_err(|_| ControlError::bad_request("offset must be an integer."))?
            }
            "marker" => marker = Some(v),
            "name" => filter.name_contains = Some(v),
            "flavor" => filter.flavor_id = Some(v),
            "status" => filter.statuses = status_filter(&v)?,
            "tags" => filter.tags_all = v.split(',').map(str::to_string).collect(),
            "not-tags" => filter.not_tags = v.split(',').map(str::to_string).collect(),
            "ip" | "ip_eq" => filter.ip_contains = Some(v),
            "server_id" | "id" => filter.ids.push(v),
            _ => {}
        }
    }
    let after_seq = match marker {
        Some(m) => Some(st.service.server_for(&req.caller, &m).await?.seq),
        None => None,
    };
    let page = Page {
        limit,
        offset: if after_seq.is_some() {
            0
        } else {
            offset.max(1).saturating_sub(1) * limit
        },
        after_seq,
    };
    let (servers, total) = st
        .service
        .list_servers(&req.caller, OpId::HwListServers, &filter, page)
        .await?;
    let mut views = Vec::with_capacity(servers.len());
    for s in &servers {
        let (vols, ports) = st.service.volumes_and_ports(&s.id).await?;
        views.push(server_view(st, s, &vols, &ports));
    }
    Ok(Json(json!({"count": total, "servers": views})).into_response())
}

/// Huawei's status filter: ACTIVE also matches servers busy on an active
/// server, SHUTOFF those busy on a stopped one.
fn status_filter(v: &str) -> ControlResult<Vec<&'static str>> {
    Ok(match v {
        "ACTIVE" => vec!["ACTIVE", "REBOOT", "HARD_REBOOT", "REBUILD", "MIGRATING", "RESIZE"],
        "SHUTOFF" => vec!["SHUTOFF", "RESIZE", "REBUILD"],
        "BUILD" => vec!["BUILD"],
        "ERROR" => vec!["ERROR"],
        "VERIFY_RESIZE" => vec!["VERIFY_RESIZE"],
        "REBOOT" => vec!["REBOOT"],
        "HARD_REBOOT" => vec!["HARD_REBOOT"],
        "REBUILD" => vec!["REBUILD"],
        "RESIZE" => vec!["RESIZE"],
        "MIGRATING" => vec!["MIGRATING"],
        "REVERT_RESIZE" => vec!["REVERT_RESIZE"],
        "DELETED" => vec!["DELETED"],
        other => return Err(ControlError::bad_request(format!("Unknown status {other}."))),
    })
}

async fn job(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let (job, subs) = st.service.job(&req.caller, req.param("job_id")).await?;
    Ok(Json(job_view(&job, Some(&subs))).into_response())
}

pub fn job_view(job: &Job, subs: Option<&[Job]>) -> Value {
    let mut entities = Map::new();
    match subs {
        Some(subs) if job.server_id.is_none() => {
            entities.insert("sub_jobs_total".into(), json!(subs.len()));
            entities.insert(
                "sub_jobs".into(),
                Value::Array(subs.iter().map(|j| job_view(j, None)).collect()),
            );
        }
        _ => {
            if let Some(id) = &job.server_id {
                entities.insert("server_id".into(), json!(id));
            }
            if job.parent_id.is_some() && job.error_code.is_some() {
                entities.insert("errorcode_message".into(), json!(job.fail_reason));
            }
        }
    }
    json!({
        "status": job.status.as_str(),
        "job_id": job.id,
        "job_type": job.job_type,
        "begin_time": hw_time(job.begin_time),
        "end_time": job.end_time.map(hw_time).unwrap_or_default(),
        "error_code": job.error_code,
        "fail_reason": job.fail_reason,
        "entities": entities,
    })
}

async fn flavors(st: &Arc<AppState>, req: &Req) -> ApiResult {
    st.service.authorize(&req.caller, OpId::HwListFlavors, None).await?;
    let mut az_filter = None;
    let mut id_filter = None;
    for (k, v) in req.query_pairs() {
        match k.as_str() {
            "availability_zone" => az_filter = Some(v),
            "flavor_id" => id_filter = Some(v),
            _ => {}
        }
    }
    if az_filter.as_deref().is_some_and(|az| az != AVAILABILITY_ZONE) {
        return Ok(Json(json!({"flavors": []})).into_response());
    }
    let list: Vec<Value> = st
        .service
        .inventory
        .flavors()
        .iter()
        .filter(|f| !f.disabled)
        .filter(|f| id_filter.as_deref().is_none_or(|id| id == f.id))
        .filter(|f| az_filter.is_none() || f.sellable())
        .map(|f| flavor_view(st, req, f, "os_extra_specs"))
        .collect();
    Ok(Json(json!({ "flavors": list })).into_response())
}

async fn resize_flavors(st: &Arc<AppState>, req: &Req) -> ApiResult {
    st.service
        .authorize(&req.caller, OpId::HwListResizeFlavors, None)
        .await?;
    let q = req.query_pairs();
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let inv = st.service.as_ref();
    let (source, image) = if let Some(id) = get("instance_uuid") {
        let s = st.service.server_for(&req.caller, &id).await?;
        (inv.flavor(&s.flavor_id).cloned(), inv.image(&s.image_id).cloned())
    } else if let Some(id) = get("source_flavor_id") {
        (inv.flavor(&id).cloned(), None)
    } else if let Some(name) = get("source_flavor_name") {
        (inv.flavors().iter().find(|f| f.name == name).cloned(), None)
    } else {
        return Err(ControlError::bad_request(
            "Give instance_uuid, source_flavor_id or source_flavor_name.",
        ));
    };
    let source = source.ok_or_else(|| ControlError::bad_request_code("Ecs.0029", "The flavor does not exist."))?;
    let mut targets = st.service.resize_targets(&source, image.as_ref());
    let sort_key = get("sort_key").unwrap_or_else(|| "flavorid".into());
    match sort_key.as_str() {
        "flavorid" | "name" => targets.sort_by(|a, b| a.id.cmp(&b.id)),
        "memory_mb" => targets.sort_by_key(|f| f.ram_mb),
        "vcpus" => targets.sort_by_key(|f| f.vcpus),
        "root_gb" => targets.sort_by_key(|f| f.disk_gb),
        other => return Err(ControlError::bad_request(format!("Unknown sort_key {other}."))),
    }
    match get("sort_dir").as_deref() {
        None | Some("asc") => {}
        Some("desc") => targets.reverse(),
        Some(other) => return Err(ControlError::bad_request(format!("Unknown sort_dir {other}."))),
    }
    if let Some(m) = get("marker") {
        if let Some(pos) = targets.iter().position(|f| f.id == m) {
            targets.drain(..=pos);
        }
    }
    let limit: usize = match get("limit") {
        Some(l) => l
            .parse()
            .map_err(|_| ControlError::bad_request("limit must be an integer."))?,
        None => 1000,
    };
    targets.truncate(limit);
    let list: Vec<Value> = targets
        .iter()
        .map(|f| {
            let mut v = flavor_view(st, req, f, "extra_specs");
            if let Value::Object(m) = &mut v {
                m.remove("attachableQuantity");
                m.insert("instance_quota".into(), json!({}));
            }
            v
        })
        .collect();
    Ok(Json(json!({ "flavors": list })).into_response())
}

pub fn flavor_view(st: &AppState, req: &Req, f: &Flavor, specs_key: &str) -> Value {
    let href = format!("{}/v1/{}/flavors/{}", st.public_url, req.caller.project_id, f.id);
    json!({
        "id": f.id,
        "name": f.name,
        "vcpus": f.vcpus.to_string(),
        "ram": f.ram_mb,
        "disk": f.disk_gb.to_string(),
        "swap": "",
        "OS-FLV-EXT-DATA:ephemeral": 0,
        "OS-FLV-DISABLED:disabled": f.disabled,
        "rxtx_factor": 1.0,
        "rxtx_quota": null,
        "rxtx_cap": null,
        "os-flavor-access:is_public": true,
        "links": [
            {"rel": "self", "href": href, "type": null},
            {"rel": "bookmark", "href": href, "type": null},
        ],
        specs_key: {
            "ecs:performancetype": f.performance_type,
            "ecs:generation": f.family(),
            "ecs:virtualization_env_types": "CloudCompute",
            "ecs:instance_architecture": f.arch,
            "resource_type": "IES",
            "cond:operation:status": f.sale_status,
            "cond:operation:az": format!("{AVAILABILITY_ZONE}({})", f.sale_status),
            "quota:max_rate": "1000",
        },
        "attachableQuantity": {"free_scsi": 59, "free_blk": 23, "free_disk": 23, "free_nic": 11},
    })
}

/// The v1 server object (spec huawei-ecs section 3.1), types as the SDKs model them.
pub fn server_view(st: &AppState, s: &Server, vols: &[Volume], ports: &[Port]) -> Value {
    let inv = st.service.as_ref();
    let flavor = inv.flavor(&s.flavor_id);
    let mut addresses: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in ports {
        addresses.entry(p.network_id.clone()).or_default().push(json!({
            "version": "4",
            "addr": p.ip_address,
            "OS-EXT-IPS:type": "fixed",
            "OS-EXT-IPS-MAC:mac_addr": p.mac_address,
            "OS-EXT-IPS:port_id": p.id,
            "primary": p.primary,
        }));
    }
    let volumes: Vec<Value> = vols
        .iter()
        .map(|v| {
            json!({
                "id": v.id,
                "device": v.device,
                "bootIndex": if v.bootable { "0" } else { "-1" },
                "delete_on_termination": v.delete_on_termination.to_string(),
            })
        })
        .collect();
    let mut hints = Map::new();
    if let Some(d) = &s.dedicated_host_id {
        hints.insert("dedicated_host_id".into(), json!([d]));
        hints.insert("tenancy".into(), json!(["dedicated"]));
    }
    let host_name = s
        .host
        .as_ref()
        .and_then(|h| inv.host(h))
        .map(|h| h.name.clone())
        .unwrap_or_default();
    let mut v = json!({
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "status": s.status(),
        "OS-EXT-STS:vm_state": s.vm_state.as_str(),
        "OS-EXT-STS:task_state": s.task_state.map(|t| t.as_str()),
        "OS-EXT-STS:power_state": s.power_state.code(),
        "locked": s.locked,
        "flavor": {
            "id": s.flavor_id,
            "name": flavor.map(|f| f.name.clone()).unwrap_or(s.flavor_id.clone()),
            "vcpus": flavor.map(|f| f.vcpus).unwrap_or(0).to_string(),
            "ram": flavor.map(|f| f.ram_mb).unwrap_or(0).to_string(),
            "disk": flavor.map(|f| f.disk_gb).unwrap_or(0).to_string(),
        },
        "image": {"id": s.image_id},
        "metadata": s.metadata,
        "addresses": addresses,
        "os-extended-volumes:volumes_attached": volumes,
        "security_groups": [{"id": "default", "name": "default"}],
        "key_name": s.key_name.clone().unwrap_or_default(),
        "user_id": s.user_id,
        "tenant_id": s.project_id,
        "created": iso_seconds(s.created),
        "updated": iso_seconds(s.updated),
        "OS-SRV-USG:launched_at": usage_time(s.launched_at),
        "OS-SRV-USG:terminated_at": usage_time(s.terminated_at),
        "OS-EXT-AZ:availability_zone": s.availability_zone,
        "hostId": s.host_id_hash(),
        "OS-EXT-SRV-ATTR:host": host_name,
        "OS-EXT-SRV-ATTR:hypervisor_hostname": host_name,
        "OS-EXT-SRV-ATTR:instance_name": format!("instance-{:08x}", s.seq),
        "OS-EXT-SRV-ATTR:hostname": s.name.to_lowercase(),
        "OS-EXT-SRV-ATTR:reservation_id": format!("r-{}", &s.id[..8]),
        "OS-EXT-SRV-ATTR:launch_index": 0,
        "OS-EXT-SRV-ATTR:kernel_id": "",
        "OS-EXT-SRV-ATTR:ramdisk_id": "",
        "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
        "OS-EXT-SRV-ATTR:user_data": s.user_data,
        "OS-DCF:diskConfig": "MANUAL",
        "accessIPv4": "",
        "accessIPv6": "",
        "config_drive": "",
        "progress": 0,
        "host_status": if s.host.is_some() { "UP" } else { "" },
        "tags": s.tags,
        "sys_tags": [{"key": "_sys_enterprise_project_id", "value": "0"}],
        "enterprise_project_id": "0",
        "os:scheduler_hints": hints,
    });
    if let (Some(f), Value::Object(m)) = (&s.fault, &mut v) {
        m.insert(
            "fault".into(),
            json!({"code": f.code, "created": iso_seconds(f.created), "message": f.message, "details": f.details}),
        );
    }
    v
}
