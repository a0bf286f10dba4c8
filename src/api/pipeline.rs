//! The request pipeline every dialect shares: request ids, the body limit,
//! Nova's microversion, authentication into a caller, the dialect's handler,
//! its error format, and afterwards the audit record of the request.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{RawPathParams, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::errors::{self, Dialect};
use super::microversion::{self, Microversion};
use super::{auth, evs, huawei, images, network, new_request_id, nova, volume, AppState, Req};
use crate::catalog::{Endpoint, OpId};
use crate::domain::{ControlError, RequestTrace};

/// Scopes the request notes around every request; afterwards writes the
/// audit record of an authenticated request and, in soft mode, names what
/// would have been denied in `X-Ecsd-Authz-Soft-Deny`.
pub(super) async fn request_notes(
    State(st): State<Arc<AppState>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let source = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let trace = RequestTrace::from_source(source.clone());
    let mut req = req;
    req.extensions_mut().insert(trace.clone());
    let mut resp = next.run(req).await;
    let notes = trace.take();
    let Some(caller) = notes.principal else { return resp };
    let mut actions: Vec<String> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut soft: Vec<String> = Vec::new();
    for d in &notes.decisions {
        for a in &d.actions {
            if !actions.contains(a) {
                actions.push(a.clone());
            }
        }
        for m in &d.missing {
            if !missing.contains(m) {
                missing.push(m.clone());
            }
            if d.decision == "soft_deny" && !soft.contains(m) {
                soft.push(m.clone());
            }
        }
    }
    let decision = ["deny", "soft_deny", "off", "allow"]
        .into_iter()
        .find(|k| notes.decisions.iter().any(|d| d.decision == *k))
        .unwrap_or("none");
    if !soft.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&soft.join(", ")) {
            resp.headers_mut().insert("x-ecsd-authz-soft-deny", v);
        }
    }
    let request_id = resp
        .headers()
        .get("x-openstack-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(new_request_id);
    st.audit.record(crate::domain::AuditRecord {
        seq: 0,
        time: chrono::Utc::now(),
        request_id,
        user_id: caller.user_id,
        user_name: caller.user_name,
        domain_id: caller.domain_id,
        project_id: caller.project_id,
        method,
        path,
        operation: notes
            .operation
            .or_else(|| notes.decisions.iter().find_map(|d| d.operation.clone())),
        actions,
        decision: decision.to_string(),
        missing,
        resource: notes.decisions.iter().find_map(|d| d.resource.clone()),
        source,
        status: resp.status().as_u16(),
    });
    resp
}

/// Unknown paths: 404 in the format of the API family the path looks like.
pub(super) async fn fallback(req: Request) -> Response {
    let path = req.uri().path().to_string();
    let request_id = new_request_id();
    let mut resp = if path.starts_with("/v1") {
        errors::gateway_not_found(&request_id)
    } else if path.starts_with("/volume") {
        errors::nova_status(StatusCode::NOT_FOUND, "The resource could not be found.")
    } else if path.starts_with("/network") || path.starts_with("/v2.0") {
        errors::neutron_status(StatusCode::NOT_FOUND, "NotFound", "The resource could not be found.")
    } else if path.starts_with("/v3") {
        errors::keystone_status(StatusCode::NOT_FOUND, "The resource could not be found.")
    } else {
        errors::nova_status(StatusCode::NOT_FOUND, "The resource could not be found.")
    };
    set_request_id(resp.headers_mut(), &request_id);
    resp
}

pub fn set_request_id(headers: &mut HeaderMap, request_id: &str) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-openstack-request-id", v.clone());
        headers.insert("x-compute-request-id", v.clone());
        headers.insert("x-request-id", v);
    }
}

/// Runs one request of a catalog route. `op` is the route's row (the first
/// one where rows share the route and the body picks among them).
pub(super) async fn dispatch(
    st: Arc<AppState>,
    endpoint: Endpoint,
    op: OpId,
    params: RawPathParams,
    req: Request,
) -> Response {
    let request_id = new_request_id();
    let dialect = dialect_of(endpoint);
    let mut resp = match prepare_and_run(&st, endpoint, op, dialect, params, req, &request_id).await {
        Ok(r) | Err(r) => r,
    };
    set_request_id(resp.headers_mut(), &request_id);
    resp
}

/// Reads and authenticates one request, the same way for every dialect:
/// Nova's microversion first (Nova's order), then the body within the size
/// limit, then who is calling (scoped as the route family needs). Failures
/// are finished responses in the dialect's format.
pub(super) async fn accept(
    st: &Arc<AppState>,
    dialect: Dialect,
    scope: auth::ScopeNeed,
    params: HashMap<String, String>,
    req: Request,
    request_id: &str,
) -> Result<Req, Response> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let trace = parts.extensions.get::<RequestTrace>().cloned().unwrap_or_default();
    let mv = if dialect == Dialect::Nova {
        microversion::negotiate(&parts.headers, path.starts_with("/v2/"))?
    } else {
        Microversion::MIN
    };
    let body = axum::body::to_bytes(body, st.max_body)
        .await
        .map_err(|_| errors::for_dialect(dialect, &ControlError::TooLarge))?;
    let query = parts.uri.query().unwrap_or("").to_string();
    let input = auth::AuthInput {
        method: &parts.method,
        path: &path,
        query: &query,
        headers: &parts.headers,
        body: &body,
        url_project: params.get("project_id").map(String::as_str),
        dialect,
        request_id,
    };
    let mut caller = auth::authenticate(st, &input, scope).await?;
    trace.note_principal(caller.principal());
    caller.trace = trace;
    Ok(Req {
        method: parts.method,
        path,
        query,
        headers: parts.headers,
        body,
        params,
        request_id: request_id.to_string(),
        caller,
        mv,
    })
}

/// The path parameters as owned pairs.
pub(super) fn path_params(raw: &RawPathParams) -> HashMap<String, String> {
    raw.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn prepare_and_run(
    st: &Arc<AppState>,
    endpoint: Endpoint,
    op: OpId,
    dialect: Dialect,
    raw_params: RawPathParams,
    req: Request,
    request_id: &str,
) -> Result<Response, Response> {
    let req = accept(
        st,
        dialect,
        auth::ScopeNeed::Project,
        path_params(&raw_params),
        req,
        request_id,
    )
    .await?;
    let (mv, legacy_v2) = (req.mv, req.path.starts_with("/v2/"));
    let result = match dialect {
        Dialect::Huawei => huawei::handle(st, endpoint, &req).await,
        Dialect::Nova => nova::handle(st, endpoint, &req).await,
        Dialect::Glance => images::handle_glance(st, endpoint, &req).await,
        Dialect::Ims => images::handle_ims(st, endpoint, &req).await,
        Dialect::Neutron => network::neutron::handle(st, op, &req).await,
        Dialect::Vpc => network::vpc::handle(st, op, &req).await,
        Dialect::Cinder => volume::handle(st, op, &req).await,
        Dialect::Evs => evs::handle(st, op, &req).await,
        Dialect::Keystone => Err(ControlError::internal("keystone routes are not catalog routes")),
    };
    let mut resp = result.unwrap_or_else(|e| errors::for_dialect(dialect, &e));
    if dialect == Dialect::Nova {
        microversion::set_headers(resp.headers_mut(), mv, legacy_v2);
    }
    Ok(resp)
}

/// The API family of a compute endpoint, which decides its error format.
fn dialect_of(endpoint: Endpoint) -> Dialect {
    use Endpoint::*;
    match endpoint {
        HwCreate | HwListDetail | HwShow | HwDelete | HwBatchAction | HwFlavors | HwResizeFlavors | HwChangeOs
        | HwReinstallOs | HwResize | HwMigrate | HwJob | HwAttachVolume | HwDetachVolume | HwBlockDevices
        | HwBlockDevice | HwLimits | HwInterfaces | HwNics | HwNicsDelete | HwUpdate | HwMetadata => Dialect::Huawei,
        GlanceImages | GlanceImage | GlanceMembers | GlanceMember => Dialect::Glance,
        ImsImages | ImsImage | ImsCreate => Dialect::Ims,
        Neutron => Dialect::Neutron,
        Vpc => Dialect::Vpc,
        Cinder => Dialect::Cinder,
        Evs => Dialect::Evs,
        _ => Dialect::Nova,
    }
}
