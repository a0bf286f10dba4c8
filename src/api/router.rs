//! The router, built from the operation catalog alone: every route of every
//! row reaches its endpoint's handler, and nothing else is routed.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawPathParams, Request, State};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use super::pipeline::{dispatch, fallback, request_notes};
use super::{admin, iam, keystone, versions, AppState};
use crate::catalog::{Endpoint, Operation, Route, CATALOG};

fn method_filter(m: &str) -> MethodFilter {
    match m {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        _ => MethodFilter::HEAD,
    }
}

/// Builds the whole router from the catalog: every route of every row,
/// and nothing else but the fallback. Tests call it without a socket.
pub fn router(state: Arc<AppState>) -> Router {
    // One method router per path, merging every catalog route on that path.
    let mut paths: BTreeMap<&'static str, MethodRouter<Arc<AppState>>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for op in CATALOG.iter() {
        for route in op.routes {
            if !seen.insert((route.method, route.path)) {
                continue;
            }
            let handler = method_router(op, route);
            let merged = match paths.remove(route.path) {
                Some(existing) => existing.merge(handler),
                None => handler,
            };
            paths.insert(route.path, merged);
        }
    }
    let mut router = Router::new();
    for (path, mr) in paths {
        router = router.route(path, mr);
    }
    router
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), request_notes))
        .with_state(state)
}

/// The handler of one catalog route. `op` is the first row on the route;
/// where rows share a route, the dialect picks the row from the body.
fn method_router(op: &'static Operation, route: &Route) -> MethodRouter<Arc<AppState>> {
    let filter = method_filter(route.method);
    match route.endpoint {
        Endpoint::Identity(e) => iam::handler(e, op, route.path, filter),
        Endpoint::KeystoneDiscovery => on(filter, keystone::discovery),
        Endpoint::KeystoneIssueToken => on(filter, keystone::issue),
        Endpoint::KeystoneValidateToken => on(filter, keystone::validate),
        Endpoint::KeystoneCheckToken => on(filter, keystone::check),
        Endpoint::KeystoneRevokeToken => on(filter, keystone::revoke),
        Endpoint::VersionsRoot => on(filter, versions::root),
        Endpoint::ComputeVersion21 => on(filter, versions::version_21),
        Endpoint::ComputeVersion20 => on(filter, versions::version_20),
        Endpoint::ImageVersions => on(filter, versions::glance_versions),
        Endpoint::NetworkVersions => on(filter, versions::network_versions),
        Endpoint::VolumeVersions => on(filter, versions::volume_versions),
        Endpoint::AdminFaults => on(filter, admin::faults),
        Endpoint::AdminExplain => on(filter, admin::explain),
        Endpoint::AdminSuggest => on(filter, admin::suggest),
        Endpoint::AdminAudit => on(filter, admin::audit),
        endpoint => {
            let id = op.id;
            on(
                filter,
                move |State(st): State<Arc<AppState>>, params: RawPathParams, req: Request| async move {
                    dispatch(st, endpoint, id, params, req).await
                },
            )
        }
    }
}
