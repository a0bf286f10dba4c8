//! Admission: whether an operation may start on a server as it is now.

use super::{LockRule, Operation};
use crate::domain::{ControlError, Server};

/// A pure function of the row, the server and whether the caller may bypass
/// locks. Order as in Nova: lock, vm_state, task_state, launched.
pub fn admit(operation: &Operation, server: &Server, bypass_lock: bool) -> Result<(), ControlError> {
    if operation.lock == LockRule::Checked && server.locked && !bypass_lock {
        return Err(ControlError::Locked { id: server.id.clone() });
    }
    let Some(rule) = operation.states else {
        return Ok(());
    };
    let refused = |vm_state, task_state| ControlError::InvalidState {
        action: operation.conflict_name,
        id: server.id.clone(),
        vm_state,
        task_state,
    };
    if !rule.vm_states.contains(&server.vm_state) {
        return Err(refused(Some(server.vm_state), None));
    }
    if !rule.task_states.contains(&server.task_state) {
        return Err(refused(None, Some(server.task_state)));
    }
    if rule.needs_launched && server.launched_at.is_none() {
        return Err(refused(None, None));
    }
    Ok(())
}
