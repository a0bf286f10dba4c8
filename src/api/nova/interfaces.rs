//! `os-interface`: a server's ports as Nova shows them.

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::domain::{ControlError, Port};

fn attachment(p: &Port, req: &Req) -> Value {
    let mut v = json!({
        "port_state": p.status,
        "fixed_ips": [{"subnet_id": p.subnet_id, "ip_address": p.ip_address}],
        "port_id": p.id,
        "net_id": p.network_id,
        "mac_addr": p.mac_address,
    });
    if req.mv.at_least(70) {
        v["tag"] = Value::Null;
    }
    v
}

pub(super) async fn list(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let (_, _, ports) = st
        .service
        .read_server_view(&req.caller, OpId::NovaListInterfaces, req.param("server_id"))
        .await?;
    let items: Vec<Value> = ports.iter().map(|p| attachment(p, req)).collect();
    Ok(Json(json!({ "interfaceAttachments": items })).into_response())
}

pub(super) async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let (_, _, ports) = st
        .service
        .read_server_view(&req.caller, OpId::NovaShowInterface, req.param("server_id"))
        .await?;
    let id = req.param("port_id");
    let port = ports
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ControlError::NotFound {
            code: crate::domain::vpc::codes::PORT_NOT_FOUND,
            message: format!("Port {id} is not attached"),
        })?;
    Ok(Json(json!({ "interfaceAttachment": attachment(port, req) })).into_response())
}

/// `POST os-interface`: a port made beforehand (`port_id`), or a new one on
/// `net_id` (with one `fixed_ips` address if asked).
pub(super) async fn attach(st: &Arc<AppState>, req: &Req) -> ApiResult {
    use crate::api::body;
    body::check_content_type(req)?;
    let outer = body::json_object(req)?;
    let a = match outer.get("interfaceAttachment") {
        Some(v) => body::object("interfaceAttachment", v)?,
        None => {
            return Err(body::missing(
                "interfaceAttachment",
                &Value::Object(outer.clone()),
                "interfaceAttachment",
            ))
        }
    };
    let mut allowed = vec!["port_id", "net_id", "fixed_ips"];
    if req.mv.at_least(49) {
        allowed.push("tag");
    }
    body::only_keys(a, &allowed)?;
    let port_id = body::opt_str(a, "port_id")?;
    let network_id = body::opt_str(a, "net_id")?;
    if port_id.is_some() && network_id.is_some() {
        return Err(ControlError::bad_request("Must not input both network_id and port_id"));
    }
    let ip_address = match a.get("fixed_ips") {
        None | Some(Value::Null) => None,
        Some(Value::Array(ips)) if ips.len() == 1 => {
            ips[0].get("ip_address").and_then(Value::as_str).map(str::to_string)
        }
        Some(v) => {
            return Err(body::invalid(
                "fixed_ips",
                v,
                "one fixed IP with an ip_address is supported",
            ))
        }
    };
    let spec = crate::control::service::InterfaceSpec {
        port_id,
        network_id,
        ip_address,
        security_groups: Vec::new(),
        within_server_vpc: false,
    };
    let (_, port) = st
        .service
        .attach_interface(
            &req.caller,
            OpId::NovaAttachInterface,
            req.param("server_id"),
            spec,
            crate::control::service::JobOrigin {
                request_id: &req.request_id,
                parent: None,
            },
        )
        .await?;
    Ok(Json(json!({ "interfaceAttachment": attachment(&port, req) })).into_response())
}

/// `DELETE os-interface/{port_id}`: 202; a port made for the server goes.
pub(super) async fn detach(st: &Arc<AppState>, req: &Req) -> ApiResult {
    st.service
        .detach_interface(
            &req.caller,
            OpId::NovaDetachInterface,
            req.param("server_id"),
            req.param("port_id"),
            false,
            crate::control::service::JobOrigin {
                request_id: &req.request_id,
                parent: None,
            },
        )
        .await?;
    Ok(super::empty(axum::http::StatusCode::ACCEPTED))
}
