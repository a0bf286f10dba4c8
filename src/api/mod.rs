//! The HTTP surface: one router for every dialect, built from the operation
//! catalog's routes, plus the fixed documents (versions, Keystone, admin).
//! Handlers are thin: unpack, call the service, render.

pub mod admin;
pub mod aksk;
pub mod auth;
pub mod body;
pub mod errors;
pub mod evs;
pub mod huawei;
pub mod iam;
pub mod images;
pub mod keystone;
pub mod microversion;
pub mod network;
pub mod nova;
mod pipeline;
pub mod quotas;
mod router;
pub mod versions;
pub mod volume;

pub use pipeline::set_request_id;
pub use router::router;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method};
use axum::response::Response;

use crate::control::audit::AuditLog;
use crate::control::authz::PolicyAuthorizer;
use crate::control::identity::Identity;
use crate::control::insight::Insight;
use crate::control::service::Service;
use crate::domain::{Caller, ControlError};
use microversion::Microversion;

/// Default largest request body: 1 MiB.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Shared state of every handler.
pub struct AppState {
    pub service: Arc<Service>,
    pub identity: Arc<Identity>,
    /// The URL clients reach ecsd at, e.g. `http://127.0.0.1:8774`.
    pub public_url: String,
    pub max_body: usize,
    /// The policy authorizer (also behind `service.authorizer`), for explain.
    pub authz: Arc<PolicyAuthorizer>,
    pub audit: Arc<AuditLog>,
    /// Explain, suggest and the audit trail, for the operator API.
    pub insight: Arc<Insight>,
}

/// Everything a handler needs from one request, already authenticated.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub params: HashMap<String, String>,
    pub request_id: String,
    pub caller: Caller,
    pub mv: Microversion,
}

impl Req {
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }

    /// Query pairs, percent-decoded, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        body::parse_query(&self.query)
    }
}

pub type ApiResult = Result<Response, ControlError>;

/// A fresh request id in Nova's form, `req-<uuid>`.
pub fn new_request_id() -> String {
    format!("req-{}", uuid::Uuid::new_v4())
}
