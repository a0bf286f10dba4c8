//! Start: power the VM on. A failure rolls back to the stopped state.

use super::{Flow, RunState, Step};
use crate::domain::{PowerState, Server, VmState};

pub struct Start;

impl Flow for Start {
    fn plan(&self, _run: &RunState) -> Vec<Step> {
        vec![Step::PowerOn, Step::Finish]
    }

    fn event(&self, _step: &Step) -> &'static str {
        "compute_start_instance"
    }

    fn final_vm_state(&self, _power: PowerState, _run: &RunState) -> VmState {
        VmState::Active
    }

    fn finish(&self, _s: &mut Server, _run: &RunState) {}
}
