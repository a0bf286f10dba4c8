//! The Nova dialect: `/v2` and `/v2.1` servers, actions, instance actions
//! and flavors, with the server representation of each microversion.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::body::{self, invalid, only_keys, opt_str, py};
use super::{ApiResult, AppState, Req};
use crate::catalog::{Endpoint, OpId};
use crate::control::service::{CreateSpec, NicSpec, VolumeSpec};
use crate::control::workflows::{DeleteInput, LockInput, RebootInput, RebuildInput, ResizeInput, StopInput, WorkInput};
use crate::domain::{is_uuid, ControlError, Flavor, InstanceAction, Port, Server, Volume};
use crate::domain::{Page, ServerFilter};
use crate::domain::{DEFAULT_SUBNET_ID, DEFAULT_VPC_ID};

pub async fn handle(st: &Arc<AppState>, endpoint: Endpoint, req: &Req) -> ApiResult {
    use axum::http::Method;
    match (endpoint, &req.method) {
        (Endpoint::NovaServers, &Method::POST) => create(st, req).await,
        (Endpoint::NovaServers, _) => list(st, req, false).await,
        (Endpoint::NovaServersDetail, _) => list(st, req, true).await,
        (Endpoint::NovaServer, &Method::DELETE) => delete(st, req).await,
        (Endpoint::NovaServer, _) => show(st, req).await,
        (Endpoint::NovaServerAction, _) => action(st, req).await,
        (Endpoint::NovaInstanceActions, _) => instance_actions(st, req).await,
        (Endpoint::NovaInstanceAction, _) => instance_action(st, req).await,
        (Endpoint::NovaFlavors, _) => flavors(st, req, false).await,
        (Endpoint::NovaFlavorsDetail, _) => flavors(st, req, true).await,
        (Endpoint::NovaFlavor, _) => flavor(st, req).await,
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

fn secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Nova's naive timestamps (no zone, microseconds).
fn naive(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

fn version_prefix(req: &Req) -> &'static str {
    if req.path.starts_with("/v2/") {
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

// ---------------------------------------------------------------- views

/// The server as `GET /servers/{id}` shows it at the request's microversion.
pub fn server_view(st: &AppState, req: &Req, s: &Server, vols: &[Volume], ports: &[Port], detail_list: bool) -> Value {
    let mv = req.mv;
    let inv = st.service.as_ref();
    let mut addresses: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in ports {
        addresses.entry(p.network_id.clone()).or_default().push(json!({
            "version": 4,
            "addr": p.ip_address,
            "OS-EXT-IPS:type": "fixed",
            "OS-EXT-IPS-MAC:mac_addr": p.mac_address,
        }));
    }
    let volumes: Vec<Value> = vols
        .iter()
        .map(|v| {
            if mv.at_least(3) {
                json!({"id": v.id, "delete_on_termination": v.delete_on_termination})
            } else {
                json!({"id": v.id})
            }
        })
        .collect();
    let flavor = if mv.at_least(47) {
        let f = inv.flavor(&s.flavor_id);
        json!({
            "vcpus": f.map(|f| f.vcpus).unwrap_or(0),
            "ram": f.map(|f| f.ram_mb).unwrap_or(0),
            "disk": f.map(|f| f.disk_gb).unwrap_or(0),
            "ephemeral": 0,
            "swap": 0,
            "original_name": s.flavor_id,
            "extra_specs": f.map(extra_specs).unwrap_or(json!({})),
        })
    } else {
        json!({"id": s.flavor_id, "links": [{"rel": "bookmark", "href": format!("{}/{}/flavors/{}", st.public_url, req.caller.project_id, s.flavor_id)}]})
    };
    let mut image = json!({"id": s.image_id, "links": [{"rel": "bookmark", "href": format!("{}/{}/images/{}", st.public_url, req.caller.project_id, s.image_id)}]});
    if mv.at_least(98) {
        image["properties"] = json!({});
    }
    let status = s.status();
    let mut v = json!({
        "id": s.id,
        "name": s.name,
        "status": status,
        "tenant_id": s.project_id,
        "user_id": s.user_id,
        "metadata": s.metadata,
        "hostId": s.host_id_hash(),
        "image": image,
        "flavor": flavor,
        "created": secs(s.created),
        "updated": secs(s.updated),
        "addresses": addresses,
        "accessIPv4": "",
        "accessIPv6": "",
        "links": links(st, req, "servers", &s.id),
        "OS-DCF:diskConfig": "MANUAL",
        "OS-EXT-AZ:availability_zone": s.availability_zone,
        "config_drive": "",
        "key_name": s.key_name,
        "OS-SRV-USG:launched_at": s.launched_at.map(naive),
        "OS-SRV-USG:terminated_at": s.terminated_at.map(naive),
        "OS-EXT-STS:task_state": s.task_state.map(|t| t.as_str()),
        "OS-EXT-STS:vm_state": s.vm_state.as_str(),
        "OS-EXT-STS:power_state": s.power_state.code(),
        "os-extended-volumes:volumes_attached": volumes,
        "security_groups": [{"name": "default"}],
    });
    let Value::Object(m) = &mut v else { return v };
    if matches!(
        status,
        "ACTIVE" | "BUILD" | "REBUILD" | "RESIZE" | "VERIFY_RESIZE" | "MIGRATING"
    ) {
        m.insert("progress".into(), json!(0));
    }
    if let Some(f) = &s.fault {
        if matches!(status, "ERROR" | "DELETED") {
            m.insert(
                "fault".into(),
                json!({"code": f.code, "created": secs(f.created), "message": f.message}),
            );
        }
    }
    if mv.at_least(9) {
        m.insert("locked".into(), json!(s.locked));
    }
    if mv.at_least(19) {
        m.insert(
            "description".into(),
            if s.description.is_empty() {
                Value::Null
            } else {
                json!(s.description)
            },
        );
    }
    if mv.at_least(26) {
        m.insert("tags".into(), json!(s.tags));
    }
    if mv.at_least(63) {
        m.insert("trusted_image_certificates".into(), Value::Null);
    }
    if mv.at_least(71) && !detail_list {
        m.insert("server_groups".into(), json!([]));
    }
    if mv.at_least(73) {
        m.insert("locked_reason".into(), json!(s.locked_reason));
    }
    if mv.at_least(90) {
        m.insert("OS-EXT-SRV-ATTR:hostname".into(), json!(s.name.to_lowercase()));
    }
    if mv.at_least(96) {
        m.insert("pinned_availability_zone".into(), Value::Null);
    }
    if mv.at_least(100) {
        let mut hints = Map::new();
        if let Some(d) = &s.dedicated_host_id {
            hints.insert("dedicated_host_id".into(), json!([d]));
        }
        m.insert("scheduler_hints".into(), Value::Object(hints));
    }
    v
}

fn extra_specs(f: &Flavor) -> Value {
    json!({
        "ecs:performancetype": f.performance_type,
        "ecs:instance_architecture": f.arch,
        "cond:operation:status": f.sale_status,
    })
}

/// The rebuild response: the show view, trimmed to the fields Nova returns
/// before 2.75, plus the admin password.
fn rebuild_view(st: &AppState, req: &Req, s: &Server, vols: &[Volume], ports: &[Port], admin_pass: &str) -> Value {
    let mut v = server_view(st, req, s, vols, ports, false);
    if let Value::Object(m) = &mut v {
        if !req.mv.at_least(75) {
            for k in [
                "OS-EXT-AZ:availability_zone",
                "config_drive",
                "key_name",
                "OS-SRV-USG:launched_at",
                "OS-SRV-USG:terminated_at",
                "OS-EXT-STS:task_state",
                "OS-EXT-STS:vm_state",
                "OS-EXT-STS:power_state",
                "os-extended-volumes:volumes_attached",
                "security_groups",
            ] {
                m.remove(k);
            }
            if req.mv.at_least(54) {
                m.insert("key_name".into(), json!(s.key_name));
            }
            for a in m
                .get_mut("addresses")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flat_map(|a| a.values_mut())
            {
                for item in a.as_array_mut().into_iter().flatten() {
                    if let Value::Object(o) = item {
                        o.retain(|k, _| k == "addr" || k == "version");
                    }
                }
            }
        }
        if req.mv.at_least(57) {
            m.insert("user_data".into(), json!(s.user_data));
        }
        m.insert("adminPass".into(), json!(admin_pass));
    }
    v
}

// ---------------------------------------------------------------- servers

async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let s = st
        .service
        .read_server(&req.caller, OpId::NovaShowServer, req.param("server_id"))
        .await?;
    let (vols, ports) = st.service.volumes_and_ports(&s.id).await?;
    Ok(Json(json!({"server": server_view(st, req, &s, &vols, &ports, false)})).into_response())
}

async fn list(st: &Arc<AppState>, req: &Req, detail: bool) -> ApiResult {
    let mut filter = ServerFilter::default();
    let mut limit = 1000usize;
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
    let page = Page {
        limit,
        offset: 0,
        after_seq,
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

async fn delete(st: &Arc<AppState>, req: &Req) -> ApiResult {
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

async fn create(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let body = body::json_object(req)?;
    let s = match body.get("server") {
        Some(Value::Object(m)) => m,
        Some(v) => return Err(invalid("server", v, &format!("{} is not of type 'object'", py(v)))),
        None => return Err(ControlError::bad_request("'server' is a required property")),
    };
    let name = body::req_str(s, "server", "name")?;
    if name.trim() != name || name.chars().count() > 255 {
        return Err(invalid(
            "name",
            &json!(name),
            "must be 1-255 characters without leading or trailing spaces",
        ));
    }
    let image_id = match s.get("imageRef") {
        Some(Value::String(i)) => i.rsplit('/').next().unwrap_or_default().to_string(),
        _ => {
            return Err(ControlError::bad_request(
                "Block device mapping is not supported: give imageRef.",
            ))
        }
    };
    let flavor_id = match s.get("flavorRef") {
        Some(Value::String(f)) => f.rsplit('/').next().unwrap_or_default().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(invalid(
                "server",
                &Value::Object(s.clone()),
                "'flavorRef' is a required property",
            ))
        }
    };
    let mut nics = Vec::new();
    match s.get("networks") {
        None if req.mv.at_least(37) => {
            return Err(invalid(
                "server",
                &Value::Object(s.clone()),
                "'networks' is a required property",
            ));
        }
        None | Some(Value::Null) => nics.push(default_nic()),
        Some(Value::String(a)) if a == "auto" => nics.push(default_nic()),
        Some(Value::String(a)) if a == "none" => {}
        Some(Value::Array(items)) => {
            for n in items {
                let uuid = n.get("uuid").and_then(Value::as_str);
                let Some(net) = uuid else {
                    return Err(ControlError::bad_request(
                        "Each network needs a uuid (ports are not supported).",
                    ));
                };
                if !is_uuid(net) {
                    return Err(ControlError::bad_request(format!(
                        "Bad networks format: network uuid is not in proper format ({net})"
                    )));
                }
                nics.push(NicSpec {
                    network_id: net.to_string(),
                    subnet_id: net.to_string(),
                    ip_address: n.get("fixed_ip").and_then(Value::as_str).map(str::to_string),
                });
            }
        }
        Some(v) => return Err(invalid("networks", v, "must be 'auto', 'none' or a list")),
    }
    let metadata = match s.get("metadata") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(v) => body::string_map(v, "metadata")?,
    };
    let count = s.get("min_count").and_then(Value::as_i64).unwrap_or(1);
    let tags = match s.get("tags") {
        Some(Value::Array(t)) => t.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let hints = body
        .get("os:scheduler_hints")
        .or(body.get("OS-SCH-HNT:scheduler_hints"));
    let dedicated = hints
        .and_then(|h| h.get("dedicated_host_id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let min_disk = st
        .service
        .inventory
        .image(&image_id)
        .map(|i| i.min_disk_gb)
        .unwrap_or(0);
    let spec = CreateSpec {
        name,
        image_id,
        flavor_id,
        count,
        vpc_id: nics
            .first()
            .map(|n| n.network_id.clone())
            .unwrap_or(DEFAULT_VPC_ID.to_string()),
        nics,
        root_volume: VolumeSpec {
            volume_type: "SSD".into(),
            size_gb: min_disk.max(40),
            delete_on_termination: true,
        },
        data_volumes: Vec::new(),
        availability_zone: opt_str(s, "availability_zone")?
            .map(|z| z.split(':').next().unwrap_or_default().to_string()),
        key_name: opt_str(s, "key_name")?,
        user_data: opt_str(s, "user_data")?,
        metadata,
        tags,
        description: opt_str(s, "description")?.unwrap_or_default(),
        dedicated_host_id: dedicated,
        auto_rename: true,
    };
    let admin_pass = opt_str(s, "adminPass")?.unwrap_or_else(|| crate::control::identity::random_secret(9));
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
    let mut resp = (StatusCode::ACCEPTED, Json(view)).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!(
        "{}/{}/{}/servers/{}",
        st.public_url,
        version_prefix(req),
        req.caller.project_id,
        first.id
    )) {
        resp.headers_mut().insert("location", loc);
    }
    Ok(resp)
}

fn default_nic() -> NicSpec {
    NicSpec {
        network_id: DEFAULT_VPC_ID.into(),
        subnet_id: DEFAULT_SUBNET_ID.into(),
        ip_address: None,
    }
}

// ---------------------------------------------------------------- actions

async fn action(st: &Arc<AppState>, req: &Req) -> ApiResult {
    body::check_content_type(req)?;
    let parsed: Value =
        serde_json::from_slice(&req.body).map_err(|_| ControlError::bad_request("Malformed request body"))?;
    let Value::Object(obj) = parsed else {
        return Err(ControlError::bad_request("Malformed request body"));
    };
    if obj.len() != 1 {
        return Err(ControlError::bad_request("Malformed request body"));
    }
    let Some((key, value)) = obj.into_iter().next() else {
        return Err(ControlError::bad_request("Malformed request body"));
    };
    let server_id = req.param("server_id").to_string();
    let legacy = req.path.starts_with("/v2/");
    let (op, input) = match key.as_str() {
        "os-start" => (OpId::NovaStart, WorkInput::Start),
        "os-stop" => {
            // Huawei's optional {"type": "SOFT"|"HARD"}; stock Nova ignores the value.
            let hard = value
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("HARD"));
            (OpId::NovaStop, WorkInput::Stop(StopInput { hard }))
        }
        "reboot" => {
            let Value::Object(m) = &value else {
                return Err(invalid(
                    "reboot",
                    &value,
                    &format!("{} is not of type 'object'", py(&value)),
                ));
            };
            let t = match m.get("type") {
                Some(Value::String(t)) if ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"].contains(&t.as_str()) => {
                    t.to_ascii_uppercase()
                }
                Some(v) => {
                    return Err(invalid(
                        "type",
                        v,
                        &format!(
                            "'{}' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
                            py(v)
                        ),
                    ))
                }
                None => return Err(invalid("reboot", &value, "'type' is a required property")),
            };
            if !legacy {
                only_keys(m, &["type"])?;
            }
            let hard = t == "HARD";
            let op = if hard {
                OpId::NovaRebootHard
            } else {
                OpId::NovaRebootSoft
            };
            (op, WorkInput::Reboot(RebootInput { hard }))
        }
        "resize" => {
            let Value::Object(m) = &value else {
                return Err(invalid(
                    "resize",
                    &value,
                    &format!("{} is not of type 'object'", py(&value)),
                ));
            };
            let flavor = match m.get("flavorRef") {
                Some(Value::String(f)) if !f.is_empty() => f.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(v @ Value::String(_)) => return Err(invalid("flavorRef", v, "'' should be non-empty")),
                Some(v) => {
                    return Err(invalid(
                        "flavorRef",
                        v,
                        &format!("{} is not of type 'string', 'integer'", py(v)),
                    ))
                }
                None => return Err(invalid("resize", &value, "'flavorRef' is a required property")),
            };
            if let Some(dc) = m.get("OS-DCF:diskConfig") {
                if dc != "AUTO" && dc != "MANUAL" {
                    return Err(invalid(
                        "OS-DCF:diskConfig",
                        dc,
                        &format!("'{}' is not one of ['AUTO', 'MANUAL']", py(dc)),
                    ));
                }
            }
            if !legacy {
                // Huawei adds dedicated_host_id for servers on a DeH.
                only_keys(m, &["flavorRef", "OS-DCF:diskConfig", "dedicated_host_id"])?;
            }
            (OpId::NovaResize, WorkInput::Resize(ResizeInput { flavor_id: flavor }))
        }
        "confirmResize" => (OpId::NovaConfirmResize, WorkInput::ConfirmResize),
        "revertResize" => (OpId::NovaRevertResize, WorkInput::RevertResize),
        "rebuild" => return rebuild(st, req, &server_id, value).await,
        "lock" => {
            let mut reason = None;
            if req.mv.at_least(73) {
                match &value {
                    Value::Null => {}
                    Value::Object(m) => {
                        only_keys(m, &["locked_reason"])?;
                        match m.get("locked_reason") {
                            None => {}
                            Some(Value::String(r)) if !r.is_empty() && r.chars().count() <= 255 => {
                                reason = Some(r.clone())
                            }
                            Some(v @ Value::String(_)) => {
                                return Err(invalid("locked_reason", v, "'' should be non-empty"))
                            }
                            Some(v) => {
                                return Err(invalid(
                                    "locked_reason",
                                    v,
                                    &format!("{} is not of type 'string'", py(v)),
                                ))
                            }
                        }
                    }
                    v => {
                        return Err(invalid(
                            "lock",
                            v,
                            &format!("'{}' is not of type 'object', 'null'", py(v)),
                        ))
                    }
                }
            }
            (OpId::NovaLock, WorkInput::Lock(LockInput { reason }))
        }
        "unlock" => (OpId::NovaUnlock, WorkInput::Unlock),
        other => return Err(ControlError::bad_request(format!("There is no such action: {other}"))),
    };
    st.service
        .act(&req.caller, op, &server_id, input, &req.request_id)
        .await?;
    Ok(empty(if op == OpId::NovaConfirmResize {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    }))
}

async fn rebuild(st: &Arc<AppState>, req: &Req, server_id: &str, value: Value) -> ApiResult {
    let Value::Object(m) = &value else {
        return Err(invalid(
            "rebuild",
            &value,
            &format!("{} is not of type 'object'", py(&value)),
        ));
    };
    let mut allowed = vec![
        "imageRef",
        "name",
        "adminPass",
        "metadata",
        "preserve_ephemeral",
        "OS-DCF:diskConfig",
        "accessIPv4",
        "accessIPv6",
    ];
    let mv = req.mv;
    if !mv.at_least(57) {
        allowed.push("personality");
    }
    if mv.at_least(19) {
        allowed.push("description");
    }
    if mv.at_least(54) {
        allowed.push("key_name");
    }
    if mv.at_least(57) {
        allowed.push("user_data");
    }
    if mv.at_least(63) {
        allowed.push("trusted_image_certificates");
    }
    if mv.at_least(90) {
        allowed.push("hostname");
    }
    if !req.path.starts_with("/v2/") {
        only_keys(m, &allowed)?;
    }
    let image = match m.get("imageRef") {
        Some(Value::String(i)) if is_uuid(i) => i.clone(),
        Some(v) => return Err(invalid("imageRef", v, &format!("'{}' is not a 'uuid'", py(v)))),
        None => return Err(invalid("rebuild", &value, "'imageRef' is a required property")),
    };
    let mut params = RebuildInput {
        image_id: image,
        ..RebuildInput::default()
    };
    if let Some(n) = opt_str(m, "name")? {
        if n.is_empty() || n.trim() != n || n.chars().count() > 255 {
            return Err(invalid(
                "name",
                &json!(n),
                "must be 1-255 characters without leading or trailing spaces",
            ));
        }
        params.rename = Some(n);
    }
    if let Some(md) = m.get("metadata") {
        params.metadata = Some(body::string_map(md, "metadata")?);
    }
    if let Some(k) = m.get("key_name") {
        params.key_name = Some(k.as_str().map(str::to_string));
    }
    if let Some(u) = m.get("user_data") {
        params.user_data = Some(u.as_str().map(str::to_string));
    }
    if let Some(d) = m.get("description") {
        params.description = Some(d.as_str().map(str::to_string));
    }
    let admin_pass = opt_str(m, "adminPass")?.unwrap_or_else(|| crate::control::identity::random_secret(9));
    let accepted = st
        .service
        .act(
            &req.caller,
            OpId::NovaRebuild,
            server_id,
            WorkInput::Rebuild(params.clone()),
            &req.request_id,
        )
        .await?;
    // The body shows the server as the rebuild begins: REBUILD, new image.
    let mut shown = accepted.server.clone();
    shown.image_id = params.image_id.clone();
    if let Some(n) = &params.rename {
        shown.name = n.clone();
    }
    if let Some(md) = &params.metadata {
        shown.metadata = md.clone();
    }
    let (vols, ports) = st.service.volumes_and_ports(&shown.id).await?;
    let view = rebuild_view(st, req, &shown, &vols, &ports, &admin_pass);
    let mut resp = (StatusCode::ACCEPTED, Json(json!({ "server": view }))).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!(
        "{}/{}/{}/servers/{}",
        st.public_url,
        version_prefix(req),
        req.caller.project_id,
        shown.id
    )) {
        resp.headers_mut().insert("location", loc);
    }
    Ok(resp)
}

// ---------------------------------------------------------------- instance actions

fn action_view(req: &Req, a: &InstanceAction, with_events: bool) -> Value {
    let mut v = json!({
        "action": a.action,
        "instance_uuid": a.server_id,
        "message": a.message,
        "project_id": a.project_id,
        "request_id": a.request_id,
        "start_time": naive(a.start_time),
        "user_id": a.user_id,
    });
    if req.mv.at_least(58) {
        v["updated_at"] = json!(naive(a.updated_at));
    }
    if with_events {
        let events: Vec<Value> = a
            .events
            .iter()
            .rev()
            .map(|e| {
                let mut ev = json!({
                    "event": e.event,
                    "start_time": naive(e.start_time),
                    "finish_time": e.finish_time.map(naive),
                    "result": e.result,
                });
                if req.mv.at_least(62) {
                    ev["hostId"] = json!("");
                }
                ev
            })
            .collect();
        v["events"] = Value::Array(events);
    }
    v
}

async fn instance_actions(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let mut actions = st
        .service
        .instance_actions(&req.caller, OpId::NovaListInstanceActions, req.param("server_id"))
        .await?;
    if req.mv.at_least(58) {
        let q = req.query_pairs();
        if let Some((_, m)) = q.iter().find(|(k, _)| k == "marker") {
            let pos = actions
                .iter()
                .position(|a| &a.request_id == m)
                .ok_or_else(|| ControlError::bad_request(format!("Marker {m} could not be found.")))?;
            actions.drain(..=pos);
        }
        if let Some((_, l)) = q.iter().find(|(k, _)| k == "limit") {
            let n: usize = l
                .parse()
                .map_err(|_| ControlError::bad_request("limit must be an integer"))?;
            actions.truncate(n);
        }
    }
    let items: Vec<Value> = actions.iter().map(|a| action_view(req, a, false)).collect();
    Ok(Json(json!({ "instanceActions": items })).into_response())
}

async fn instance_action(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let a = st
        .service
        .instance_action(
            &req.caller,
            OpId::NovaShowInstanceAction,
            req.param("server_id"),
            req.param("request_id"),
        )
        .await?;
    // Owners see events from 2.51 (Nova's default policy for non-admins).
    Ok(Json(json!({ "instanceAction": action_view(req, &a, req.mv.at_least(51)) })).into_response())
}

// ---------------------------------------------------------------- flavors

fn nova_flavor(st: &AppState, req: &Req, f: &Flavor, detail: bool) -> Value {
    let mut v = json!({"id": f.id, "name": f.name, "links": links(st, req, "flavors", &f.id)});
    if req.mv.at_least(55) {
        v["description"] = Value::Null;
    }
    if detail {
        v["ram"] = json!(f.ram_mb);
        v["vcpus"] = json!(f.vcpus);
        v["disk"] = json!(f.disk_gb);
        v["swap"] = if req.mv.at_least(75) { json!(0) } else { json!("") };
        v["OS-FLV-EXT-DATA:ephemeral"] = json!(0);
        v["OS-FLV-DISABLED:disabled"] = json!(f.disabled);
        v["os-flavor-access:is_public"] = json!(true);
        v["rxtx_factor"] = json!(1.0);
        if req.mv.at_least(61) {
            v["extra_specs"] = extra_specs(f);
        }
    }
    v
}

async fn flavors(st: &Arc<AppState>, req: &Req, detail: bool) -> ApiResult {
    st.service.authorize(&req.caller, OpId::NovaListFlavors, None).await?;
    let q = req.query_pairs();
    let num = |k: &str| {
        q.iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.parse::<i64>().ok())
    };
    let (min_ram, min_disk) = (num("minRam"), num("minDisk"));
    let items: Vec<Value> = st
        .service
        .inventory
        .flavors()
        .iter()
        .filter(|f| !f.disabled)
        .filter(|f| min_ram.is_none_or(|m| f.ram_mb >= m) && min_disk.is_none_or(|m| f.disk_gb >= m))
        .map(|f| nova_flavor(st, req, f, detail))
        .collect();
    Ok(Json(json!({ "flavors": items })).into_response())
}

async fn flavor(st: &Arc<AppState>, req: &Req) -> ApiResult {
    st.service.authorize(&req.caller, OpId::NovaShowFlavor, None).await?;
    let id = req.param("flavor_id");
    let f = st.service.flavor(id).ok_or_else(|| ControlError::NotFound {
        code: "Ecs.0029",
        message: format!("Flavor {id} could not be found."),
    })?;
    Ok(Json(json!({ "flavor": nova_flavor(st, req, f, true) })).into_response())
}
