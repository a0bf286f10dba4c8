//! The job query: a job with its sub-jobs.

use std::sync::Arc;

use axum::response::IntoResponse;
use axum::Json;

use super::views::job_view;
use crate::api::{ApiResult, AppState, Req};

pub(super) async fn job(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let (job, subs) = st.service.job(&req.caller, req.param("job_id")).await?;
    Ok(Json(job_view(&job, Some(&subs))).into_response())
}
