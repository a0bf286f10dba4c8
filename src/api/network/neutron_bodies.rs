//! Reading Neutron request bodies: rules, fixed IPs, lists of strings,
//! allocation pools and the project a body may name, each with Neutron's
//! messages (also used by Huawei's VPC v1 handlers, which share them).

use serde_json::{Map, Value};

use super::{int, required, text};
use crate::api::Req;
use crate::control::service::NewRule;
use crate::domain::vpc::codes;
use crate::domain::{AllocationPool, ControlError, ControlResult};

use super::neutron::{BAD, BAD_RULE};

/// A rule body of either dialect (they share Neutron's attribute names).
pub(super) fn new_rule(b: &Map<String, Value>) -> ControlResult<NewRule> {
    if b.get("remote_address_group_id").is_some_and(|v| !v.is_null()) {
        return Err(ControlError::bad_request_code(
            BAD_RULE,
            "Remote address groups are not supported.",
        ));
    }
    Ok(NewRule {
        security_group_id: required(b, "security_group_id", BAD_RULE)?,
        direction: required(b, "direction", BAD_RULE)?,
        ethertype: text(b, "ethertype", BAD_RULE)?,
        protocol: match b.get("protocol") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => text(b, "protocol", BAD_RULE)?,
        },
        port_range_min: int(b, "port_range_min", BAD_RULE)?,
        port_range_max: int(b, "port_range_max", BAD_RULE)?,
        remote_ip_prefix: text(b, "remote_ip_prefix", BAD_RULE)?,
        remote_group_id: text(b, "remote_group_id", BAD_RULE)?,
        description: text(b, "description", BAD_RULE)?.unwrap_or_default(),
    })
}

/// The one fixed IP a port may ask for: a subnet, an address, or both.
pub(super) fn fixed_ip(b: &Map<String, Value>) -> ControlResult<(Option<String>, Option<String>)> {
    match b.get("fixed_ips") {
        None | Some(Value::Null) => Ok((None, None)),
        Some(Value::Array(items)) if items.is_empty() => Ok((None, None)),
        Some(Value::Array(items)) if items.len() == 1 => {
            let Value::Object(f) = &items[0] else {
                return Err(bad(
                    "Invalid input for fixed_ips. Reason: each entry must be an object.",
                ));
            };
            Ok((text(f, "subnet_id", BAD)?, text(f, "ip_address", BAD)?))
        }
        Some(Value::Array(_)) => Err(bad(
            "Invalid input for fixed_ips. Reason: ecsd takes one fixed IP per port.",
        )),
        Some(v) => Err(bad(&format!(
            "Invalid input for fixed_ips. Reason: '{v}' is not a list."
        ))),
    }
}

/// Address errors as Neutron words them: a taken address is
/// `IpAddressAlreadyAllocated` (409), any other bad address 400.
pub(super) fn neutron_address_errors(e: ControlError) -> ControlError {
    match e {
        ControlError::Conflict { message, .. } if message.contains("already in use") => ControlError::Conflict {
            code: codes::ADDRESS_IN_USE,
            message: message.replace("is already in use", "already allocated in the subnet"),
        },
        ControlError::BadRequest {
            code: "Ecs.0005",
            message,
        } => ControlError::BadRequest {
            code: codes::PORT_INVALID,
            message,
        },
        other => other,
    }
}

pub(super) fn bad(message: &str) -> ControlError {
    ControlError::bad_request_code(BAD, message)
}

/// A body naming another project is refused: only an administrator may
/// create for another project, and ecsd's Neutron has no such role.
pub(super) fn own_project(b: &Map<String, Value>, req: &Req) -> ControlResult<()> {
    for key in ["tenant_id", "project_id"] {
        if let Some(p) = text(b, key, BAD)? {
            if p != req.caller.project_id {
                return Err(ControlError::Forbidden {
                    missing: vec![format!("create:{key}")],
                });
            }
        }
    }
    Ok(())
}

pub(super) fn strings(b: &Map<String, Value>, key: &str) -> ControlResult<Option<Vec<String>>> {
    match b.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad(&format!("Invalid input for {key}. Reason: '{v}' is not a string.")))
            })
            .collect::<ControlResult<Vec<_>>>()
            .map(Some),
        Some(v) => Err(bad(&format!("Invalid input for {key}. Reason: '{v}' is not a list."))),
    }
}

pub(super) fn pools(b: &Map<String, Value>) -> ControlResult<Vec<AllocationPool>> {
    match b.get("allocation_pools") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| {
                match (
                    p.get("start").and_then(Value::as_str),
                    p.get("end").and_then(Value::as_str),
                ) {
                    (Some(s), Some(e)) => Ok(AllocationPool {
                        start: s.to_string(),
                        end: e.to_string(),
                    }),
                    _ => Err(bad(
                        "Invalid input for allocation_pools. Reason: each pool needs start and end.",
                    )),
                }
            })
            .collect(),
        Some(v) => Err(bad(&format!(
            "Invalid input for allocation_pools. Reason: '{v}' is not a list."
        ))),
    }
}

// -------------------------------------------------------------- responses
