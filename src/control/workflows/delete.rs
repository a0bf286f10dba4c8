//! Delete: power off, then tear down the VM, its volumes and its ports.
//!
//! Steps: power off (undone by rolling back), teardown (destructive: the
//! VM and volumes are gone, a failure leaves ERROR).

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{Flow, RunState, Step};
use crate::domain::{PowerState, Server, VmState};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeleteInput {
    /// Also delete the data volumes (Huawei `delete_volume`); the system
    /// volume and volumes marked delete-on-termination always go.
    #[serde(default)]
    pub delete_data_volumes: bool,
}

pub struct Delete<'a>(pub &'a DeleteInput);

impl Flow for Delete<'_> {
    fn plan(&self, _run: &RunState) -> Vec<Step> {
        vec![
            Step::PowerOff { hard: false },
            Step::Teardown {
                delete_data_volumes: self.0.delete_data_volumes,
            },
            Step::Finish,
        ]
    }

    fn event(&self, _step: &Step) -> &'static str {
        "compute_terminate_instance"
    }

    fn final_vm_state(&self, _power: PowerState, _run: &RunState) -> VmState {
        VmState::Deleted
    }

    fn finish(&self, s: &mut Server, _run: &RunState) {
        s.terminated_at = Some(Utc::now());
        s.power_state = PowerState::NoState;
        s.host = None;
    }
}
