//! Huawei EIP: elastic IPs at `/v1/{project_id}/publicips` (and v3's bind
//! and unbind), over the same records as Neutron's floating IPs: an EIP is
//! a floating IP of the external network, with an alias and a dedicated
//! bandwidth. Bodies and statuses as huaweicloudsdkeip reads them (create
//! 200, release 204); errors in VPC's `{"code","message"}` form.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::{filtered, known_keys, no_content, ok, page, stamp, text, wrapped};
use crate::api::{body, ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::NewFloatingIp;
use crate::domain::vpc::codes;
use crate::domain::{uuid_id, Bandwidth, ControlError, ControlResult, FloatingIp, EXTERNAL_NETWORK_ID};

const CODE: &str = codes::FLOATING_INVALID;

/// Largest dedicated bandwidth in Mbit/s (UNCONFIRMED: Huawei's limit
/// depends on the region; 2,000 is its common maximum).
const MAX_BANDWIDTH: i64 = 2000;

pub async fn handle(st: &Arc<AppState>, op: OpId, req: &Req) -> ApiResult {
    let svc = &st.service;
    let c = &req.caller;
    match op {
        OpId::EipCreate => {
            let mut outer = body::json_object(req).map_err(|e| super::recode(e, CODE))?;
            known_keys(&outer, &["publicip", "bandwidth", "enterprise_project_id"], CODE)?;
            let ip = object(&mut outer, "publicip")?;
            known_keys(&ip, &["type", "ip_version", "ip_address", "alias", "port_id"], CODE)?;
            match text(&ip, "type", CODE)?.as_deref() {
                None | Some("5_bgp" | "5_sbgp") => {}
                Some(t) => return Err(invalid(format!("Invalid publicip type {t}."))),
            }
            if let Some(v) = ip.get("ip_version").filter(|v| !v.is_null()) {
                if v.as_i64() != Some(4) {
                    return Err(invalid("Only IPv4 (ip_version 4) elastic IPs are supported."));
                }
            }
            let bw = object(&mut outer, "bandwidth")?;
            let bandwidth = new_bandwidth(&bw)?;
            let f = svc
                .create_floating_ip(
                    c,
                    NewFloatingIp {
                        floating_network_id: EXTERNAL_NETWORK_ID.into(),
                        floating_ip_address: text(&ip, "ip_address", CODE)?,
                        port_id: text(&ip, "port_id", CODE)?.filter(|p| !p.is_empty()),
                        description: String::new(),
                        alias: text(&ip, "alias", CODE)?.unwrap_or_default(),
                        bandwidth: Some(bandwidth),
                    },
                )
                .await?;
            // The create answer carries no bandwidth id or port (Huawei's).
            let mut view = eip_view(&f);
            if let Value::Object(m) = &mut view {
                for k in [
                    "bandwidth_id",
                    "bandwidth_name",
                    "bandwidth_share_type",
                    "port_id",
                    "private_ip_address",
                ] {
                    m.remove(k);
                }
            }
            ok(json!({ "publicip": view }))
        }
        OpId::EipList => {
            let items: Vec<Value> = svc.floating_ips(c).await?.iter().map(eip_view).collect();
            let q = req.query_pairs();
            let items = filtered(
                items,
                &q,
                &[
                    "limit",
                    "marker",
                    "enterprise_project_id",
                    "ip_version",
                    "allow_share_bandwidth_type_any",
                ],
            );
            let (items, _) = page(items, &q, CODE)?;
            ok(json!({ "publicips": items }))
        }
        OpId::EipShow => {
            let f = svc.floating_ip(c, req.param("publicip_id")).await?;
            if req.path.starts_with("/v3/") {
                return ok(json!({"request_id": req.request_id, "publicip": v3_view(&f)}));
            }
            ok(json!({ "publicip": eip_view(&f) }))
        }
        OpId::EipUpdate => {
            let b = wrapped(req, "publicip", CODE)?;
            known_keys(&b, &["port_id", "ip_version", "alias"], CODE)?;
            let id = req.param("publicip_id");
            // With an alias the update renames and nothing else (Huawei's rule).
            let f = if let Some(alias) = text(&b, "alias", CODE)? {
                svc.rename_eip(c, id, alias).await?
            } else {
                match text(&b, "port_id", CODE)?.filter(|p| !p.is_empty()) {
                    Some(port) => svc.bind_eip(c, id, &port).await?,
                    None => svc.map_floating_ip(c, id, None).await?,
                }
            };
            ok(json!({ "publicip": eip_view(&f) }))
        }
        OpId::EipDelete => {
            svc.release_eip(c, req.param("publicip_id")).await?;
            no_content()
        }
        OpId::EipAssociate => {
            let b = wrapped(req, "publicip", CODE)?;
            known_keys(&b, &["associate_instance_type", "associate_instance_id"], CODE)?;
            match text(&b, "associate_instance_type", CODE)?.as_deref() {
                Some("PORT") => {}
                Some(other) => return Err(invalid(format!("Binding to {other} is not supported; bind to a PORT."))),
                None => return Err(invalid("associate_instance_type is required.")),
            }
            let port = text(&b, "associate_instance_id", CODE)?
                .ok_or_else(|| invalid("associate_instance_id is required."))?;
            let f = svc.bind_eip(c, req.param("publicip_id"), &port).await?;
            ok(json!({"request_id": req.request_id, "publicip": v3_view(&f)}))
        }
        OpId::EipDisassociate => {
            let f = svc.map_floating_ip(c, req.param("publicip_id"), None).await?;
            ok(json!({"request_id": req.request_id, "publicip": v3_view(&f)}))
        }
        other => Err(ControlError::internal(format!(
            "{} is not an EIP operation",
            other.name()
        ))),
    }
}

fn invalid(message: impl Into<String>) -> ControlError {
    ControlError::bad_request_code(CODE, message)
}

fn object(outer: &mut Map<String, Value>, key: &str) -> ControlResult<Map<String, Value>> {
    match outer.remove(key) {
        Some(Value::Object(m)) => Ok(m),
        _ => Err(invalid(format!("The {key} object is required."))),
    }
}

fn new_bandwidth(b: &Map<String, Value>) -> ControlResult<Bandwidth> {
    known_keys(b, &["name", "size", "share_type", "charge_mode", "id"], CODE)?;
    let bad = |m: &str| ControlError::bad_request_code(codes::BANDWIDTH_INVALID, m.to_string());
    match text(b, "share_type", CODE)?.as_deref() {
        Some("PER") => {}
        Some("WHOLE") => return Err(bad("Shared (WHOLE) bandwidths are not supported; use PER.")),
        _ => return Err(bad("Bandwidth name or share_type is invalid.")),
    }
    let name = text(b, "name", CODE)?.filter(|n| !n.is_empty() && n.chars().count() <= 64);
    let name = name.ok_or_else(|| bad("Bandwidth name or share_type is invalid."))?;
    let size = super::int(b, "size", CODE)?.ok_or_else(|| invalid("The bandwidth size is required."))?;
    if !(1..=MAX_BANDWIDTH).contains(&size) {
        return Err(invalid(format!(
            "Bandwidth size {size} must be 1 to {MAX_BANDWIDTH} Mbit/s."
        )));
    }
    let charge_mode = match text(b, "charge_mode", CODE)?.as_deref() {
        None => "bandwidth".to_string(),
        Some(m @ ("bandwidth" | "traffic")) => m.to_string(),
        Some(m) => return Err(invalid(format!("Invalid charge_mode {m}."))),
    };
    Ok(Bandwidth {
        id: uuid_id(),
        name,
        size,
        share_type: "PER".into(),
        charge_mode,
    })
}

/// v1's EIP: the port and private address only while bound.
fn eip_view(f: &FloatingIp) -> Value {
    let mut v = json!({
        "id": f.id,
        "status": if f.port_id.is_some() { "ACTIVE" } else { "DOWN" },
        "type": "5_bgp",
        "public_ip_address": f.floating_ip_address,
        "ip_version": 4,
        "tenant_id": f.project_id,
        "create_time": f.created.format("%Y-%m-%d %H:%M:%S").to_string(),
        "bandwidth_id": f.bandwidth.as_ref().map(|b| b.id.clone()),
        "bandwidth_name": f.bandwidth.as_ref().map(|b| b.name.clone()),
        "bandwidth_share_type": f.bandwidth.as_ref().map(|b| b.share_type.clone()),
        "bandwidth_size": f.bandwidth.as_ref().map(|b| b.size).unwrap_or(0),
        "enterprise_project_id": "0",
        "alias": f.alias,
        "public_border_group": "center",
        "allow_share_bandwidth_types": [],
        "tags": [],
    });
    if let (Some(port), Value::Object(m)) = (&f.port_id, &mut v) {
        m.insert("port_id".into(), json!(port));
        m.insert("private_ip_address".into(), json!(f.fixed_ip_address));
    }
    v
}

/// v3's EIP: the bound port as `vnic` and `associate_instance_*`.
fn v3_view(f: &FloatingIp) -> Value {
    json!({
        "id": f.id,
        "project_id": f.project_id,
        "ip_version": 4,
        "public_ip_address": f.floating_ip_address,
        "network_type": "5_bgp",
        "status": if f.port_id.is_some() { "ACTIVE" } else { "DOWN" },
        "description": f.description,
        "public_border_group": "center",
        "created_at": stamp(f.created),
        "updated_at": stamp(f.updated),
        "type": "EIP",
        "vnic": f.port_id.as_ref().map(|p| json!({"port_id": p, "private_ip_address": f.fixed_ip_address})),
        "bandwidth": f.bandwidth.as_ref().map(|b| json!({"id": b.id, "size": b.size, "share_type": b.share_type,
                                                        "charge_mode": b.charge_mode, "name": b.name})),
        "enterprise_project_id": "0",
        "associate_instance_type": f.port_id.as_ref().map(|_| "PORT"),
        "associate_instance_id": f.port_id,
        "publicip_pool_name": "5_bgp",
        "alias": f.alias,
        "tags": [],
    })
}
