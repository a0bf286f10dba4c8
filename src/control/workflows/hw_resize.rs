//! Huawei resize: the native resize's steps, confirmed at once (the source
//! goes in the same job), ending in the previous power state; with
//! `withStopServer` a running server is started again at the end.

use serde::{Deserialize, Serialize};

use super::resize::{check_resize_target, move_to_flavor, resize_event};
use super::{by_power, Admission, Flow, Leaving, RunState, Step};
use crate::domain::{ControlResult, PowerState, Server, VmState};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HwResizeInput {
    pub flavor_id: String,
    /// Start the server again at the end (`withStopServer`).
    #[serde(default)]
    pub restart_after: bool,
}

pub fn prepare(cx: &Admission, server: &Server, input: &HwResizeInput) -> ControlResult<HwResizeInput> {
    cx.require(cx.capabilities.resize)?;
    check_resize_target(cx, server, &input.flavor_id, false)?;
    Ok(input.clone())
}

pub struct HwResize<'a>(pub &'a HwResizeInput);

impl Flow for HwResize<'_> {
    fn plan(&self, run: &RunState) -> Vec<Step> {
        let mut steps = move_to_flavor(&self.0.flavor_id);
        steps.push(Step::UndefineSource(Leaving::Current));
        if self.0.restart_after && run.was_running {
            steps.push(Step::PowerOn);
        }
        steps.push(Step::Finish);
        steps
    }

    fn event(&self, step: &Step) -> &'static str {
        resize_event(step)
    }

    fn final_vm_state(&self, power: PowerState, _run: &RunState) -> VmState {
        by_power(power)
    }

    fn finish(&self, s: &mut Server, run: &RunState) {
        s.flavor_id = self.0.flavor_id.clone();
        s.host = run.target_host.clone().or(s.host.clone());
    }
}
