//! The single authorization seam: `authorize(caller, operation, target)`,
//! fed by the operation's catalog row. Deny by default.

use crate::catalog::Operation;
use crate::domain::{Caller, ControlError, Server};

pub trait Authorizer: Send + Sync + 'static {
    /// Ok when the caller holds every action of the row for this target.
    fn authorize(&self, caller: &Caller, op: &Operation, target: Option<&Server>) -> Result<(), ControlError>;
}

/// Account administrators hold every action within their own account;
/// everyone else holds none until policies are granted.
pub struct AccountAdminAuthorizer;

impl Authorizer for AccountAdminAuthorizer {
    fn authorize(&self, caller: &Caller, op: &Operation, target: Option<&Server>) -> Result<(), ControlError> {
        let own_account = target.is_none_or(|s| s.domain_id == caller.domain_id);
        if caller.is_admin && own_account {
            return Ok(());
        }
        Err(ControlError::Forbidden {
            missing: op.actions.iter().map(|a| a.to_string()).collect(),
        })
    }
}
