//! Lock and unlock change only the lock, never the server's state: their
//! job completes at once, so their plan is only the final step.

use serde::{Deserialize, Serialize};

use super::{Flow, RunState, Step};
use crate::domain::{Caller, LockedBy, PowerState, Server, VmState};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LockInput {
    /// The reason given (Nova 2.73+).
    pub reason: Option<String>,
}

/// Who a lock by `caller` is recorded as.
pub fn locked_by(caller: &Caller, server: &Server) -> LockedBy {
    if caller.project_id == server.project_id {
        LockedBy::Owner
    } else {
        LockedBy::Admin
    }
}

pub struct Lock<'a>(pub &'a LockInput);

impl Flow for Lock<'_> {
    fn plan(&self, _run: &RunState) -> Vec<Step> {
        vec![Step::Finish]
    }

    fn event(&self, _step: &Step) -> &'static str {
        "api_lock"
    }

    fn final_vm_state(&self, _power: PowerState, run: &RunState) -> VmState {
        run.prev_vm_state.unwrap_or(VmState::Active)
    }

    fn finish(&self, _s: &mut Server, _run: &RunState) {}
}

pub struct Unlock;

impl Flow for Unlock {
    fn plan(&self, _run: &RunState) -> Vec<Step> {
        vec![Step::Finish]
    }

    fn event(&self, _step: &Step) -> &'static str {
        "api_unlock"
    }

    fn final_vm_state(&self, _power: PowerState, run: &RunState) -> VmState {
        run.prev_vm_state.unwrap_or(VmState::Active)
    }

    fn finish(&self, _s: &mut Server, _run: &RunState) {}
}
