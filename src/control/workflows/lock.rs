//! Lock and unlock change only the lock, never the server's state: their
//! job completes at once, so their plan is only the final step. The lock
//! is its own record (see [`LockRecord`]), so it may change while another
//! job holds the server without touching that job's writes.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{Flow, RunState, Step, WorkInput};
use crate::domain::LockRecord;
use crate::domain::{
    Caller, ControlError, ControlResult, InstanceAction, InstanceActionEvent, Job, JobStatus, LockedBy, PowerState,
    Server, VmState,
};
use crate::store::Store;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LockInput {
    /// The reason given (Nova 2.73+).
    pub reason: Option<String>,
}

/// Who a lock by `caller` is recorded as.
fn locked_by(caller: &Caller, server: &Server) -> LockedBy {
    if caller.project_id == server.project_id {
        LockedBy::Owner
    } else {
        LockedBy::Admin
    }
}

/// The lock record a lock or unlock input leaves; `None` for any other input.
pub fn change(caller: &Caller, server: &Server, input: &WorkInput) -> Option<LockRecord> {
    let (locked_by, locked_reason) = match input {
        WorkInput::Lock(lock) => (Some(locked_by(caller, server)), lock.reason.clone()),
        WorkInput::Unlock => (None, None),
        _ => return None,
    };
    Some(LockRecord {
        locked_by,
        locked_reason,
        changed_at: Utc::now(),
    })
}

/// Writes the lock with its job, finished at once, and its instance action
/// (closed with the workflow's one event); returns the server as it now
/// reads. A locked server locked again records no action (Nova).
pub async fn apply(
    store: &dyn Store,
    flow: &dyn Flow,
    server: &Server,
    lock: &LockRecord,
    job: &mut Job,
    action: Option<InstanceAction>,
) -> ControlResult<Server> {
    job.status = JobStatus::Success;
    job.end_time = Some(Utc::now());
    let relock = lock.locked_by.is_some() && server.locked;
    let action = action.filter(|_| !relock).map(|mut a| {
        a.events
            .push(InstanceActionEvent::started(flow.event(&Step::Finish)).finished("Success"));
        a
    });
    if !store.set_lock(&server.id, lock, job, action.as_ref()).await? {
        return Err(ControlError::ServerNotFound { id: server.id.clone() });
    }
    let mut locked = server.clone();
    lock.apply_to(&mut locked);
    Ok(locked)
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
