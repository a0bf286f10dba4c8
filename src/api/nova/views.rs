//! The representations Nova answers with, per microversion: the server
//! (show, detail list, rebuild), the flavor and the instance action.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{links, naive, secs};
use crate::api::{AppState, Req};
use crate::domain::{Flavor, InstanceAction, Port, Server, Volume};

/// A server's addresses by network name as `GET /servers/{id}/ips` shows
/// them: fixed first, then a port's floating address.
pub fn ips_view(ports: &[Port]) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in ports {
        let key = if p.network_name.is_empty() {
            &p.network_id
        } else {
            &p.network_name
        };
        let entry = out.entry(key.clone()).or_default();
        entry.push(json!({"version": 4, "addr": p.ip_address}));
        if let Some(floating) = &p.floating_ip {
            entry.push(json!({"version": 4, "addr": floating}));
        }
    }
    out
}

/// The server as `GET /servers/{id}` shows it at the request's microversion.
pub fn server_view(st: &AppState, req: &Req, s: &Server, vols: &[Volume], ports: &[Port], detail_list: bool) -> Value {
    let mv = req.mv;
    let inv = st.service.as_ref();
    let mut addresses: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in ports {
        // Nova names a server's addresses by network name; ports written
        // before networks were records have only the id.
        let key = if p.network_name.is_empty() {
            &p.network_id
        } else {
            &p.network_name
        };
        let entry = addresses.entry(key.clone()).or_default();
        entry.push(json!({
            "version": 4,
            "addr": p.ip_address,
            "OS-EXT-IPS:type": "fixed",
            "OS-EXT-IPS-MAC:mac_addr": p.mac_address,
        }));
        if let Some(floating) = &p.floating_ip {
            entry.push(json!({
                "version": 4,
                "addr": floating,
                "OS-EXT-IPS:type": "floating",
                "OS-EXT-IPS-MAC:mac_addr": p.mac_address,
            }));
        }
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
        "security_groups": crate::domain::server_groups(ports).into_iter().map(|(_, name)| json!({"name": name})).collect::<Vec<_>>(),
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
pub(super) fn rebuild_view(
    st: &AppState,
    req: &Req,
    s: &Server,
    vols: &[Volume],
    ports: &[Port],
    admin_pass: &str,
) -> Value {
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

/// An instance action, with its events (newest first) where asked.
pub(super) fn action_view(req: &Req, a: &InstanceAction, with_events: bool) -> Value {
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

/// A flavor, brief or detailed.
pub(super) fn flavor_view(st: &AppState, req: &Req, f: &Flavor, detail: bool) -> Value {
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
