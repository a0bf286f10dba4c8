//! Create: place the server, wire its ports, define and boot the VM.
//! Its input is the server record, volumes and ports written at admission.
//!
//! Steps: schedule (a host with room; recorded at once), block device
//! mapping and networking (progress), bind ports, spawning (progress),
//! define on the host, attach volumes, power on. A failure at any step
//! leaves the server in ERROR: there is no earlier state to go back to.

use chrono::Utc;

use super::{Flow, OnFailure, Placement, RunState, Step};
use crate::domain::{PowerState, Server, TaskState, VmState};

pub struct Create;

impl Flow for Create {
    fn plan(&self, _run: &RunState) -> Vec<Step> {
        vec![
            Step::Schedule(Placement::New),
            Step::Task(TaskState::BlockDeviceMapping),
            Step::Task(TaskState::Networking),
            Step::BindPorts,
            Step::Task(TaskState::Spawning),
            Step::DefineOnTarget {
                flavor_id: None,
                image_id: None,
            },
            Step::AttachVolumes,
            Step::PowerOn,
            Step::Finish,
        ]
    }

    fn event(&self, _step: &Step) -> &'static str {
        "compute__do_build_and_run_instance"
    }

    fn final_vm_state(&self, _power: PowerState, _run: &RunState) -> VmState {
        VmState::Active
    }

    fn finish(&self, s: &mut Server, run: &RunState) {
        s.launched_at = Some(Utc::now());
        s.host = run.target_host.clone();
    }

    fn on_failure(&self) -> OnFailure {
        OnFailure::Error
    }
}
