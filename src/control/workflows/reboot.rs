//! Reboot, soft or hard: two progress steps, then the reboot. Nothing is
//! destructive, so a failure rolls back to the state before.

use serde::{Deserialize, Serialize};

use super::{Flow, RunState, Step};
use crate::domain::{PowerState, Server, TaskState, VmState};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RebootInput {
    /// The driver reboots by power cycle instead of asking the guest.
    #[serde(default)]
    pub hard: bool,
}

pub struct Reboot<'a> {
    /// The hard-reboot workflow (its task states), as the catalog row says.
    hard_workflow: bool,
    input: &'a RebootInput,
}

impl<'a> Reboot<'a> {
    pub fn soft(input: &'a RebootInput) -> Self {
        Reboot {
            hard_workflow: false,
            input,
        }
    }

    pub fn hard(input: &'a RebootInput) -> Self {
        Reboot {
            hard_workflow: true,
            input,
        }
    }
}

impl Flow for Reboot<'_> {
    fn plan(&self, _run: &RunState) -> Vec<Step> {
        let (pending, started) = if self.hard_workflow {
            (TaskState::RebootPendingHard, TaskState::RebootStartedHard)
        } else {
            (TaskState::RebootPending, TaskState::RebootStarted)
        };
        vec![
            Step::Task(pending),
            Step::Task(started),
            Step::Reboot { hard: self.input.hard },
            Step::Finish,
        ]
    }

    fn event(&self, _step: &Step) -> &'static str {
        "compute_reboot_instance"
    }

    fn final_vm_state(&self, _power: PowerState, _run: &RunState) -> VmState {
        VmState::Active
    }

    fn finish(&self, _s: &mut Server, _run: &RunState) {}
}
