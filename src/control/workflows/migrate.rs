//! Huawei cold migration between shared hosts and a dedicated host (DeH):
//! schedule on another host, detach volumes (destructive from here), define
//! on the target, bind ports and attach volumes there, remove the source.

use serde::{Deserialize, Serialize};

use super::{by_power, Admission, Flow, Leaving, Placement, RunState, Step};
use crate::domain::{ControlError, ControlResult, PowerState, Server, VmState};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MigrateInput {
    /// `Some(id)` to a dedicated host, `None` back to shared.
    pub dedicated_host_id: Option<String>,
}

pub fn prepare(cx: &Admission, server: &Server, input: &MigrateInput) -> ControlResult<MigrateInput> {
    cx.require(cx.capabilities.cold_migrate)?;
    if let Some(deh) = &input.dedicated_host_id {
        if cx.inventory.dedicated_host(deh).is_none() {
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                format!("Dedicated host {deh} does not exist."),
            ));
        }
        if server.dedicated_host_id.as_deref() == Some(deh.as_str()) {
            return Err(ControlError::bad_request_code(
                "Ecs.0221",
                "The ECS is already on the target dedicated host.",
            ));
        }
    } else if server.dedicated_host_id.is_none() {
        return Err(ControlError::bad_request_code(
            "Ecs.0221",
            "The ECS is not on a dedicated host; give dedicated_host_id to migrate it to one.",
        ));
    }
    Ok(input.clone())
}

pub struct Migrate<'a>(pub &'a MigrateInput);

impl Flow for Migrate<'_> {
    fn plan(&self, _run: &RunState) -> Vec<Step> {
        vec![
            Step::Schedule(Placement::Migrate {
                dedicated_host_id: self.0.dedicated_host_id.clone(),
            }),
            Step::DetachVolumes,
            Step::DefineOnTarget {
                flavor_id: None,
                image_id: None,
            },
            Step::BindPorts,
            Step::AttachVolumes,
            Step::UndefineSource(Leaving::Current),
            Step::Finish,
        ]
    }

    fn event(&self, _step: &Step) -> &'static str {
        "cold_migrate"
    }

    fn final_vm_state(&self, power: PowerState, _run: &RunState) -> VmState {
        by_power(power)
    }

    fn finish(&self, s: &mut Server, run: &RunState) {
        s.host = run.target_host.clone().or(s.host.clone());
        s.dedicated_host_id = self.0.dedicated_host_id.clone();
    }
}
