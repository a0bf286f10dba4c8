//! A server's NICs: the list (`os-interface`), and batches that add NICs
//! on subnets (`nics`) or delete them (`nics/delete`), answered with one
//! job whose sub-jobs are the NICs.

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Map, Value};

use super::job_accepted;
use crate::api::body;
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::{InterfaceSpec, JobOrigin, MAX_INTERFACES};
use crate::domain::{ControlError, ControlResult, Port};

fn nic_view(p: &Port) -> Value {
    json!({
        "port_state": p.status,
        "fixed_ips": [{"subnet_id": p.subnet_id, "ip_address": p.ip_address}],
        "net_id": p.network_id,
        "port_id": p.id,
        "mac_addr": p.mac_address,
        "driver_mode": "virtio",
        "pci_address": "",
    })
}

pub(super) async fn list(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let (_, _, ports) = st
        .service
        .read_server_view(&req.caller, OpId::HwListInterfaces, req.param("server_id"))
        .await?;
    let items: Vec<Value> = ports.iter().map(nic_view).collect();
    Ok(Json(json!({ "interfaceAttachments": items })).into_response())
}

/// The body's `nics`: 1 to [`MAX_INTERFACES`] objects.
fn nics(req: &Req) -> ControlResult<Vec<Map<String, Value>>> {
    body::check_content_type(req)?;
    let outer = body::json_object(req)?;
    body::only_keys(&outer, &["nics"])?;
    let bad = |m: &str| ControlError::bad_request_code("Ecs.0005", m.to_string());
    let Some(Value::Array(items)) = outer.get("nics") else {
        return Err(bad("The nics list is required."));
    };
    if items.is_empty() || items.len() > MAX_INTERFACES {
        return Err(bad(&format!("The nics list must hold 1 to {MAX_INTERFACES} NICs.")));
    }
    items
        .iter()
        .map(|n| match n {
            Value::Object(m) => Ok(m.clone()),
            _ => Err(bad("Each NIC must be an object.")),
        })
        .collect()
}

pub(super) async fn add(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let nics = nics(req)?;
    let mut specs = Vec::new();
    for n in &nics {
        body::only_keys(
            n,
            &[
                "subnet_id",
                "port_id",
                "security_groups",
                "ip_address",
                "ipv6_enable",
                "ipv6_bandwidth",
                "efi_enable",
            ],
        )?;
        // A port made first, or a new one on the subnet.
        let port_id = body::opt_str(n, "port_id")?;
        let subnet = body::opt_str(n, "subnet_id")?;
        if port_id.is_none() && subnet.is_none() {
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                "Each NIC needs a subnet_id or a port_id.",
            ));
        }
        let groups = match n.get("security_groups") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(gs)) => {
                gs.iter()
                    .map(|g| {
                        g.get("id").and_then(Value::as_str).map(str::to_string).ok_or_else(|| {
                            ControlError::bad_request_code("Ecs.0005", "Each security group needs an id.")
                        })
                    })
                    .collect::<ControlResult<_>>()?
            }
            Some(_) => {
                return Err(ControlError::bad_request_code(
                    "Ecs.0005",
                    "security_groups must be a list.",
                ))
            }
        };
        specs.push(InterfaceSpec {
            port_id,
            network_id: subnet,
            ip_address: body::opt_str(n, "ip_address")?,
            security_groups: groups,
            within_server_vpc: true,
        });
    }
    let svc = &st.service;
    let parent = svc.nic_batch(&req.caller, OpId::HwAddNics, &req.request_id).await?;
    for spec in specs {
        svc.attach_interface(
            &req.caller,
            OpId::HwAddNics,
            req.param("server_id"),
            spec,
            JobOrigin {
                request_id: &req.request_id,
                parent: Some(&parent.id),
            },
        )
        .await?;
    }
    let job_id = svc.finish_nic_batch(parent, nics.len()).await?;
    Ok(job_accepted(&job_id))
}

pub(super) async fn delete(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let nics = nics(req)?;
    let mut ids = Vec::new();
    for n in &nics {
        body::only_keys(n, &["id"])?;
        ids.push(
            body::req_str(n, "nics", "id").map_err(|e| ControlError::bad_request_code("Ecs.0005", e.to_string()))?,
        );
    }
    let svc = &st.service;
    let parent = svc.nic_batch(&req.caller, OpId::HwDeleteNics, &req.request_id).await?;
    for id in &ids {
        svc.detach_interface(
            &req.caller,
            OpId::HwDeleteNics,
            req.param("server_id"),
            id,
            true,
            JobOrigin {
                request_id: &req.request_id,
                parent: Some(&parent.id),
            },
        )
        .await?;
    }
    let job_id = svc.finish_nic_batch(parent, ids.len()).await?;
    Ok(job_accepted(&job_id))
}
