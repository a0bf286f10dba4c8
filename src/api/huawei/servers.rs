//! Servers: create (with dry run), batch delete, list and show.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::views::server_view;
use super::{check_password, check_servers, dry_run_ok, job_accepted, ServerRef};
use crate::api::body::{self, opt_bool, opt_int, opt_obj, opt_str, req_str};
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::{CreateSpec, NicSpec, VolumeSpec};
use crate::control::workflows::{DeleteInput, WorkInput};
use crate::domain::{ControlError, ControlResult};
use crate::domain::{Page, ServerFilter};

// ---------------------------------------------------------------- create

/// `POST /cloudservers`: the server to create and whether only to check it.
#[derive(Deserialize)]
struct CreateBody {
    server: ServerBody,
    #[serde(default, deserialize_with = "body::lenient_bool")]
    dry_run: Option<bool>,
}

#[derive(Deserialize)]
struct ServerBody {
    name: String,
    #[serde(rename = "imageRef")]
    image_ref: String,
    #[serde(rename = "flavorRef")]
    flavor_ref: String,
    vpcid: String,
    nics: Vec<NicBody>,
    root_volume: VolumeBody,
    #[serde(default, deserialize_with = "body::list_or_empty")]
    data_volumes: Vec<VolumeBody>,
    #[serde(default, deserialize_with = "body::lenient_int")]
    count: Option<i64>,
    metadata: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "body::list_or_empty")]
    server_tags: Vec<TagBody>,
    #[serde(rename = "os:scheduler_hints")]
    scheduler_hints: Option<HintsBody>,
    description: Option<String>,
    availability_zone: Option<String>,
    key_name: Option<String>,
    user_data: Option<String>,
    #[serde(rename = "isAutoRename", default, deserialize_with = "body::lenient_bool")]
    auto_rename: Option<bool>,
    #[serde(default, deserialize_with = "body::list_or_empty")]
    security_groups: Vec<IdBody>,
}

#[derive(Deserialize)]
struct IdBody {
    id: String,
}

#[derive(Deserialize)]
struct NicBody {
    subnet_id: Option<String>,
    port_id: Option<String>,
    ip_address: Option<String>,
}

#[derive(Deserialize)]
struct VolumeBody {
    volumetype: String,
    #[serde(default, deserialize_with = "body::lenient_int")]
    size: Option<i64>,
    #[serde(default, deserialize_with = "body::lenient_bool")]
    delete_on_termination: Option<bool>,
}

#[derive(Deserialize)]
struct TagBody {
    key: String,
    /// A value that is not a string counts as empty.
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct HintsBody {
    dedicated_host_id: Option<String>,
}

impl ServerBody {
    fn into_spec(self) -> CreateSpec {
        let vpc_id = self.vpcid;
        // A NIC's subnet is its network; a port made beforehand is bound.
        let nics = self
            .nics
            .into_iter()
            .map(|n| NicSpec {
                network_id: n.subnet_id.unwrap_or_default(),
                ip_address: n.ip_address,
                port_id: n.port_id,
            })
            .collect();
        CreateSpec {
            name: self.name,
            image_id: self.image_ref,
            flavor_id: self.flavor_ref,
            count: self.count.unwrap_or(1),
            vpc_id: Some(vpc_id),
            nics,
            security_groups: self.security_groups.into_iter().map(|g| g.id).collect(),
            root_volume: self.root_volume.into_spec(),
            data_volumes: self.data_volumes.into_iter().map(VolumeBody::into_spec).collect(),
            availability_zone: self.availability_zone,
            key_name: self.key_name,
            user_data: self.user_data,
            metadata: self.metadata.unwrap_or_default(),
            tags: self
                .server_tags
                .into_iter()
                .map(|t| format!("{}={}", t.key, t.value.as_str().unwrap_or_default()))
                .collect(),
            description: self.description.unwrap_or_default(),
            dedicated_host_id: self.scheduler_hints.and_then(|h| h.dedicated_host_id),
            auto_rename: self.auto_rename.unwrap_or(true),
        }
    }
}

impl VolumeBody {
    fn into_spec(self) -> VolumeSpec {
        VolumeSpec {
            volume_type: self.volumetype,
            size_gb: self.size.unwrap_or(40),
            delete_on_termination: self.delete_on_termination.unwrap_or(false),
        }
    }
}

pub(super) async fn create(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let raw = body::json_object(req)?;
    let s = opt_obj(&raw, "server")?
        .ok_or_else(|| ControlError::bad_request("The request body must contain \"server\"."))?;
    let _ = opt_bool(&raw, "dry_run")?;
    check_server(s)?;
    let create: CreateBody = body::typed(&raw)?;
    let spec = create.server.into_spec();
    if create.dry_run.unwrap_or(false) {
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

/// Every check of the `server` object, in the order its faults are reported.
fn check_server(s: &Map<String, Value>) -> ControlResult<()> {
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
    for key in ["imageRef", "flavorRef", "vpcid"] {
        req_str(s, "server", key)?;
    }
    check_nics(s.get("nics"))?;
    let root = opt_obj(s, "root_volume")?.ok_or_else(|| ControlError::bad_request("root_volume is required."))?;
    check_volume(root, true)?;
    if let Some(Value::Array(items)) = s.get("data_volumes") {
        if items.len() > 23 {
            return Err(ControlError::bad_request("At most 23 data volumes."));
        }
        for v in items {
            let Value::Object(v) = v else {
                return Err(ControlError::bad_request("Each data volume must be an object."));
            };
            check_volume(v, false)?;
        }
    }
    opt_int(s, "count")?;
    match s.get("metadata") {
        None | Some(Value::Null) => {}
        Some(v) => {
            body::string_map(v, "metadata")?;
        }
    }
    if let Some(Value::Array(items)) = s.get("server_tags") {
        if items.len() > 10 {
            return Err(ControlError::bad_request("At most 10 server_tags."));
        }
        for t in items {
            if t.get("key").and_then(Value::as_str).unwrap_or_default().is_empty() {
                return Err(ControlError::bad_request("Each server tag needs a key."));
            }
        }
    }
    if let Some(h) = opt_obj(s, "os:scheduler_hints")? {
        opt_str(h, "dedicated_host_id")?;
    }
    let description = opt_str(s, "description")?.unwrap_or_default();
    if description.chars().count() > 85 || description.contains(['<', '>']) {
        return Err(ControlError::bad_request(
            "description is at most 85 characters without '<' or '>'.",
        ));
    }
    for key in ["availability_zone", "key_name", "user_data"] {
        opt_str(s, key)?;
    }
    opt_bool(s, "isAutoRename")?;
    if let Some(p) = opt_str(s, "adminPass")? {
        check_password(&p)?;
    }
    Ok(())
}

fn check_nics(nics: Option<&Value>) -> ControlResult<()> {
    let nics = match nics {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= 12 => items,
        _ => return Err(ControlError::bad_request("nics must be a list of 1 to 12 NICs.")),
    };
    for n in nics {
        let Value::Object(n) = n else {
            return Err(ControlError::bad_request("Each NIC must be an object."));
        };
        let subnet = opt_str(n, "subnet_id")?;
        let port = opt_str(n, "port_id")?;
        if subnet.or(port).is_none() {
            return Err(ControlError::bad_request("Each NIC needs subnet_id."));
        }
        opt_str(n, "ip_address")?;
    }
    Ok(())
}

fn check_volume(v: &Map<String, Value>, root: bool) -> ControlResult<()> {
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
    opt_bool(v, "delete_on_termination")?;
    Ok(())
}

// ---------------------------------------------------------------- delete

/// `POST /cloudservers/delete`.
#[derive(Deserialize)]
struct DeleteBody {
    servers: Vec<ServerRef>,
    #[serde(default, deserialize_with = "body::lenient_bool")]
    delete_volume: Option<bool>,
}

pub(super) async fn delete(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let raw = body::json_object(req)?;
    check_servers(raw.get("servers"))?;
    opt_bool(&raw, "delete_publicip")?;
    opt_bool(&raw, "delete_volume")?;
    let delete: DeleteBody = body::typed(&raw)?;
    let ids = ServerRef::ids(delete.servers);
    let params = WorkInput::Delete(DeleteInput {
        delete_data_volumes: delete.delete_volume.unwrap_or(false),
    });
    let job_id = st
        .service
        .batch(&req.caller, OpId::HwDelete, &ids, params, &req.request_id)
        .await?;
    Ok(job_accepted(&job_id))
}

pub(super) async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let (server, vols, ports) = st
        .service
        .read_server_view(&req.caller, OpId::HwShowServer, req.param("server_id"))
        .await?;
    let view = server_view(st, &server, &vols, &ports);
    Ok(Json(json!({ "server": view })).into_response())
}

pub(super) async fn list(st: &Arc<AppState>, req: &Req) -> ApiResult {
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
        count_total: true,
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
