//! The Huawei ECS dialect: `/v1`, `/v1.1` and `/v2` cloudservers APIs and
//! the job query. Async operations answer 200 `{"job_id": ...}`.

mod actions;
mod flavors;
mod jobs;
mod metadata;
mod nics;
mod servers;
mod views;
mod volumes;

pub use views::{flavor_view, job_view, server_view};

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiResult, AppState, Req};
use crate::catalog::Endpoint;
use crate::control::service::MAX_BATCH;
use crate::domain::{ControlError, ControlResult};

pub async fn handle(st: &Arc<AppState>, endpoint: Endpoint, req: &Req) -> ApiResult {
    match endpoint {
        Endpoint::HwCreate => servers::create(st, req).await,
        Endpoint::HwListDetail => servers::list(st, req).await,
        Endpoint::HwShow => servers::show(st, req).await,
        Endpoint::HwDelete => servers::delete(st, req).await,
        Endpoint::HwBatchAction => actions::batch(st, req).await,
        Endpoint::HwChangeOs | Endpoint::HwReinstallOs => actions::change_os(st, req, endpoint).await,
        Endpoint::HwResize => actions::resize(st, req).await,
        Endpoint::HwMigrate => actions::migrate(st, req).await,
        Endpoint::HwFlavors => flavors::flavors(st, req).await,
        Endpoint::HwResizeFlavors => flavors::resize_flavors(st, req).await,
        Endpoint::HwJob => jobs::job(st, req).await,
        Endpoint::HwLimits => super::quotas::huawei_limits(st, req).await,
        Endpoint::HwUpdate => metadata::update(st, req).await,
        Endpoint::HwMetadata if req.method == axum::http::Method::DELETE => metadata::delete_metadata(st, req).await,
        Endpoint::HwMetadata => metadata::update_metadata(st, req).await,
        Endpoint::HwInterfaces => nics::list(st, req).await,
        Endpoint::HwNics => nics::add(st, req).await,
        Endpoint::HwNicsDelete => nics::delete(st, req).await,
        Endpoint::HwAttachVolume => volumes::attach(st, req).await,
        Endpoint::HwDetachVolume => volumes::detach(st, req).await,
        Endpoint::HwBlockDevices => volumes::list(st, req).await,
        Endpoint::HwBlockDevice => volumes::show(st, req).await,
        _ => Err(ControlError::internal("not a Huawei endpoint")),
    }
}

fn job_accepted(job_id: &str) -> Response {
    (StatusCode::OK, Json(json!({ "job_id": job_id }))).into_response()
}

/// `dry_run: true` validated everything: 202 with no job.
fn dry_run_ok() -> Response {
    (StatusCode::ACCEPTED, Json(json!({}))).into_response()
}

/// Password complexity: 8-26 characters with three of four classes.
fn check_password(p: &str) -> ControlResult<()> {
    let classes = [
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if !(8..=26).contains(&p.chars().count()) || classes.iter().filter(|c| **c).count() < 3 {
        return Err(ControlError::bad_request_code(
            "Ecs.0011",
            "Ensure the password meets the password complexity requirements.",
        ));
    }
    Ok(())
}

/// One entry of a `servers` list: `{"id": ...}`.
#[derive(Deserialize)]
struct ServerRef {
    id: String,
}

impl ServerRef {
    fn ids(refs: Vec<ServerRef>) -> Vec<String> {
        refs.into_iter().map(|r| r.id).collect()
    }
}

/// A `servers` list: at most [`MAX_BATCH`] objects, each with a string id.
fn check_servers(list: Option<&Value>) -> ControlResult<()> {
    let Some(Value::Array(items)) = list else {
        return Err(ControlError::bad_request(
            "servers must be a list of {\"id\": ...} objects.",
        ));
    };
    if items.len() > MAX_BATCH {
        return Err(ControlError::bad_request_code(
            "Ecs.0118",
            "The number of ECSs exceeds the maximum allowed limit.",
        ));
    }
    if items.iter().any(|i| !matches!(i.get("id"), Some(Value::String(_)))) {
        return Err(ControlError::bad_request("Each item of servers needs a string id."));
    }
    Ok(())
}
