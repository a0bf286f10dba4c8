//! Keystone v3 as its clients use it: discovery at `/v3`, and tokens at
//! `/v3/auth/tokens` (issue with a password or a token, validate, check).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::errors;
use super::{new_request_id, AppState};
use crate::catalog::OpId;
use crate::control::identity::{Scope, TokenInfo, UserRef};
use crate::domain::REGION;
use crate::domain::{ControlError, RequestTrace};

fn ks_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn version_doc(st: &AppState) -> Value {
    json!({
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": format!("{}/v3/", st.public_url)}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    })
}

pub(super) async fn discovery(State(st): State<Arc<AppState>>) -> Response {
    Json(json!({"version": version_doc(&st)})).into_response()
}

fn endpoints(id: &str, url: &str) -> Value {
    let ep = |iface: &str| json!({"id": format!("{id}-{iface}"), "interface": iface, "region": REGION, "region_id": REGION, "url": url});
    json!([ep("public"), ep("internal"), ep("admin")])
}

/// The service catalog every token carries.
fn catalog(st: &AppState, project_id: Option<&str>) -> Value {
    let base = &st.public_url;
    let mut services = vec![
        json!({"type": "identity", "name": "keystone", "id": "identity", "endpoints": endpoints("identity", &format!("{base}/v3"))}),
        json!({"type": "image", "name": "glance", "id": "image", "endpoints": endpoints("image", &format!("{base}/image"))}),
        json!({"type": "network", "name": "neutron", "id": "network", "endpoints": endpoints("network", &format!("{base}/network"))}),
    ];
    if let Some(p) = project_id {
        services.push(json!({"type": "compute", "name": "nova", "id": "compute", "endpoints": endpoints("compute", &format!("{base}/v2.1/{p}"))}));
        services.push(json!({"type": "ecs", "name": "ecs", "id": "ecs", "endpoints": endpoints("ecs", base)}));
        services.push(json!({"type": "vpc", "name": "vpc", "id": "vpc", "endpoints": endpoints("vpc", base)}));
        services.push(json!({"type": "evs", "name": "evs", "id": "evs", "endpoints": endpoints("evs", base)}));
        services.push(json!({"type": "block-storage", "name": "cinder", "id": "block-storage", "endpoints": endpoints("block-storage", &format!("{base}/volume/v3/{p}"))}));
        services.push(json!({"type": "volumev3", "name": "cinderv3", "id": "volumev3", "endpoints": endpoints("volumev3", &format!("{base}/volume/v3/{p}"))}));
    }
    Value::Array(services)
}

fn token_body(st: &AppState, info: &TokenInfo, with_catalog: bool) -> Value {
    let domain = json!({"id": info.domain.id, "name": info.domain.name});
    let roles = if info.user.account_admin {
        json!([{"id": "admin", "name": "admin"}, {"id": "member", "name": "member"}, {"id": "reader", "name": "reader"}])
    } else {
        json!([])
    };
    let mut token = json!({
        "methods": info.record.methods,
        "user": {"id": info.user.id, "name": info.user.name, "domain": domain, "password_expires_at": null},
        "audit_ids": [info.record.audit_id],
        "expires_at": ks_time(info.record.expires_at),
        "issued_at": ks_time(info.record.issued_at),
        "roles": roles,
        "is_domain": false,
    });
    match &info.project {
        Some(p) => token["project"] = json!({"id": p.id, "name": p.name, "domain": domain}),
        None => token["domain"] = domain.clone(),
    }
    if with_catalog {
        token["catalog"] = catalog(st, info.project.as_ref().map(|p| p.id.as_str()));
    }
    json!({ "token": token })
}

fn bad(msg: &str) -> Response {
    errors::keystone_status(StatusCode::BAD_REQUEST, msg)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn parse_scope(auth: &Value) -> Result<Scope, Response> {
    let Some(scope) = auth.get("scope") else {
        return Ok(Scope::Unscoped);
    };
    if scope.as_str() == Some("unscoped") {
        return Ok(Scope::Unscoped);
    }
    if let Some(p) = scope.get("project") {
        if let Some(id) = str_at(p, &["id"]) {
            return Ok(Scope::ProjectId(id.to_string()));
        }
        if let Some(name) = str_at(p, &["name"]) {
            return Ok(Scope::ProjectName {
                name: name.to_string(),
                domain_id: str_at(p, &["domain", "id"]).map(str::to_string),
                domain_name: str_at(p, &["domain", "name"]).map(str::to_string),
            });
        }
        return Err(bad("Expecting to find id or name in project."));
    }
    if let Some(d) = scope.get("domain") {
        if let Some(id) = str_at(d, &["id"]) {
            return Ok(Scope::DomainId(id.to_string()));
        }
        if let Some(name) = str_at(d, &["name"]) {
            return Ok(Scope::DomainName(name.to_string()));
        }
        return Err(bad("Expecting to find id or name in domain."));
    }
    Err(bad("The requested scope is not supported."))
}

#[derive(serde::Deserialize)]
pub(super) struct TokenQuery {
    nocatalog: Option<String>,
}

pub(super) async fn issue(
    State(st): State<Arc<AppState>>,
    trace: Option<Extension<RequestTrace>>,
    q: Query<TokenQuery>,
    body: Bytes,
) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad("Malformed request body: expecting JSON.");
    };
    let Some(auth) = v.get("auth") else {
        return bad("'auth' is a required property");
    };
    let scope = match parse_scope(auth) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let methods: Vec<&str> = auth
        .pointer("/identity/methods")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let result = if methods.contains(&"password") {
        let Some(user) = auth.pointer("/identity/password/user") else {
            return bad("'user' is a required property");
        };
        let Some(password) = str_at(user, &["password"]) else {
            return bad("'password' is a required property");
        };
        let user_ref = match (str_at(user, &["id"]), str_at(user, &["name"])) {
            (Some(id), _) => UserRef::Id(id.to_string()),
            (None, Some(name)) => UserRef::Name {
                name: name.to_string(),
                domain_id: str_at(user, &["domain", "id"]).map(str::to_string),
                domain_name: str_at(user, &["domain", "name"]).map(str::to_string),
            },
            _ => return bad("Expecting to find id or name in user."),
        };
        st.identity.authenticate_password(&user_ref, password, &scope).await
    } else if methods.contains(&"token") {
        let Some(token) = auth.pointer("/identity/token/id").and_then(Value::as_str) else {
            return bad("'id' is a required property");
        };
        st.identity.authenticate_token(token, &scope).await
    } else {
        return bad("Unsupported authentication method.");
    };
    match result {
        Ok((token, info)) => {
            // Sign-ins are audited like any authenticated request.
            if let Some(Extension(trace)) = &trace {
                trace.note_principal(info.any_caller().principal());
                trace.note_operation(OpId::KeystoneIssueToken.name());
            }
            let with_catalog = q.nocatalog.is_none();
            let mut resp = (StatusCode::CREATED, Json(token_body(&st, &info, with_catalog))).into_response();
            if let Ok(h) = HeaderValue::from_str(&token) {
                resp.headers_mut().insert("x-subject-token", h);
            }
            add_request_id(resp)
        }
        Err(ControlError::Internal(e)) => errors::keystone(&ControlError::Internal(e)),
        Err(_) => super::auth::keystone_unauthorized(&st),
    }
}

fn add_request_id(mut resp: Response) -> Response {
    if let Ok(h) = HeaderValue::from_str(&new_request_id()) {
        resp.headers_mut().insert("x-openstack-request-id", h);
    }
    resp
}

pub(super) async fn validate(State(st): State<Arc<AppState>>, q: Query<TokenQuery>, headers: HeaderMap) -> Response {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (Some(caller_token), Some(subject)) = (get("x-auth-token"), get("x-subject-token")) else {
        return super::auth::keystone_unauthorized(&st);
    };
    if st.identity.validate(&caller_token).await.is_err() {
        return super::auth::keystone_unauthorized(&st);
    }
    match st.identity.validate(&subject).await {
        Ok(info) => {
            let mut resp = Json(token_body(&st, &info, q.nocatalog.is_none())).into_response();
            if let Ok(h) = HeaderValue::from_str(&subject) {
                resp.headers_mut().insert("x-subject-token", h);
            }
            add_request_id(resp)
        }
        Err(_) => errors::keystone_status(StatusCode::NOT_FOUND, "Could not find token."),
    }
}

/// `DELETE /v3/auth/tokens`: 204, after which the token no longer
/// validates (404 for a token that does not).
pub(super) async fn revoke(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (Some(caller_token), Some(subject)) = (get("x-auth-token"), get("x-subject-token")) else {
        return super::auth::keystone_unauthorized(&st);
    };
    let Ok(caller) = st.identity.validate(&caller_token).await else {
        return super::auth::keystone_unauthorized(&st);
    };
    match st.identity.revoke_token(&caller, &subject).await {
        Ok(()) => add_request_id(StatusCode::NO_CONTENT.into_response()),
        Err(e) => errors::keystone(&e),
    }
}

pub(super) async fn check(State(st): State<Arc<AppState>>, q: Query<TokenQuery>, headers: HeaderMap) -> Response {
    let resp = validate(State(st), q, headers).await;
    let status = if resp.status() == StatusCode::OK {
        StatusCode::OK
    } else {
        resp.status()
    };
    let mut out = status.into_response();
    *out.headers_mut() = resp.headers().clone();
    out
}
