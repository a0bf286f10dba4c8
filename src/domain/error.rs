//! One error type for the whole control plane, knowing nothing of HTTP.
//! Each API dialect maps it to its own body and status in exactly one place.

use super::quota::Resource;
use super::server::{TaskState, VmState};

/// What went wrong, in terms the dialects can translate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControlError {
    /// Request body or parameters are wrong. `code` is a Huawei error code
    /// hint (e.g. `Ecs.0005`) used by the Huawei dialect.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// The server does not exist or belongs to another project.
    #[error("Instance {id} could not be found.")]
    ServerNotFound { id: String },
    /// Any other missing thing (flavor, image, job, action...).
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// The server is in the wrong state for the operation.
    #[error("Cannot '{action}' instance {id} while it is in {}", describe_state(.vm_state, .task_state))]
    InvalidState {
        action: &'static str,
        id: String,
        vm_state: Option<VmState>,
        task_state: Option<Option<TaskState>>,
    },
    /// The server is locked and the caller may not bypass the lock.
    #[error("Instance {id} is locked")]
    Locked { id: String },
    /// A concurrent change won the claim on the server.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The caller is not allowed; `missing` lists every action not granted.
    #[error("Policy doesn't allow {} to be performed.", .missing.join(", "))]
    Forbidden { missing: Vec<String> },
    /// Authentication failed or is absent.
    #[error("{message}")]
    Unauthenticated { message: String },
    /// No host has room for the server.
    #[error("{message}")]
    Capacity { message: String },
    /// A project's quota for a resource would be exceeded (Nova's text;
    /// each dialect words and codes it its own way).
    #[error("Quota exceeded for {}: Requested {requested}, but already used {used} of {limit} {}", .resource.key(), .resource.key())]
    OverQuota {
        resource: Resource,
        requested: i64,
        used: i64,
        limit: i64,
    },
    /// Body larger than allowed.
    #[error("Request is too large.")]
    TooLarge,
    /// Content type not JSON.
    #[error("Unsupported Content-Type")]
    UnsupportedMediaType,
    /// Something unexpected; the message is for the log, never the client.
    #[error("internal error: {0}")]
    Internal(String),
}

fn describe_state(vm: &Option<VmState>, task: &Option<Option<TaskState>>) -> String {
    match (vm, task) {
        (Some(vm), _) => format!("vm_state {}", vm.as_str()),
        (None, Some(Some(t))) => format!("task_state {}", t.as_str()),
        (None, Some(None)) => "task_state None".to_string(),
        (None, None) => "an invalid state".to_string(),
    }
}

impl ControlError {
    /// The error's code, in Huawei's scheme: what a Huawei body, a failed
    /// job or sub-job carries.
    pub fn code(&self) -> &'static str {
        match self {
            ControlError::BadRequest { code, .. } => code,
            ControlError::ServerNotFound { .. } => "Ecs.0114",
            ControlError::NotFound { code, .. } => code,
            ControlError::InvalidState { .. } => "Ecs.0100",
            ControlError::Locked { .. } => "Ecs.0605",
            ControlError::Conflict { code, .. } => code,
            ControlError::Forbidden { .. } => "Pdp.0001",
            ControlError::Unauthenticated { .. } => "Common.0013",
            ControlError::Capacity { .. } => "Ecs.0001",
            // Huawei's codes: ECS Ecs.0001, VPC VPC.0114, EIP VPC.0521; EVS's
            // quota code is UNCONFIRMED.
            ControlError::OverQuota { resource, .. } => match resource {
                Resource::Instances | Resource::Cores | Resource::Ram => "Ecs.0001",
                Resource::Volumes | Resource::Gigabytes => "EVS.2006",
                Resource::FloatingIps => "VPC.0521",
                _ => "VPC.0114",
            },
            ControlError::TooLarge => "Ecs.0005",
            ControlError::UnsupportedMediaType => "Ecs.0005",
            ControlError::Internal(_) => "Common.0001",
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ControlError::BadRequest {
            code: "Ecs.0005",
            message: message.into(),
        }
    }

    pub fn bad_request_code(code: &'static str, message: impl Into<String>) -> Self {
        ControlError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ControlError::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for ControlError {
    fn from(e: serde_json::Error) -> Self {
        ControlError::Internal(format!("json: {e}"))
    }
}

pub type ControlResult<T> = Result<T, ControlError>;
