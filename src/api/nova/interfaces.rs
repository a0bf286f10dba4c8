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
