//! Flavor listings: the flavors on sale and the targets a server may resize to.

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use super::views::flavor_view;
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::domain::ControlError;
use crate::domain::AVAILABILITY_ZONE;

pub(super) async fn flavors(st: &Arc<AppState>, req: &Req) -> ApiResult {
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
        .flavors()
        .iter()
        .filter(|f| !f.disabled)
        .filter(|f| id_filter.as_deref().is_none_or(|id| id == f.id))
        .filter(|f| az_filter.is_none() || f.sellable())
        .map(|f| flavor_view(st, req, f, "os_extra_specs"))
        .collect();
    Ok(Json(json!({ "flavors": list })).into_response())
}

pub(super) async fn resize_flavors(st: &Arc<AppState>, req: &Req) -> ApiResult {
    st.service
        .authorize(&req.caller, OpId::HwListResizeFlavors, None)
        .await?;
    let q = req.query_pairs();
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let inv = st.service.as_ref();
    let (source, image) = if let Some(id) = get("instance_uuid") {
        let s = st.service.server_for(&req.caller, &id).await?;
        let image = st.service.visible_image(&req.caller, &s.image_id).await?;
        (inv.flavor(&s.flavor_id).cloned(), image)
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
