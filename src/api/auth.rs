//! Authentication: a Keystone token (`X-Auth-Token`) or a Huawei AK/SK
//! signature (`Authorization: SDK-HMAC-SHA256 ...`). The result is a caller
//! scoped to a project (compute) or to its account (identity management);
//! failures answer 401 in the format of the path's API family.

use std::sync::Arc;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::aksk::{self, AkSkError};
use super::errors::{self, Dialect};
use super::AppState;
use crate::domain::{Caller, ControlError};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// 401 for a missing or bad token, in the path's format.
fn token_failure(st: &AppState, dialect: Dialect, request_id: &str, message: &str) -> Response {
    match dialect {
        Dialect::Huawei | Dialect::Vpc | Dialect::Evs | Dialect::Ims => errors::gateway(
            "APIGW.0301",
            &format!("Incorrect IAM authentication information: {message}"),
            request_id,
        ),
        _ => {
            let mut resp = errors::keystone_status(
                StatusCode::UNAUTHORIZED,
                "The request you have made requires authentication.",
            );
            if let Ok(v) = format!("Keystone uri=\"{}/v3\"", st.public_url).parse() {
                resp.headers_mut().insert("www-authenticate", v);
            }
            resp
        }
    }
}

fn project_mismatch(dialect: Dialect, url: &str, token: &str) -> Response {
    match dialect {
        Dialect::Huawei | Dialect::Evs | Dialect::Ims => errors::huawei(&ControlError::bad_request_code(
            "Ecs.0023",
            "project_id in token mismatches with project_id in url.",
        )),
        Dialect::Vpc => errors::vpc(&ControlError::bad_request_code(
            "VPC.0007",
            "urlTenantId is not equal tokenTenantId",
        )),
        _ => errors::nova_status(
            StatusCode::BAD_REQUEST,
            &format!("Malformed request URL: URL's project_id '{url}' doesn't match Context's project_id '{token}'"),
        ),
    }
}

/// Whether a route needs a project-scoped caller (compute) or accepts one
/// scoped to the account only (identity management).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeNeed {
    Project,
    AccountOrProject,
}

/// What authentication reads of a request.
pub struct AuthInput<'a> {
    pub method: &'a Method,
    /// The raw path, as signed.
    pub path: &'a str,
    /// The raw query string, as signed.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// The project named in the URL, if the route has one.
    pub url_project: Option<&'a str>,
    /// Decides the format of failures.
    pub dialect: Dialect,
    pub request_id: &'a str,
}

/// The caller of a request.
pub async fn authenticate(st: &Arc<AppState>, input: &AuthInput<'_>, need: ScopeNeed) -> Result<Caller, Response> {
    let dialect = input.dialect;
    if let Some(token) = header(input.headers, "x-auth-token") {
        let info = match st.identity.validate(token).await {
            Ok(i) => i,
            Err(ControlError::Internal(e)) => return Err(errors::for_dialect(dialect, &ControlError::Internal(e))),
            Err(e) => return Err(token_failure(st, dialect, input.request_id, &e.to_string())),
        };
        let caller = match (info.caller(), need) {
            (Some(c), _) => c,
            (None, ScopeNeed::AccountOrProject) => info.any_caller(),
            (None, ScopeNeed::Project) => {
                return Err(token_failure(
                    st,
                    dialect,
                    input.request_id,
                    "the token is not scoped to a project",
                ))
            }
        };
        if let Some(p) = input.url_project {
            if p != caller.project_id {
                return Err(project_mismatch(dialect, p, &caller.project_id));
            }
        }
        return Ok(caller);
    }
    if let Some(authz) = header(input.headers, "authorization") {
        return authenticate_aksk(st, authz, input, need).await;
    }
    Err(match dialect {
        Dialect::Huawei | Dialect::Vpc | Dialect::Evs | Dialect::Ims => {
            errors::gateway("APIGW.0305", "Incorrect authentication information.", input.request_id)
        }
        _ => token_failure(st, dialect, input.request_id, "missing credentials"),
    })
}

async fn authenticate_aksk(
    st: &Arc<AppState>,
    authz: &str,
    input: &AuthInput<'_>,
    need: ScopeNeed,
) -> Result<Caller, Response> {
    let dialect = input.dialect;
    let fail = |msg: String| {
        errors::gateway(
            "APIGW.0301",
            &format!("Incorrect IAM authentication information: {msg}"),
            input.request_id,
        )
    };
    let sig = aksk::parse_authorization(authz).map_err(|_| fail("unsupported authorization header".into()))?;
    let found = st
        .identity
        .access_key(&sig.access_key)
        .await
        .map_err(|e| errors::for_dialect(dialect, &e))?;
    let Some((secret, user, domain)) = found else {
        // Never echo more of the key than the client sent.
        return Err(fail(format!(
            "Get secretKey failed,ak:{},err:ak not exist",
            sig.access_key
        )));
    };
    let verified = aksk::verify(
        &sig,
        secret.as_bytes(),
        input.method.as_str(),
        input.path,
        input.query,
        input.headers,
        input.body,
        Utc::now(),
    );
    if let Err(e) = verified {
        tracing::info!(access_key = %sig.access_key, error = ?e, "AK/SK signature refused");
        return Err(fail(match e {
            AkSkError::Expired { signed_at, server_time } => {
                format!("signature expired, signature time:{signed_at},server time:{server_time}")
            }
            AkSkError::MissingDate | AkSkError::BadDate => "X-Sdk-Date is missing or malformed".into(),
            _ => "verify aksk signature fail".into(),
        }));
    }
    let header_project = header(input.headers, "x-project-id");
    if let (Some(u), Some(h)) = (input.url_project, header_project) {
        if u != h {
            return Err(project_mismatch(dialect, u, h));
        }
    }
    let Some(project) = input.url_project.or(header_project) else {
        if need == ScopeNeed::AccountOrProject {
            // Global services (IAM) are signed for the account: X-Domain-Id.
            if let Some(d) = header(input.headers, "x-domain-id") {
                if d != domain.id {
                    return Err(fail("X-Domain-Id is not the account of the access key".into()));
                }
            }
            return Ok(st.identity.domain_caller(&user, &domain));
        }
        return Err(fail("no project given (X-Project-Id)".into()));
    };
    st.identity
        .caller_for_project(&user, &domain, project)
        .await
        .map_err(|e| match e {
            ControlError::Unauthenticated { message } => fail(message),
            other => errors::for_dialect(dialect, &other),
        })
}

/// A response for a request without a valid token on identity routes.
pub fn keystone_unauthorized(st: &AppState) -> Response {
    let mut resp = errors::keystone_status(
        StatusCode::UNAUTHORIZED,
        "The request you have made requires authentication.",
    );
    if let Ok(v) = format!("Keystone uri=\"{}/v3\"", st.public_url).parse() {
        resp.headers_mut().insert("www-authenticate", v);
    }
    resp.into_response()
}
