//! Stop: power the VM off (gracefully, or at once when hard). A failure
//! rolls back to the running state.

use serde::{Deserialize, Serialize};

use super::{Flow, RunState, Step};
use crate::domain::{PowerState, Server, VmState};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StopInput {
    /// Huawei's `type: HARD`: cut the power instead of a shutdown.
    #[serde(default)]
    pub hard: bool,
}

pub struct Stop<'a>(pub &'a StopInput);

impl Flow for Stop<'_> {
    fn plan(&self, _run: &RunState) -> Vec<Step> {
        vec![Step::PowerOff { hard: self.0.hard }, Step::Finish]
    }

    fn event(&self, _step: &Step) -> &'static str {
        "compute_stop_instance"
    }

    fn final_vm_state(&self, _power: PowerState, _run: &RunState) -> VmState {
        VmState::Stopped
    }

    fn finish(&self, _s: &mut Server, _run: &RunState) {}
}
