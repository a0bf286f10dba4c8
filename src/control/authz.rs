//! The single authorization seam: `authorize(caller, operation, target)`,
//! fed by the operation's catalog row. Deny by default.

use async_trait::async_trait;

use crate::catalog::Operation;
use crate::domain::{Caller, ControlError, Server};

#[async_trait]
pub trait Authorizer: Send + Sync + 'static {
    /// Ok when the caller holds every action of the row for this target.
    async fn authorize(&self, caller: &Caller, op: &Operation, target: Option<&Server>) -> Result<(), ControlError>;

    /// Ok when the caller holds every one of `actions` (identity management
    /// and other calls outside the compute catalog).
    async fn authorize_actions(&self, caller: &Caller, actions: &[&str]) -> Result<(), ControlError>;

    /// Forgets compiled policies after identities, grants or policies change.
    fn invalidate(&self) {}
}

/// Account administrators hold every action within their own account;
/// everyone else holds none until policies are granted.
pub struct AccountAdminAuthorizer;

#[async_trait]
impl Authorizer for AccountAdminAuthorizer {
    async fn authorize(&self, caller: &Caller, op: &Operation, target: Option<&Server>) -> Result<(), ControlError> {
        let own_account = target.is_none_or(|s| s.domain_id == caller.domain_id);
        if caller.is_admin && own_account {
            return Ok(());
        }
        Err(ControlError::Forbidden {
            missing: op.actions.iter().map(|a| a.to_string()).collect(),
        })
    }

    async fn authorize_actions(&self, caller: &Caller, actions: &[&str]) -> Result<(), ControlError> {
        if caller.is_admin {
            return Ok(());
        }
        Err(ControlError::Forbidden {
            missing: actions.iter().map(|a| a.to_string()).collect(),
        })
    }
}
