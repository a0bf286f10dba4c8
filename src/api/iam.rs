//! Identity management over HTTP, in Keystone's format (`/v3/users`,
//! `/v3/groups`, `/v3/projects`, `/v3/domains`, `/v3/roles`, grants,
//! `/v3/role_assignments`) and Huawei IAM's (`/v3.0/OS-USER`, `/v3.0/OS-ROLE`,
//! `/v3.0/OS-CREDENTIAL`).
//!
//! Every call authenticates (a token scoped to the account or a project, or
//! an AK/SK signature for the account or a project), then asks the
//! authorizer for the IAM action of the call ([`IAM_ACTIONS`],
//! [`GRANT_ACTIONS`]), then hands over to [`crate::identity::admin`], which
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
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::auth::{self, ScopeNeed};
use super::errors::{self, Dialect};
use super::{body, new_request_id, set_request_id, AppState};
use crate::domain::{ActorKind, Credential, CustomRole, Domain, Grant, GrantScope, Group, Project, User};
use crate::domain::{Caller, ControlError, ControlResult};
use crate::identity::admin::{
    epoch_ms, invalid, not_found_with, Actor, Admin, AssignmentFilter, CustomPatch, CustomSpec, GrantTarget,
    NewProject, NewUser, ProjectFilter, RoleFilter, RoleRef, UserFilter, UserPatch,
};

/// The management calls that are not grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IamOp {
    ListUsers,
    GetUser,
    CreateUser,
    UpdateUser,
    DeleteUser,
    ListGroupsForUser,
    ListGroups,
    GetGroup,
    CreateGroup,
    UpdateGroup,
    DeleteGroup,
    ListUsersForGroup,
    AddUserToGroup,
    CheckUserInGroup,
    RemoveUserFromGroup,
    ListProjects,
    GetProject,
    CreateProject,
    UpdateProject,
    CreateDomain,
    ListRoles,
    GetRole,
    CreateRole,
    UpdateRole,
    DeleteRole,
    ListRoleAssignments,
    CreateCredential,
    ListCredentials,
    GetCredential,
    UpdateCredential,
    DeleteCredential,
}

/// The IAM action each call requires, in Huawei's naming.
pub const IAM_ACTIONS: &[(IamOp, &str)] = &[
    (IamOp::ListUsers, "iam:users:listUsers"),
    (IamOp::GetUser, "iam:users:getUser"),
    (IamOp::CreateUser, "iam:users:createUser"),
    (IamOp::UpdateUser, "iam:users:updateUser"),
    (IamOp::DeleteUser, "iam:users:deleteUser"),
    (IamOp::ListGroupsForUser, "iam:users:listGroupsForUser"),
    (IamOp::ListGroups, "iam:groups:listGroups"),
    (IamOp::GetGroup, "iam:groups:getGroup"),
    (IamOp::CreateGroup, "iam:groups:createGroup"),
    (IamOp::UpdateGroup, "iam:groups:updateGroup"),
    (IamOp::DeleteGroup, "iam:groups:deleteGroup"),
    (IamOp::ListUsersForGroup, "iam:users:listUsersForGroup"),
    (IamOp::AddUserToGroup, "iam:groups:addUserToGroup"),
    (IamOp::CheckUserInGroup, "iam:groups:checkUserInGroup"),
    (IamOp::RemoveUserFromGroup, "iam:groups:removeUserFromGroup"),
    (IamOp::ListProjects, "iam:projects:listProjects"),
    (IamOp::GetProject, "iam:projects:getProject"),
    (IamOp::CreateProject, "iam:projects:createProject"),
    (IamOp::UpdateProject, "iam:projects:updateProject"),
    (IamOp::CreateDomain, "iam:domains:createDomain"),
    (IamOp::ListRoles, "iam:roles:listRoles"),
    (IamOp::GetRole, "iam:roles:getRole"),
    (IamOp::CreateRole, "iam:roles:createRole"),
    (IamOp::UpdateRole, "iam:roles:updateRole"),
    (IamOp::DeleteRole, "iam:roles:deleteRole"),
    (IamOp::ListRoleAssignments, "iam:permissions:listRoleAssignments"),
    (IamOp::CreateCredential, "iam:credentials:createCredential"),
    (IamOp::ListCredentials, "iam:credentials:listCredentials"),
    (IamOp::GetCredential, "iam:credentials:getCredential"),
    (IamOp::UpdateCredential, "iam:credentials:updateCredential"),
    (IamOp::DeleteCredential, "iam:credentials:deleteCredential"),
];

/// What a grant call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantVerb {
    Grant,
    Check,
    List,
    Revoke,
}

/// The IAM action of each grant call, by verb, receiver and scope.
pub const GRANT_ACTIONS: &[(GrantVerb, ActorKind, GrantScope, &str)] = &[
    (
        GrantVerb::Grant,
        ActorKind::Group,
        GrantScope::Project,
        "iam:permissions:grantRoleToGroupOnProject",
    ),
    (
        GrantVerb::Check,
        ActorKind::Group,
        GrantScope::Project,
        "iam:permissions:checkRoleForGroupOnProject",
    ),
    (
        GrantVerb::List,
        ActorKind::Group,
        GrantScope::Project,
        "iam:permissions:listRolesForGroupOnProject",
    ),
    (
        GrantVerb::Revoke,
        ActorKind::Group,
        GrantScope::Project,
        "iam:permissions:revokeRoleFromGroupOnProject",
    ),
    (
        GrantVerb::Grant,
        ActorKind::Group,
        GrantScope::Domain,
        "iam:permissions:grantRoleToGroupOnDomain",
    ),
    (
        GrantVerb::Check,
        ActorKind::Group,
        GrantScope::Domain,
        "iam:permissions:checkRoleForGroupOnDomain",
    ),
    (
        GrantVerb::List,
        ActorKind::Group,
        GrantScope::Domain,
        "iam:permissions:listRolesForGroupOnDomain",
    ),
    (
        GrantVerb::Revoke,
        ActorKind::Group,
        GrantScope::Domain,
        "iam:permissions:revokeRoleFromGroupOnDomain",
    ),
    (
        GrantVerb::Grant,
        ActorKind::Group,
        GrantScope::AllProjects,
        "iam:permissions:grantRoleToGroup",
    ),
    (
        GrantVerb::Check,
        ActorKind::Group,
        GrantScope::AllProjects,
        "iam:permissions:checkRoleForGroup",
    ),
    (
        GrantVerb::List,
        ActorKind::Group,
        GrantScope::AllProjects,
        "iam:permissions:listRolesForGroup",
    ),
    (
        GrantVerb::Revoke,
        ActorKind::Group,
        GrantScope::AllProjects,
        "iam:permissions:revokeRoleFromGroup",
    ),
    (
        GrantVerb::Grant,
        ActorKind::User,
        GrantScope::Project,
        "iam:permissions:grantRoleToUserOnProject",
    ),
    (
        GrantVerb::Check,
        ActorKind::User,
        GrantScope::Project,
        "iam:permissions:checkRoleForUserOnProject",
    ),
    (
        GrantVerb::List,
        ActorKind::User,
        GrantScope::Project,
        "iam:permissions:listRolesForUserOnProject",
    ),
    (
        GrantVerb::Revoke,
        ActorKind::User,
        GrantScope::Project,
        "iam:permissions:revokeRoleFromUserOnProject",
    ),
    (
        GrantVerb::Grant,
        ActorKind::User,
        GrantScope::Domain,
        "iam:permissions:grantRoleToUserOnDomain",
    ),
    (
        GrantVerb::Check,
        ActorKind::User,
        GrantScope::Domain,
        "iam:permissions:checkRoleForUserOnDomain",
    ),
    (
        GrantVerb::List,
        ActorKind::User,
        GrantScope::Domain,
        "iam:permissions:listRolesForUserOnDomain",
    ),
    (
        GrantVerb::Revoke,
        ActorKind::User,
        GrantScope::Domain,
        "iam:permissions:revokeRoleFromUserOnDomain",
    ),
    (
        GrantVerb::Grant,
        ActorKind::User,
        GrantScope::AllProjects,
        "iam:permissions:grantRoleToUser",
    ),
    (
        GrantVerb::Check,
        ActorKind::User,
        GrantScope::AllProjects,
        "iam:permissions:checkRoleForUser",
    ),
    (
        GrantVerb::List,
        ActorKind::User,
        GrantScope::AllProjects,
        "iam:permissions:listRolesForUser",
    ),
    (
        GrantVerb::Revoke,
        ActorKind::User,
        GrantScope::AllProjects,
        "iam:permissions:revokeRoleFromUser",
    ),
];

/// A wildcard no policy grants by accident: an op missing from the tables
/// (a bug the unit tests catch) is refused, never allowed.
const UNLISTED: &str = "iam:unlisted:unlisted";

pub fn action_of(op: IamOp) -> &'static str {
    IAM_ACTIONS
        .iter()
        .find(|(o, _)| *o == op)
        .map(|(_, a)| *a)
        .unwrap_or(UNLISTED)
}

pub fn grant_action_of(verb: GrantVerb, actor: ActorKind, scope: GrantScope) -> &'static str {
    GRANT_ACTIONS
        .iter()
        .find(|(v, a, s, _)| *v == verb && *a == actor && *s == scope)
        .map(|(_, _, _, name)| *name)
        .unwrap_or(UNLISTED)
}

/// The error format of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fmt {
    Keystone,
    Iam,
}

/// One authenticated management request.
struct Cx {
    caller: Caller,
    actor: Actor,
    method: Method,
    path: String,
    params: HashMap<String, String>,
    query: Vec<(String, String)>,
    body: Bytes,
}

impl Cx {
    async fn new(
        st: &Arc<AppState>,
        params: HashMap<String, String>,
        req: Request,
        request_id: &str,
    ) -> Result<Cx, Response> {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, st.max_body)
            .await
            .map_err(|_| errors::keystone(&ControlError::TooLarge))?;
        let path = parts.uri.path().to_string();
        let query = parts.uri.query().unwrap_or("").to_string();
        // Identity routes accept account-scoped callers as well as project-scoped ones.
        let input = auth::AuthInput {
            method: &parts.method,
            path: &path,
            query: &query,
            headers: &parts.headers,
            body: &body,
            url_project: None,
            dialect: Dialect::Keystone,
            request_id,
        };
        let caller = auth::authenticate(st, &input, ScopeNeed::AccountOrProject).await?;
        let actor = admin(st).actor(&caller).await.map_err(|e| errors::keystone(&e))?;
        Ok(Cx {
            caller,
            actor,
            method: parts.method,
            path,
            params,
            query: body::parse_query(&query),
            body,
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

async fn authorize(st: &AppState, cx: &Cx, op: IamOp) -> ControlResult<()> {
    authorize_action(st, cx, action_of(op)).await
}

async fn authorize_grant(st: &AppState, cx: &Cx, verb: GrantVerb, t: &GrantTarget) -> ControlResult<()> {
    authorize_action(st, cx, grant_action_of(verb, t.actor, t.scope)).await
}

async fn authorize_action(st: &AppState, cx: &Cx, action: &str) -> ControlResult<()> {
    st.service.authorizer.authorize_actions(&cx.caller, &[action]).await
}

fn render_error(fmt: Fmt, e: &ControlError, request_id: &str) -> Response {
    match (fmt, e) {
        (
            Fmt::Iam,
            ControlError::BadRequest { code, message }
            | ControlError::NotFound { code, message }
            | ControlError::Conflict { code, message },
        ) => json_resp(
            errors::status_of(e, Dialect::Keystone),
            json!({"error_code": code, "error_msg": message, "request_id": request_id}),
        ),
        _ => errors::keystone(e),
    }
}

fn json_resp(status: StatusCode, v: Value) -> Response {
    let mut resp = (status, axum::Json(v)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    resp
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

/// Builds an axum handler from `async fn(&AppState, &Cx) -> ControlResult<Response>`.
macro_rules! h {
    ($fmt:expr, $inner:ident) => {
        |State(st): State<Arc<AppState>>, params: RawPathParams, req: Request| async move {
            let request_id = new_request_id();
            let params: HashMap<String, String> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let mut resp = match Cx::new(&st, params, req, &request_id).await {
                Ok(cx) => match $inner(&st, &cx).await {
                    Ok(r) => r,
                    Err(e) => render_error($fmt, &e, &request_id),
                },
                Err(r) => r,
            };
            set_request_id(resp.headers_mut(), &request_id);
            resp
        }
    };
}

pub fn routes() -> Router<Arc<AppState>> {
    use Fmt::{Iam as I, Keystone as K};
    let grant = || {
        get(h!(K, grant_one))
            .put(h!(K, grant_one))
            .head(h!(K, grant_one))
            .delete(h!(K, grant_one))
    };
    Router::new()
        .route("/v3/users", get(h!(K, list_users)).post(h!(K, create_user)))
        .route(
            "/v3/users/{user}",
            get(h!(K, show_user))
                .patch(h!(K, update_user))
                .delete(h!(K, delete_user)),
        )
        .route("/v3/users/{user}/groups", get(h!(K, user_groups)))
        .route("/v3/users/{user}/password", post(h!(K, change_password)))
        .route("/v3/groups", get(h!(K, list_groups)).post(h!(K, create_group)))
        .route(
            "/v3/groups/{group}",
            get(h!(K, show_group))
                .patch(h!(K, update_group))
                .delete(h!(K, delete_group)),
        )
        .route("/v3/groups/{group}/users", get(h!(K, group_users)))
        .route(
            "/v3/groups/{group}/users/{user}",
            axum::routing::put(h!(K, membership))
                .head(h!(K, membership))
                .get(h!(K, membership))
                .delete(h!(K, membership)),
        )
        .route("/v3/projects", get(h!(K, list_projects)).post(h!(K, create_project)))
        .route(
            "/v3/projects/{project}",
            get(h!(K, show_project)).patch(h!(K, update_project)),
        )
        .route("/v3/domains", get(h!(K, list_domains)).post(h!(K, create_domain)))
        .route("/v3/domains/{domain}", get(h!(K, show_domain)))
        .route("/v3/roles", get(h!(K, list_roles)))
        .route("/v3/roles/{role}", get(h!(K, show_role)))
        .route("/v3/role_assignments", get(h!(K, role_assignments)))
        .route("/v3/projects/{project}/groups/{group}/roles", get(h!(K, grant_list)))
        .route("/v3/projects/{project}/groups/{group}/roles/{role}", grant())
        .route("/v3/projects/{project}/users/{user}/roles", get(h!(K, grant_list)))
        .route("/v3/projects/{project}/users/{user}/roles/{role}", grant())
        .route("/v3/domains/{domain}/groups/{group}/roles", get(h!(K, grant_list)))
        .route("/v3/domains/{domain}/groups/{group}/roles/{role}", grant())
        .route("/v3/domains/{domain}/users/{user}/roles", get(h!(K, grant_list)))
        .route("/v3/domains/{domain}/users/{user}/roles/{role}", grant())
        .route(
            "/v3/OS-INHERIT/domains/{domain}/groups/{group}/roles/inherited_to_projects",
            get(h!(K, grant_list)),
        )
        .route(
            "/v3/OS-INHERIT/domains/{domain}/groups/{group}/roles/{role}/inherited_to_projects",
            grant(),
        )
        .route(
            "/v3/OS-INHERIT/domains/{domain}/users/{user}/roles/inherited_to_projects",
            get(h!(K, grant_list)),
        )
        .route(
            "/v3/OS-INHERIT/domains/{domain}/users/{user}/roles/{role}/inherited_to_projects",
            grant(),
        )
        // Huawei's OS-USER routes: Keystone's handlers (create aside, which requires
        // `domain_id`), answering errors in Huawei's format.
        .route("/v3.0/OS-USER/users", post(h!(I, hw_create_user)))
        .route(
            "/v3.0/OS-USER/users/{user}",
            get(h!(I, show_user)).put(h!(I, update_user)),
        )
        .route(
            "/v3.0/OS-ROLE/roles",
            get(h!(I, list_custom)).post(h!(I, create_custom)),
        )
        .route(
            "/v3.0/OS-ROLE/roles/{role}",
            get(h!(I, show_custom))
                .patch(h!(I, update_custom))
                .delete(h!(I, delete_custom)),
        )
        .route(
            "/v3.0/OS-CREDENTIAL/credentials",
            get(h!(I, list_credentials)).post(h!(I, create_credential)),
        )
        .route(
            "/v3.0/OS-CREDENTIAL/credentials/{access}",
            get(h!(I, show_credential))
                .put(h!(I, update_credential))
                .delete(h!(I, delete_credential)),
        )
}

// ---- request bodies ----

fn body_object(cx: &Cx) -> ControlResult<Map<String, Value>> {
    if cx.body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid("The request body is empty: expecting a JSON object."));
    }
    match serde_json::from_slice::<Value>(&cx.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(invalid("Malformed request body: expecting a JSON object.")),
        Err(e) => Err(invalid(format!("Malformed request body: {e}."))),
    }
}

/// The fields of one named member of the body (`{"user": {...}}`), with
/// messages naming `user.<field>`.
struct Fields {
    obj: Map<String, Value>,
    prefix: &'static str,
}

impl Fields {
    fn of(cx: &Cx, key: &'static str) -> ControlResult<Fields> {
        let mut top = body_object(cx)?;
        match top.remove(key) {
            Some(Value::Object(obj)) => Ok(Fields { obj, prefix: key }),
            Some(_) => Err(invalid(format!("Invalid input for field '{key}': expected an object."))),
            None => Err(invalid(format!("'{key}' is a required property."))),
        }
    }

    fn wrong(&self, key: &str, want: &str) -> ControlError {
        invalid(format!(
            "Invalid input for field '{}.{key}': expected {want}.",
            self.prefix
        ))
    }

    fn opt_str(&self, key: &str) -> ControlResult<Option<String>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    fn req_str(&self, key: &str) -> ControlResult<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Err(invalid(format!("'{key}' is a required property of '{}'.", self.prefix))),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    /// Absent: `None`; `null`: `Some(None)`.
    fn nullable_str(&self, key: &str) -> ControlResult<Option<Option<String>>> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(self.wrong(key, "a string or null")),
        }
    }

    fn opt_bool(&self, key: &str) -> ControlResult<Option<bool>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(key, "a boolean")),
        }
    }

    fn value(&self, key: &str) -> Option<&Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }
}

// ---- representations ----

fn url(st: &AppState, path: &str) -> String {
    format!("{}{}", st.public_url, path)
}

fn links(st: &AppState, cx: &Cx) -> Value {
    json!({"self": url(st, &cx.path), "previous": null, "next": null})
}

fn huawei_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

fn iso_micros(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn user_json(st: &AppState, u: &User, owner: bool) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "domain_id": u.domain_id,
        "enabled": u.enabled,
        "description": u.description,
        "email": u.email,
        "default_project_id": u.default_project_id,
        "password_expires_at": null,
        "pwd_status": false,
        "access_mode": "default",
        "is_domain_owner": owner,
        "create_time": huawei_time(u.created),
        "options": {},
        "links": {"self": url(st, &format!("/v3/users/{}", u.id))},
    })
}

fn group_json(st: &AppState, g: &Group) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "domain_id": g.domain_id,
        "description": g.description,
        "create_time": epoch_ms(g.created),
        "links": {"self": url(st, &format!("/v3/groups/{}", g.id))},
    })
}

/// A top-level project's parent is its domain, as in Keystone.
fn project_json(st: &AppState, p: &Project) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "domain_id": p.domain_id,
        "parent_id": p.parent_id.as_deref().unwrap_or(&p.domain_id),
        "description": p.description,
        "enabled": p.enabled,
        "is_domain": false,
        "tags": [],
        "options": {},
        "links": {"self": url(st, &format!("/v3/projects/{}", p.id))},
    })
}

fn domain_json(st: &AppState, d: &Domain) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "description": "",
        "enabled": d.enabled,
        "tags": [],
        "options": {},
        "links": {"self": url(st, &format!("/v3/domains/{}", d.id))},
    })
}

fn role_json(st: &AppState, r: &RoleRef) -> Value {
    let mut v = json!({
        "id": r.id(),
        "name": r.name(),
        "display_name": r.display_name(),
        "type": r.role_type(),
        "catalog": r.catalog(),
        "flag": r.flag(),
        "domain_id": r.domain_id(),
        "links": {"self": url(st, &format!("/v3/roles/{}", r.id()))},
    });
    match r {
        RoleRef::System(s) => {
            v["description"] = json!(s.description);
            v["description_cn"] = json!("");
            v["policy"] = s.policy.clone();
        }
        RoleRef::Custom(c) => {
            v["description"] = json!(c.description);
            v["description_cn"] = json!(c.description_cn);
            v["policy"] = c.policy.clone();
            v["created_time"] = json!(epoch_ms(c.created).to_string());
            v["updated_time"] = json!(epoch_ms(c.updated).to_string());
        }
    }
    v
}

fn custom_json(st: &AppState, c: &CustomRole, references: Option<usize>) -> Value {
    let mut v = role_json(st, &RoleRef::Custom(Box::new(c.clone())));
    if let Some(n) = references {
        v["references"] = json!(n);
    }
    v
}

fn credential_json(c: &Credential) -> Value {
    json!({
        "user_id": c.user_id,
        "access": c.access,
        "status": c.status,
        "create_time": iso_micros(c.created),
        "description": c.description,
    })
}

/// `page` and `per_page` (Huawei's paging of roles and projects).
fn paged<T>(cx: &Cx, items: Vec<T>) -> ControlResult<Vec<T>> {
    let per_page = cx.q_positive("per_page")?;
    let page = cx.q_positive("page")?;
    Ok(match (page, per_page) {
        (None, None) => items,
        (page, per_page) => {
            let per_page = per_page.unwrap_or(300).min(300);
            let skip = (page.unwrap_or(1) - 1).saturating_mul(per_page);
            items.into_iter().skip(skip).take(per_page).collect()
        }
    })
}

// ---- users ----

/// A user as shown, with whether it owns its account.
async fn user_view(st: &AppState, a: &Admin<'_>, u: &User) -> ControlResult<Value> {
    let owner = a.is_domain_owner(u).await?;
    Ok(user_json(st, u, owner))
}

async fn users_list(st: &AppState, cx: &Cx, a: &Admin<'_>, users: &[User]) -> ControlResult<Response> {
    let mut out = Vec::new();
    for u in users {
        out.push(user_view(st, a, u).await?);
    }
    ok(json!({"users": out, "links": links(st, cx)}))
}

async fn list_users(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::ListUsers).await?;
    let f = UserFilter {
        domain_id: cx.q_string("domain_id"),
        name: cx.q_string("name"),
        enabled: cx.q_bool("enabled")?,
    };
    let a = admin(st);
    users_list(st, cx, &a, &a.list_users(&cx.actor, &f).await?).await
}

async fn show_user(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let id = cx.param("user");
    // Every user may read itself.
    if !cx.is_self(id) {
        authorize(st, cx, IamOp::GetUser).await?;
    }
    let a = admin(st);
    let u = a.get_user(&cx.actor, id).await?;
    ok(json!({"user": user_view(st, &a, &u).await?}))
}

fn new_user(f: &Fields, domain_required: bool) -> ControlResult<NewUser> {
    let domain_id = if domain_required {
        Some(f.req_str("domain_id")?)
    } else {
        f.opt_str("domain_id")?
    };
    Ok(NewUser {
        name: f.req_str("name")?,
        domain_id,
        password: f.opt_str("password")?,
        enabled: f.opt_bool("enabled")?.unwrap_or(true),
        description: f.opt_str("description")?.unwrap_or_default(),
        email: f.opt_str("email")?.filter(|e| !e.is_empty()),
        default_project_id: f.opt_str("default_project_id")?,
    })
}

/// Huawei's OS-USER form requires `domain_id`; Keystone's does not.
async fn create_user_with(st: &AppState, cx: &Cx, domain_required: bool) -> ControlResult<Response> {
    authorize(st, cx, IamOp::CreateUser).await?;
    let new = new_user(&Fields::of(cx, "user")?, domain_required)?;
    let u = admin(st).create_user(&cx.actor, new).await?;
    created(json!({"user": user_json(st, &u, false)}))
}

async fn create_user(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    create_user_with(st, cx, false).await
}

async fn hw_create_user(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    create_user_with(st, cx, true).await
}

/// The changeable fields of a user (`domain_id` is checked by the caller).
fn user_patch(f: &Fields) -> ControlResult<UserPatch> {
    Ok(UserPatch {
        name: f.opt_str("name")?,
        password: f.opt_str("password")?,
        enabled: f.opt_bool("enabled")?,
        description: f.opt_str("description")?,
        email: f.nullable_str("email")?.map(|e| e.filter(|s| !s.is_empty())),
        default_project_id: f.nullable_str("default_project_id")?,
    })
}

async fn update_user(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::UpdateUser).await?;
    let id = cx.param("user");
    let mut f = Fields::of(cx, "user")?;
    let a = admin(st);
    if let Some(d) = f.opt_str("domain_id")? {
        if d != a.get_user(&cx.actor, id).await?.domain_id {
            return Err(invalid(format!(
                "Invalid input for field 'user.domain_id': a user cannot move to another domain ({d})."
            )));
        }
    }
    f.obj.remove("domain_id");
    let u = a.update_user(&cx.actor, id, user_patch(&f)?).await?;
    ok(json!({"user": user_view(st, &a, &u).await?}))
}

async fn delete_user(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::DeleteUser).await?;
    admin(st).delete_user(&cx.actor, cx.param("user")).await?;
    no_content()
}

/// `POST /v3/users/{id}/password`: a user changes its own password; the
/// original one must be given. Someone else's needs `iam:users:updateUser`.
async fn change_password(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let id = cx.param("user");
    if !cx.is_self(id) {
        authorize(st, cx, IamOp::UpdateUser).await?;
    }
    let f = Fields::of(cx, "user")?;
    let original = f.req_str("original_password")?;
    let new = f.req_str("password")?;
    admin(st).change_password(&cx.actor, id, &original, &new).await?;
    no_content()
}

async fn user_groups(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let id = cx.param("user");
    if !cx.is_self(id) {
        authorize(st, cx, IamOp::ListGroupsForUser).await?;
    }
    let groups = admin(st).groups_of_user(&cx.actor, id).await?;
    let out: Vec<Value> = groups.iter().map(|g| group_json(st, g)).collect();
    ok(json!({"groups": out, "links": links(st, cx)}))
}

// ---- groups ----

async fn list_groups(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::ListGroups).await?;
    let groups = admin(st)
        .list_groups(&cx.actor, cx.q("domain_id"), cx.q("name"))
        .await?;
    let out: Vec<Value> = groups.iter().map(|g| group_json(st, g)).collect();
    ok(json!({"groups": out, "links": links(st, cx)}))
}

async fn show_group(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::GetGroup).await?;
    let g = admin(st).get_group(&cx.actor, cx.param("group")).await?;
    ok(json!({"group": group_json(st, &g)}))
}

async fn create_group(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::CreateGroup).await?;
    let f = Fields::of(cx, "group")?;
    let name = f.req_str("name")?;
    let domain_id = f.opt_str("domain_id")?;
    let description = f.opt_str("description")?.unwrap_or_default();
    let g = admin(st)
        .create_group(&cx.actor, &name, domain_id.as_deref(), &description)
        .await?;
    created(json!({"group": group_json(st, &g)}))
}

async fn update_group(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::UpdateGroup).await?;
    let f = Fields::of(cx, "group")?;
    let name = f.opt_str("name")?;
    let description = f.opt_str("description")?;
    let a = admin(st);
    if let Some(d) = f.opt_str("domain_id")? {
        if d != a.get_group(&cx.actor, cx.param("group")).await?.domain_id {
            return Err(invalid(
                "Invalid input for field 'group.domain_id': a group cannot move to another domain.",
            ));
        }
    }
    let g = a
        .update_group(&cx.actor, cx.param("group"), name.as_deref(), description.as_deref())
        .await?;
    ok(json!({"group": group_json(st, &g)}))
}

async fn delete_group(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::DeleteGroup).await?;
    admin(st).delete_group(&cx.actor, cx.param("group")).await?;
    no_content()
}

async fn group_users(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::ListUsersForGroup).await?;
    let a = admin(st);
    users_list(st, cx, &a, &a.group_users(&cx.actor, cx.param("group")).await?).await
}

/// `PUT`, `HEAD` (and `GET`), `DELETE /v3/groups/{g}/users/{u}`.
async fn membership(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let (group, user) = (cx.param("group"), cx.param("user"));
    let a = admin(st);
    match cx.method {
        Method::PUT => {
            authorize(st, cx, IamOp::AddUserToGroup).await?;
            a.add_member(&cx.actor, group, user).await?;
        }
        Method::DELETE => {
            authorize(st, cx, IamOp::RemoveUserFromGroup).await?;
            a.remove_member(&cx.actor, group, user).await?;
        }
        _ => {
            authorize(st, cx, IamOp::CheckUserInGroup).await?;
            if !a.is_member(&cx.actor, group, user).await? {
                return Err(not_found_with(format!("User {user} is not a member of group {group}.")));
            }
        }
    }
    no_content()
}

// ---- projects ----

async fn list_projects(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::ListProjects).await?;
    let f = ProjectFilter {
        domain_id: cx.q_string("domain_id"),
        name: cx.q_string("name"),
        parent_id: cx.q_string("parent_id"),
        enabled: cx.q_bool("enabled")?,
    };
    let projects = paged(cx, admin(st).list_projects(&cx.actor, &f).await?)?;
    let out: Vec<Value> = projects.iter().map(|p| project_json(st, p)).collect();
    ok(json!({"projects": out, "links": links(st, cx)}))
}

async fn show_project(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let id = cx.param("project");
    // The project of the caller's own token is always readable.
    if cx.caller.project_id != id {
        authorize(st, cx, IamOp::GetProject).await?;
    }
    let p = admin(st).get_project(&cx.actor, id).await?;
    ok(json!({"project": project_json(st, &p)}))
}

async fn create_project(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::CreateProject).await?;
    let f = Fields::of(cx, "project")?;
    if f.opt_bool("is_domain")? == Some(true) {
        return Err(invalid(
            "Projects acting as domains are not supported: create an account with POST /v3/domains.",
        ));
    }
    let new = NewProject {
        name: f.req_str("name")?,
        domain_id: f.opt_str("domain_id")?,
        parent_id: f.opt_str("parent_id")?,
        description: f.opt_str("description")?.unwrap_or_default(),
        enabled: f.opt_bool("enabled")?.unwrap_or(true),
    };
    let p = admin(st).create_project(&cx.actor, new).await?;
    created(json!({"project": project_json(st, &p)}))
}

async fn update_project(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::UpdateProject).await?;
    let f = Fields::of(cx, "project")?;
    let name = f.opt_str("name")?;
    let description = f.opt_str("description")?;
    let enabled = f.opt_bool("enabled")?;
    let p = admin(st)
        .update_project(
            &cx.actor,
            cx.param("project"),
            name.as_deref(),
            description.as_deref(),
            enabled,
        )
        .await?;
    ok(json!({"project": project_json(st, &p)}))
}

// ---- domains ----

/// Reading one's own account needs no IAM rights; the operator sees every
/// account.
async fn list_domains(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let domains = admin(st)
        .list_domains(&cx.actor, cx.q("name"), cx.q_bool("enabled")?)
        .await?;
    let out: Vec<Value> = domains.iter().map(|d| domain_json(st, d)).collect();
    ok(json!({"domains": out, "links": links(st, cx)}))
}

async fn show_domain(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let d = admin(st).get_domain(&cx.actor, cx.param("domain")).await?;
    ok(json!({"domain": domain_json(st, &d)}))
}

async fn create_domain(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::CreateDomain).await?;
    let f = Fields::of(cx, "domain")?;
    let name = f.req_str("name")?;
    let description = f.opt_str("description")?.unwrap_or_default();
    let enabled = f.opt_bool("enabled")?.unwrap_or(true);
    let d = admin(st).create_domain(&cx.actor, &name, &description, enabled).await?;
    let mut v = domain_json(st, &d);
    v["description"] = json!(description);
    created(json!({"domain": v}))
}

// ---- roles ----

fn role_filter(cx: &Cx) -> RoleFilter {
    RoleFilter {
        name: cx.q_string("name"),
        display_name: cx.q_string("display_name"),
        scope_type: cx.q_string("type"),
        catalog: cx.q_string("catalog"),
        domain_id: cx.q_string("domain_id"),
        permission_type: cx.q_string("permission_type"),
    }
}

/// One page of roles, with the number of all that matched.
fn roles_page(st: &AppState, cx: &Cx, roles: Vec<RoleRef>) -> ControlResult<Response> {
    let total = roles.len();
    let roles = paged(cx, roles)?;
    let out: Vec<Value> = roles.iter().map(|r| role_json(st, r)).collect();
    ok(json!({"roles": out, "links": links(st, cx), "total_number": total}))
}

async fn list_roles(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::ListRoles).await?;
    roles_page(st, cx, admin(st).list_roles(&cx.actor, &role_filter(cx)).await?)
}

async fn show_role(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::GetRole).await?;
    let r = admin(st).get_role(&cx.actor, cx.param("role")).await?;
    ok(json!({"role": role_json(st, &r)}))
}

// ---- custom policies (Huawei OS-ROLE) ----

async fn list_custom(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::ListRoles).await?;
    let f = RoleFilter {
        domain_id: Some(cx.actor.domain_id.clone()),
        ..RoleFilter::default()
    };
    roles_page(st, cx, admin(st).list_roles(&cx.actor, &f).await?)
}

/// A custom policy as shown, with how many grants use it.
async fn custom_view(st: &AppState, a: &Admin<'_>, r: &CustomRole) -> ControlResult<Value> {
    let refs = a.references(&r.id, &r.domain_id).await?;
    Ok(custom_json(st, r, Some(refs)))
}

async fn show_custom(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::GetRole).await?;
    let a = admin(st);
    let r = a.get_custom(&cx.actor, cx.param("role")).await?;
    ok(json!({"role": custom_view(st, &a, &r).await?}))
}

fn policy_field(f: &Fields, required: bool) -> ControlResult<Option<Value>> {
    match f.value("policy") {
        None if required => Err(invalid("'policy' is a required property of 'role'.")),
        None => Ok(None),
        Some(v) => Ok(Some(v.clone())),
    }
}

async fn create_custom(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::CreateRole).await?;
    let f = Fields::of(cx, "role")?;
    let spec = CustomSpec {
        display_name: f.req_str("display_name")?,
        role_type: f.req_str("type")?,
        description: f.req_str("description")?,
        description_cn: f.opt_str("description_cn")?.unwrap_or_default(),
        policy: policy_field(&f, true)?.unwrap_or(Value::Null),
    };
    let r = admin(st).create_custom(&cx.actor, spec).await?;
    created(json!({"role": custom_json(st, &r, Some(0))}))
}

async fn update_custom(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::UpdateRole).await?;
    let f = Fields::of(cx, "role")?;
    let patch = CustomPatch {
        display_name: f.opt_str("display_name")?,
        role_type: f.opt_str("type")?,
        description: f.opt_str("description")?,
        description_cn: f.opt_str("description_cn")?,
        policy: policy_field(&f, false)?,
    };
    let a = admin(st);
    let r = a.update_custom(&cx.actor, cx.param("role"), patch).await?;
    ok(json!({"role": custom_view(st, &a, &r).await?}))
}

/// Huawei documents no body for this; 200 with an empty object
/// (UNCONFIRMED whether 200 or 204 is what IAM answers).
async fn delete_custom(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::DeleteRole).await?;
    admin(st).delete_custom(&cx.actor, cx.param("role")).await?;
    ok(json!({}))
}

// ---- grants ----

/// Scope and receiver from the route's parameters.
fn grant_target(cx: &Cx) -> GrantTarget {
    let (scope, scope_id) = if cx.params.contains_key("project") {
        (GrantScope::Project, cx.param("project"))
    } else if cx.path.starts_with("/v3/OS-INHERIT/") {
        (GrantScope::AllProjects, cx.param("domain"))
    } else {
        (GrantScope::Domain, cx.param("domain"))
    };
    let (actor, actor_id) = if cx.params.contains_key("group") {
        (ActorKind::Group, cx.param("group"))
    } else {
        (ActorKind::User, cx.param("user"))
    };
    GrantTarget {
        scope,
        scope_id: scope_id.to_string(),
        actor,
        actor_id: actor_id.to_string(),
    }
}

/// `PUT` grants, `HEAD`/`GET` checks, `DELETE` revokes one role.
async fn grant_one(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let t = grant_target(cx);
    let role = cx.param("role");
    let verb = match cx.method {
        Method::PUT => GrantVerb::Grant,
        Method::DELETE => GrantVerb::Revoke,
        _ => GrantVerb::Check,
    };
    authorize_grant(st, cx, verb, &t).await?;
    let a = admin(st);
    match verb {
        GrantVerb::Grant => a.grant(&cx.actor, &t, role).await?,
        GrantVerb::Revoke => a.revoke(&cx.actor, &t, role).await?,
        _ => {
            if !a.has_grant(&cx.actor, &t, role).await? {
                return Err(not_found_with(format!(
                    "Could not find role assignment with role: {role}, {}: {}, scope: {}.",
                    t.actor.as_str(),
                    t.actor_id,
                    t.scope_id
                )));
            }
        }
    }
    no_content()
}

async fn grant_list(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let t = grant_target(cx);
    authorize_grant(st, cx, GrantVerb::List, &t).await?;
    let roles = admin(st).granted_roles(&cx.actor, &t).await?;
    let out: Vec<Value> = roles.iter().map(|r| role_json(st, r)).collect();
    ok(json!({"roles": out, "links": links(st, cx)}))
}

/// The `{"id", "name"}` of a domain, looked up once per request.
async fn domain_ref(a: &Admin<'_>, cx: &Cx, cache: &mut HashMap<String, Value>, id: &str) -> Value {
    if let Some(v) = cache.get(id) {
        return v.clone();
    }
    let v = match a.get_domain(&cx.actor, id).await {
        Ok(d) => json!({"id": d.id, "name": d.name}),
        Err(_) => json!({"id": id, "name": ""}),
    };
    cache.insert(id.to_string(), v.clone());
    v
}

async fn assignment_json(
    st: &AppState,
    cx: &Cx,
    g: &Grant,
    names: bool,
    domains: &mut HashMap<String, Value>,
) -> ControlResult<Value> {
    let a = admin(st);
    let mut role = json!({"id": g.role_id});
    let mut who = json!({"id": g.actor_id});
    let mut scope_obj = json!({"id": g.scope_id});
    if names {
        role["name"] = json!("");
        who["name"] = json!("");
        scope_obj["name"] = json!("");
        if let Ok(r) = a.get_role(&cx.actor, &g.role_id).await {
            role["name"] = json!(r.name());
            if let Some(d) = r.domain_id() {
                role["domain"] = domain_ref(&a, cx, domains, d).await;
            }
        }
        let owner_domain = match g.actor {
            ActorKind::User => a
                .get_user(&cx.actor, &g.actor_id)
                .await
                .ok()
                .map(|u| (u.name, u.domain_id)),
            ActorKind::Group => a
                .get_group(&cx.actor, &g.actor_id)
                .await
                .ok()
                .map(|x| (x.name, x.domain_id)),
        };
        if let Some((name, d)) = owner_domain {
            who["name"] = json!(name);
            who["domain"] = domain_ref(&a, cx, domains, &d).await;
        }
        match g.scope {
            GrantScope::Project => {
                if let Ok(p) = a.get_project(&cx.actor, &g.scope_id).await {
                    scope_obj["name"] = json!(p.name);
                    scope_obj["domain"] = domain_ref(&a, cx, domains, &p.domain_id).await;
                }
            }
            _ => scope_obj = domain_ref(&a, cx, domains, &g.scope_id).await,
        }
    }
    let scope = match g.scope {
        GrantScope::Project => json!({"project": scope_obj}),
        GrantScope::Domain => json!({"domain": scope_obj}),
        GrantScope::AllProjects => json!({"domain": scope_obj, "OS-INHERIT:inherited_to": "projects"}),
    };
    let base = match g.scope {
        GrantScope::Project => format!("/v3/projects/{}", g.scope_id),
        GrantScope::Domain => format!("/v3/domains/{}", g.scope_id),
        GrantScope::AllProjects => format!("/v3/OS-INHERIT/domains/{}", g.scope_id),
    };
    let mut link = format!("{base}/{}s/{}/roles/{}", g.actor.as_str(), g.actor_id, g.role_id);
    if g.scope == GrantScope::AllProjects {
        link.push_str("/inherited_to_projects");
    }
    let mut v = json!({"role": role, "scope": scope, "links": {"assignment": url(st, &link)}});
    v[g.actor.as_str()] = who;
    Ok(v)
}

/// `GET /v3/role_assignments` with Keystone's filters (`user.id`,
/// `group.id`, `scope.project.id`, `scope.domain.id`, `role.id`,
/// `scope.OS-INHERIT:inherited_to`, `include_names`). Direct grants only:
/// `effective` is not expanded through group membership.
async fn role_assignments(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx, IamOp::ListRoleAssignments).await?;
    let a = admin(st);
    let role_id = match cx.q("role.id") {
        Some(r) => Some(a.get_role(&cx.actor, r).await?.id().to_string()),
        None => None,
    };
    let f = AssignmentFilter {
        user_id: cx.q_string("user.id"),
        group_id: cx.q_string("group.id"),
        project_id: cx.q_string("scope.project.id"),
        domain_id: cx.q_string("scope.domain.id"),
        role_id,
        inherited: cx.q("scope.OS-INHERIT:inherited_to").is_some(),
    };
    let names = cx
        .query
        .iter()
        .any(|(k, v)| k == "include_names" && !matches!(v.to_ascii_lowercase().as_str(), "false" | "0"));
    let mut out = Vec::new();
    let mut domains = HashMap::new();
    for g in a.assignments(&cx.actor, &f).await? {
        out.push(assignment_json(st, cx, &g, names, &mut domains).await?);
    }
    ok(json!({"role_assignments": out, "links": links(st, cx)}))
}

// ---- access keys (Huawei OS-CREDENTIAL) ----

/// Users manage their own access keys without IAM rights.
async fn authorize_for_key(st: &AppState, cx: &Cx, op: IamOp) -> ControlResult<()> {
    let owner = admin(st).credential_owner(cx.param("access")).await?;
    if owner.as_deref() == Some(cx.caller.user_id.as_str()) {
        return Ok(());
    }
    authorize(st, cx, op).await
}

async fn create_credential(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let f = Fields::of(cx, "credential")?;
    let user_id = f.req_str("user_id")?;
    if !cx.is_self(&user_id) {
        authorize(st, cx, IamOp::CreateCredential).await?;
    }
    let description = f.opt_str("description")?.unwrap_or_default();
    let (cred, secret) = admin(st).create_credential(&cx.actor, &user_id, &description).await?;
    let mut v = credential_json(&cred);
    v["secret"] = json!(secret);
    created(json!({"credential": v}))
}

/// With `user_id`: that user's keys. Without: every key of the account for
/// callers allowed to list credentials, else the caller's own.
async fn list_credentials(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let a = admin(st);
    let user_id = match cx.q("user_id") {
        Some(u) if cx.is_self(u) => Some(u.to_string()),
        Some(u) => {
            authorize(st, cx, IamOp::ListCredentials).await?;
            Some(u.to_string())
        }
        None => match authorize(st, cx, IamOp::ListCredentials).await {
            Ok(()) => None,
            Err(ControlError::Forbidden { .. }) => Some(cx.caller.user_id.clone()),
            Err(e) => return Err(e),
        },
    };
    let creds = a.list_credentials(&cx.actor, user_id.as_deref()).await?;
    let out: Vec<Value> = creds.iter().map(credential_json).collect();
    ok(json!({"credentials": out}))
}

async fn show_credential(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize_for_key(st, cx, IamOp::GetCredential).await?;
    let c = admin(st).get_credential(&cx.actor, cx.param("access")).await?;
    ok(json!({"credential": credential_json(&c)}))
}

async fn update_credential(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize_for_key(st, cx, IamOp::UpdateCredential).await?;
    let f = Fields::of(cx, "credential")?;
    let status = f.opt_str("status")?;
    let description = f.opt_str("description")?;
    let c = admin(st)
        .update_credential(&cx.actor, cx.param("access"), status.as_deref(), description.as_deref())
        .await?;
    ok(json!({"credential": credential_json(&c)}))
}

async fn delete_credential(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize_for_key(st, cx, IamOp::DeleteCredential).await?;
    admin(st).delete_credential(&cx.actor, cx.param("access")).await?;
    no_content()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_OPS: &[IamOp] = &[
        IamOp::ListUsers,
        IamOp::GetUser,
        IamOp::CreateUser,
        IamOp::UpdateUser,
        IamOp::DeleteUser,
        IamOp::ListGroupsForUser,
        IamOp::ListGroups,
        IamOp::GetGroup,
        IamOp::CreateGroup,
        IamOp::UpdateGroup,
        IamOp::DeleteGroup,
        IamOp::ListUsersForGroup,
        IamOp::AddUserToGroup,
        IamOp::CheckUserInGroup,
        IamOp::RemoveUserFromGroup,
        IamOp::ListProjects,
        IamOp::GetProject,
        IamOp::CreateProject,
        IamOp::UpdateProject,
        IamOp::CreateDomain,
        IamOp::ListRoles,
        IamOp::GetRole,
        IamOp::CreateRole,
        IamOp::UpdateRole,
        IamOp::DeleteRole,
        IamOp::ListRoleAssignments,
        IamOp::CreateCredential,
        IamOp::ListCredentials,
        IamOp::GetCredential,
        IamOp::UpdateCredential,
        IamOp::DeleteCredential,
    ];

    fn well_formed(action: &str) {
        let parts: Vec<&str> = action.split(':').collect();
        assert_eq!(parts.len(), 3, "{action}");
        assert_eq!(parts[0], "iam", "{action}");
        assert!(parts.iter().all(|p| !p.is_empty() && !p.contains('*')), "{action}");
    }

    #[test]
    fn every_call_has_one_action() {
        assert_eq!(IAM_ACTIONS.len(), ALL_OPS.len());
        for op in ALL_OPS {
            let a = action_of(*op);
            assert_ne!(a, UNLISTED, "{op:?}");
            well_formed(a);
        }
        for verb in [GrantVerb::Grant, GrantVerb::Check, GrantVerb::List, GrantVerb::Revoke] {
            for actor in [ActorKind::Group, ActorKind::User] {
                for scope in [GrantScope::Project, GrantScope::Domain, GrantScope::AllProjects] {
                    let a = grant_action_of(verb, actor, scope);
                    assert_ne!(a, UNLISTED, "{verb:?} {actor:?} {scope:?}");
                    well_formed(a);
                }
            }
        }
        let mut names: Vec<&str> = IAM_ACTIONS.iter().map(|(_, a)| *a).collect();
        names.extend(GRANT_ACTIONS.iter().map(|(_, _, _, a)| *a));
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "action names are unique");
    }
}
