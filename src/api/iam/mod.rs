//! Identity management over HTTP, in Keystone's format (`/v3/users`,
//! `/v3/groups`, `/v3/projects`, `/v3/domains`, `/v3/roles`, grants,
//! `/v3/role_assignments`) and Huawei IAM's (`/v3.0/OS-USER`, `/v3.0/OS-ROLE`,
//! `/v3.0/OS-CREDENTIAL`).
//!
//! Every call authenticates (a token scoped to the account or a project, or
//! an AK/SK signature for the account or a project), then asks the
//! authorizer for the IAM actions of the call's catalog row
//! ([`crate::catalog::identity`]), then hands over to [`crate::control::identity`], which
//! confines everything to the caller's account. Exceptions to the action
//! check, as Huawei and Keystone have them: a user reads itself, changes its
//! own password, manages its own access keys, and reads its own account and
//! its token's project without any IAM rights.
//!
//! Errors: Keystone's `{"error": {"code", "title", "message"}}` on `/v3`;
//! Huawei IAM's `{"error_code", "error_msg"}` on `/v3.0` for bad input,
//! missing objects and conflicts; 403 is Keystone's format everywhere.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawPathParams, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::auth::ScopeNeed;
use super::errors::{self, Dialect};
use super::{body, new_request_id, pipeline, set_request_id, AppState};
use crate::catalog::{IdentityEndpoint, Operation};
use crate::control::identity::{
    epoch_ms, invalid, not_found_with, Actor, Admin, AssignmentFilter, CustomPatch, CustomSpec, GrantTarget,
    NewProject, NewUser, ProjectFilter, RoleFilter, RoleRef, UserFilter, UserPatch,
};
use crate::domain::{ActorKind, Credential, CustomRole, Domain, Grant, GrantScope, Group, Project, User};
use crate::domain::{Caller, ControlError, ControlResult};

/// The error format of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fmt {
    Keystone,
    Iam,
}

/// One authenticated management request.
struct Cx {
    /// The catalog row of the call: its IAM actions.
    op: &'static Operation,
    caller: Caller,
    actor: Actor,
    method: Method,
    path: String,
    params: HashMap<String, String>,
    query: Vec<(String, String)>,
    body: Bytes,
}

impl Cx {
    /// Identity routes accept account-scoped callers as well as project-scoped ones.
    async fn new(
        st: &Arc<AppState>,
        op: &'static Operation,
        params: HashMap<String, String>,
        req: Request,
        request_id: &str,
    ) -> Result<Cx, Response> {
        let req = pipeline::accept(
            st,
            Dialect::Keystone,
            ScopeNeed::AccountOrProject,
            params,
            req,
            request_id,
        )
        .await?;
        let actor = admin(st).actor(&req.caller).await.map_err(|e| errors::keystone(&e))?;
        Ok(Cx {
            op,
            query: body::parse_query(&req.query),
            caller: req.caller,
            actor,
            method: req.method,
            path: req.path,
            params: req.params,
            body: req.body,
        })
    }

    fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }

    fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn q_string(&self, name: &str) -> Option<String> {
        self.q(name).map(str::to_string)
    }

    fn q_bool(&self, name: &str) -> ControlResult<Option<bool>> {
        match self.q(name) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(Some(true)),
                "false" | "0" | "no" => Ok(Some(false)),
                _ => Err(invalid(format!("Invalid value for query parameter '{name}': {v:?}."))),
            },
        }
    }

    fn q_positive(&self, name: &str) -> ControlResult<Option<usize>> {
        match self.q(name) {
            None => Ok(None),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(invalid(format!(
                    "Invalid value for query parameter '{name}': {v:?} is not a positive integer."
                ))),
            },
        }
    }

    fn is_self(&self, user_id: &str) -> bool {
        self.caller.user_id == user_id
    }
}

fn admin(st: &AppState) -> Admin<'_> {
    let authorizer = st.service.authorizer.clone();
    Admin::new(&st.identity, Box::new(move || authorizer.invalidate()))
}

/// Every IAM action of the call's catalog row must be allowed.
async fn authorize(st: &AppState, cx: &Cx) -> ControlResult<()> {
    st.service.authorizer.authorize_actions(&cx.caller, cx.op.actions).await
}

fn render_error(fmt: Fmt, e: &ControlError, request_id: &str) -> Response {
    match fmt {
        Fmt::Iam => errors::huawei_iam(e, request_id),
        Fmt::Keystone => errors::keystone(e),
    }
}

fn json_resp(status: StatusCode, v: Value) -> Response {
    errors::json_response(status, v)
}

fn ok(v: Value) -> ControlResult<Response> {
    Ok(json_resp(StatusCode::OK, v))
}

fn created(v: Value) -> ControlResult<Response> {
    Ok(json_resp(StatusCode::CREATED, v))
}

fn no_content() -> ControlResult<Response> {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The axum handler of one identity call: authenticate, run `$inner` for
/// the catalog row `$op`, render errors in the route's format.
macro_rules! h {
    ($op:expr, $fmt:expr, $inner:ident) => {{
        let op: &'static Operation = $op;
        let fmt: Fmt = $fmt;
        move |State(st): State<Arc<AppState>>, params: RawPathParams, req: Request| async move {
            let request_id = new_request_id();
            let params = pipeline::path_params(&params);
            let mut resp = match Cx::new(&st, op, params, req, &request_id).await {
                Ok(cx) => match $inner(&st, &cx).await {
                    Ok(r) => r,
                    Err(e) => render_error(fmt, &e, &request_id),
                },
                Err(r) => r,
            };
            set_request_id(resp.headers_mut(), &request_id);
            resp
        }
    }};
}

/// The method router of one identity route, for its catalog row. Huawei's
/// `/v3.0` routes answer errors in Huawei IAM's format, `/v3` in Keystone's.
pub fn handler(
    endpoint: IdentityEndpoint,
    op: &'static Operation,
    path: &str,
    filter: MethodFilter,
) -> MethodRouter<Arc<AppState>> {
    use IdentityEndpoint as E;
    let fmt = if path.starts_with("/v3.0/") {
        Fmt::Iam
    } else {
        Fmt::Keystone
    };
    match endpoint {
        E::ListUsers => on(filter, h!(op, fmt, list_users)),
        E::CreateUser => on(filter, h!(op, fmt, create_user)),
        E::CreateUserHuawei => on(filter, h!(op, fmt, hw_create_user)),
        E::ShowUser => on(filter, h!(op, fmt, show_user)),
        E::UpdateUser => on(filter, h!(op, fmt, update_user)),
        E::DeleteUser => on(filter, h!(op, fmt, delete_user)),
        E::ChangePassword => on(filter, h!(op, fmt, change_password)),
        E::UserGroups => on(filter, h!(op, fmt, user_groups)),
        E::ListGroups => on(filter, h!(op, fmt, list_groups)),
        E::CreateGroup => on(filter, h!(op, fmt, create_group)),
        E::ShowGroup => on(filter, h!(op, fmt, show_group)),
        E::UpdateGroup => on(filter, h!(op, fmt, update_group)),
        E::DeleteGroup => on(filter, h!(op, fmt, delete_group)),
        E::GroupUsers => on(filter, h!(op, fmt, group_users)),
        E::Membership => on(filter, h!(op, fmt, membership)),
        E::ListProjects => on(filter, h!(op, fmt, list_projects)),
        E::CreateProject => on(filter, h!(op, fmt, create_project)),
        E::ShowProject => on(filter, h!(op, fmt, show_project)),
        E::UpdateProject => on(filter, h!(op, fmt, update_project)),
        E::ListDomains => on(filter, h!(op, fmt, list_domains)),
        E::CreateDomain => on(filter, h!(op, fmt, create_domain)),
        E::ShowDomain => on(filter, h!(op, fmt, show_domain)),
        E::ListRoles => on(filter, h!(op, fmt, list_roles)),
        E::ShowRole => on(filter, h!(op, fmt, show_role)),
        E::ListCustom => on(filter, h!(op, fmt, list_custom)),
        E::CreateCustom => on(filter, h!(op, fmt, create_custom)),
        E::ShowCustom => on(filter, h!(op, fmt, show_custom)),
        E::UpdateCustom => on(filter, h!(op, fmt, update_custom)),
        E::DeleteCustom => on(filter, h!(op, fmt, delete_custom)),
        E::RoleAssignments => on(filter, h!(op, fmt, role_assignments)),
        E::GrantList => on(filter, h!(op, fmt, grant_list)),
        E::GrantOne => on(filter, h!(op, fmt, grant_one)),
        E::ListCredentials => on(filter, h!(op, fmt, list_credentials)),
        E::CreateCredential => on(filter, h!(op, fmt, create_credential)),
        E::ShowCredential => on(filter, h!(op, fmt, show_credential)),
        E::UpdateCredential => on(filter, h!(op, fmt, update_credential)),
        E::DeleteCredential => on(filter, h!(op, fmt, delete_credential)),
    }
}

mod credentials;
mod fields;
mod grants;
mod groups;
mod projects;
mod roles;
mod users;
mod views;
use credentials::*;
use fields::*;
use grants::*;
use groups::*;
use projects::*;
use roles::*;
use users::*;
use views::*;
