//! Flavors: the list (brief or detailed, filtered by `minRam` and
//! `minDisk`) and one flavor.

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use super::views::flavor_view;
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::domain::ControlError;

pub(super) async fn list(st: &Arc<AppState>, req: &Req, detail: bool) -> ApiResult {
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
        .flavors()
        .iter()
        .filter(|f| !f.disabled)
        .filter(|f| min_ram.is_none_or(|m| f.ram_mb >= m) && min_disk.is_none_or(|m| f.disk_gb >= m))
        .map(|f| flavor_view(st, req, f, detail))
        .collect();
    Ok(Json(json!({ "flavors": items })).into_response())
}

pub(super) async fn show(st: &Arc<AppState>, req: &Req) -> ApiResult {
    st.service.authorize(&req.caller, OpId::NovaShowFlavor, None).await?;
    let id = req.param("flavor_id");
    let f = st.service.flavor(id).ok_or_else(|| ControlError::NotFound {
        code: "Ecs.0029",
        message: format!("Flavor {id} could not be found."),
    })?;
    Ok(Json(json!({ "flavor": flavor_view(st, req, f, true) })).into_response())
}
