//! Each dialect's error format, in exactly one place: Huawei ECS
//! (`{"error":{"code","message"}}`), the Huawei API gateway for
//! authentication (`{"error_code","error_msg","request_id"}`), Nova faults
//! (`{"itemNotFound":{"code":404,"message"}}`) and Keystone
//! (`{"error":{"code","title","message"}}`).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::ControlError;

/// The API family a request belongs to; decides the error format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Huawei,
    Nova,
    Keystone,
    Glance,
    /// Neutron v2.0 (`{"NeutronError":{"type","message","detail"}}`).
    Neutron,
    /// Huawei VPC v1 (`{"code","message"}`).
    Vpc,
    /// Cinder v3: Nova's fault format.
    Cinder,
    /// Huawei EVS: the ECS error format with EVS codes.
    Evs,
    /// Huawei IMS: `{"error": {"code", "message"}}` with IMS codes.
    Ims,
}

pub fn status_of(e: &ControlError, dialect: Dialect) -> StatusCode {
    match e {
        ControlError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        ControlError::ServerNotFound { .. } | ControlError::NotFound { .. } => {
            // Huawei answers an unknown job with 400 Common.0011.
            match e {
                ControlError::NotFound {
                    code: "Common.0011", ..
                } => StatusCode::BAD_REQUEST,
                // IMS answers a missing image (or server) with 400.
                _ if dialect == Dialect::Ims => StatusCode::BAD_REQUEST,
                _ => StatusCode::NOT_FOUND,
            }
        }
        // Huawei reports state and lock refusals as 400 (Ecs.0100 / Ecs.0605).
        ControlError::InvalidState { .. } | ControlError::Locked { .. } if dialect == Dialect::Huawei => {
            StatusCode::BAD_REQUEST
        }
        ControlError::InvalidState { .. } | ControlError::Locked { .. } | ControlError::Conflict { .. } => {
            StatusCode::CONFLICT
        }
        ControlError::Forbidden { .. } => StatusCode::FORBIDDEN,
        ControlError::OverQuota { .. } => match dialect {
            Dialect::Cinder => StatusCode::PAYLOAD_TOO_LARGE,
            Dialect::Neutron | Dialect::Vpc => StatusCode::CONFLICT,
            Dialect::Huawei | Dialect::Evs | Dialect::Ims => StatusCode::BAD_REQUEST,
            _ => StatusCode::FORBIDDEN,
        },
        ControlError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
        ControlError::Capacity { .. } => StatusCode::CONFLICT,
        ControlError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ControlError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ControlError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message a client may see; internal details stay in the log.
fn client_message(e: &ControlError) -> String {
    match e {
        ControlError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            "A system exception occurred. Try again later or contact customer service.".into()
        }
        other => other.to_string(),
    }
}

/// A JSON body with the content type every dialect answers with.
pub fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    resp
}

/// ECS service format.
pub fn huawei(e: &ControlError) -> Response {
    huawei_as(e, Dialect::Huawei)
}

/// ECS's format with the statuses of a Huawei service that shares it (EVS, IMS).
fn huawei_as(e: &ControlError, dialect: Dialect) -> Response {
    let status = status_of(e, dialect);
    let code = e.code();
    let message = match e {
        ControlError::InvalidState { .. } => format!(
            "The ECS status does not meet requirements. Make the ECS in the required status and try again. ({})",
            e
        ),
        ControlError::Locked { id } => format!("ECS locked. (Instance {id} is locked)"),
        ControlError::ServerNotFound { id } => format!("The ECS does not exist. (Instance {id} could not be found.)"),
        _ => client_message(e),
    };
    json_response(status, json!({"error": {"code": code, "message": message}}))
}

/// API gateway format for authentication failures on Huawei routes.
pub fn gateway(code: &str, message: &str, request_id: &str) -> Response {
    json_response(
        StatusCode::UNAUTHORIZED,
        json!({"error_code": code, "error_msg": message, "request_id": request_id}),
    )
}

/// The API gateway's 404 for a path no API has.
pub fn gateway_not_found(request_id: &str) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        json!({
            "error_code": "APIGW.0101",
            "error_msg": "The API does not exist or has not been published in the environment.",
            "request_id": request_id,
        }),
    )
}

/// Huawei IAM's format (`/v3.0` routes) for bad input, missing objects and
/// conflicts; everything else (403 included) in Keystone's.
pub fn huawei_iam(e: &ControlError, request_id: &str) -> Response {
    match e {
        ControlError::BadRequest { code, message }
        | ControlError::NotFound { code, message }
        | ControlError::Conflict { code, message } => json_response(
            status_of(e, Dialect::Keystone),
            json!({"error_code": code, "error_msg": message, "request_id": request_id}),
        ),
        _ => keystone(e),
    }
}

/// Nova's fault name for a status.
fn nova_fault_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        405 => "badMethod",
        409 => "conflictingRequest",
        413 | 429 => "overLimit",
        415 => "badMediaType",
        501 => "notImplemented",
        503 => "serviceUnavailable",
        _ => "computeFault",
    }
}

/// Nova fault format.
pub fn nova(e: &ControlError) -> Response {
    if let ControlError::Unauthenticated { message } = e {
        return keystone_status(StatusCode::UNAUTHORIZED, message);
    }
    let status = status_of(e, Dialect::Nova);
    nova_status(status, &client_message(e))
}

pub fn nova_status(status: StatusCode, message: &str) -> Response {
    let name = nova_fault_name(status);
    json_response(status, json!({name: {"code": status.as_u16(), "message": message}}))
}

fn keystone_title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        _ => "Internal Server Error",
    }
}

pub fn keystone(e: &ControlError) -> Response {
    let status = status_of(e, Dialect::Keystone);
    keystone_status(status, &client_message(e))
}

pub fn keystone_status(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        json!({"error": {"code": status.as_u16(), "title": keystone_title(status), "message": message}}),
    )
}

/// Glance's plain error format.
pub fn glance(e: &ControlError) -> Response {
    let status = status_of(e, Dialect::Glance);
    json_response(
        status,
        json!({"code": status.as_u16(), "title": keystone_title(status), "message": client_message(e)}),
    )
}

pub fn for_dialect(dialect: Dialect, e: &ControlError) -> Response {
    match dialect {
        Dialect::Huawei => huawei(e),
        Dialect::Nova => nova(e),
        Dialect::Keystone => keystone(e),
        Dialect::Glance => glance(e),
        Dialect::Neutron => neutron(e),
        Dialect::Vpc => vpc(e),
        Dialect::Cinder => cinder(e),
        Dialect::Evs => huawei_as(e, Dialect::Evs),
        Dialect::Ims => huawei_as(e, Dialect::Ims),
    }
}

/// Cinder: Nova's fault format, but over quota is 413 `overLimit` with the
/// exception's class name before its message and `Retry-After: 0`.
fn cinder(e: &ControlError) -> Response {
    let ControlError::OverQuota {
        resource,
        requested,
        used,
        limit,
    } = e
    else {
        return nova(e);
    };
    let message = if *resource == crate::domain::quota::Resource::Gigabytes {
        format!(
            "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. \
             Requested {requested}G, quota is {limit}G and {used}G has been consumed."
        )
    } else {
        format!("VolumeLimitExceeded: Maximum number of volumes allowed ({limit}) exceeded for quota 'volumes'.")
    };
    let mut resp = json_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({"overLimit": {"code": 413, "message": message, "retryAfter": "0"}}),
    );
    resp.headers_mut().insert("retry-after", HeaderValue::from_static("0"));
    resp
}

/// Neutron's and Huawei VPC's over-quota text: `Quota exceeded for resources: ['port'].`
fn over_quota_text(e: &ControlError) -> Option<String> {
    match e {
        ControlError::OverQuota { resource, .. } => Some(format!(
            "Quota exceeded for resources: ['{}'].",
            resource.neutron_key().unwrap_or(resource.key())
        )),
        _ => None,
    }
}

/// Neutron's exception type for an error: the class name Neutron raises.
fn neutron_type(e: &ControlError) -> &'static str {
    use crate::domain::vpc::codes;
    match e {
        ControlError::NotFound { code, .. } => match *code {
            codes::SUBNET_NOT_FOUND => "NetworkNotFound",
            codes::NEUTRON_SUBNET_NOT_FOUND => "SubnetNotFound",
            codes::GROUP_NOT_FOUND => "SecurityGroupNotFound",
            codes::RULE_NOT_FOUND => "SecurityGroupRuleNotFound",
            codes::PORT_NOT_FOUND => "PortNotFound",
            codes::FLOATING_NOT_FOUND => "FloatingIPNotFound",
            _ => "NotFound",
        },
        ControlError::BadRequest { code, .. } => match *code {
            codes::SUBNET_OVERLAP => "InvalidInput",
            _ => "HTTPBadRequest",
        },
        ControlError::Conflict { code, message } => match *code {
            codes::SUBNET_IN_USE if message.contains("network") => "NetworkInUse",
            codes::SUBNET_IN_USE => "SubnetInUse",
            codes::GROUP_IN_USE => "SecurityGroupInUse",
            codes::RULE_EXISTS => "SecurityGroupRuleExists",
            codes::PORT_IN_USE => "PortInUse",
            codes::FLOATING_IN_USE => "FloatingIPPortAlreadyAssociated",
            codes::ADDRESS_IN_USE => "IpAddressAlreadyAllocated",
            codes::VPC_QUOTA | codes::SUBNET_QUOTA | codes::GROUP_QUOTA => "OverQuota",
            _ => "Conflict",
        },
        ControlError::Forbidden { .. } => "PolicyNotAuthorized",
        ControlError::OverQuota { .. } => "OverQuota",
        ControlError::Capacity { .. } => "IpAddressGenerationFailure",
        ControlError::TooLarge => "RequestEntityTooLarge",
        ControlError::UnsupportedMediaType => "HTTPUnsupportedMediaType",
        _ => "HTTPInternalServerError",
    }
}

/// Neutron's format; an authentication failure is keystonemiddleware's.
pub fn neutron(e: &ControlError) -> Response {
    if let ControlError::Unauthenticated { message } = e {
        return keystone_status(StatusCode::UNAUTHORIZED, message);
    }
    let status = status_of(e, Dialect::Neutron);
    let message = over_quota_text(e).unwrap_or_else(|| client_message(e));
    neutron_status(status, neutron_type(e), &message)
}

pub fn neutron_status(status: StatusCode, kind: &str, message: &str) -> Response {
    json_response(
        status,
        json!({"NeutronError": {"type": kind, "message": message, "detail": ""}}),
    )
}

/// Huawei VPC's format: `{"code": "VPC.0003", "message": "..."}`; a denial
/// is VPC.2201 as Huawei's VPC reference lists it.
pub fn vpc(e: &ControlError) -> Response {
    let status = status_of(e, Dialect::Vpc);
    let code = match e {
        ControlError::Forbidden { .. } => "VPC.2201",
        ControlError::Unauthenticated { .. } => "VPC.0008",
        ControlError::BadRequest { code, .. } if !code.starts_with("VPC.") => crate::domain::vpc::codes::VPC_INVALID,
        _ => e.code(),
    };
    let message = over_quota_text(e).unwrap_or_else(|| client_message(e));
    json_response(status, json!({"code": code, "message": message}))
}
