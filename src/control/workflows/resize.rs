//! Native resize (ends in VERIFY_RESIZE), and its confirm and revert.
//!
//! Resize: power off, schedule, migrating (progress), detach volumes, then
//! on the target: migrated (progress), define, bind ports, attach volumes;
//! finish (progress), and power on if it was running. Detaching is the
//! first destructive step: from there a failure leaves ERROR; before it the
//! server rolls back.
//! Confirm: remove the VM from the resize source.
//! Revert: power off, detach, define back on the source, bind ports and
//! attach volumes there, remove the target, and power on if it was running.

use serde::{Deserialize, Serialize};

use super::{by_power, Admission, Flow, Leaving, Placement, RunState, Step};
use crate::domain::Inventory;
use crate::domain::{ControlError, ControlResult, Flavor, Image, PowerState, Server, TaskState, VmState};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResizeInput {
    pub flavor_id: String,
}

pub fn prepare(cx: &Admission, server: &Server, input: &ResizeInput) -> ControlResult<ResizeInput> {
    cx.require(cx.capabilities.resize)?;
    check_resize_target(cx, server, &input.flavor_id, true)?;
    Ok(input.clone())
}

/// The resize-flavor rules: the flavor exists, differs from the current
/// one, is on sale, has the same architecture and fits the image.
pub(super) fn check_resize_target<'a>(
    cx: &Admission<'a>,
    server: &Server,
    target: &str,
    native: bool,
) -> ControlResult<&'a Flavor> {
    let inventory = cx.inventory;
    let Some(flavor) = inventory.flavor(target).filter(|f| !f.disabled) else {
        return Err(ControlError::bad_request_code(
            "Ecs.0029",
            format!("Flavor {target} could not be found."),
        ));
    };
    if flavor.id == server.flavor_id {
        let msg = if native {
            "When resizing, instances must change flavor!"
        } else {
            "The ECS flavor is the same as the target flavor."
        };
        return Err(ControlError::bad_request_code("Ecs.0810", msg));
    }
    let current = inventory.flavor(&server.flavor_id);
    if !flavor.sellable() || current.is_some_and(|c| c.arch != flavor.arch) {
        return Err(ControlError::bad_request_code(
            "Ecs.0804",
            format!("The ECS flavor cannot be switched to the target flavor {target}. Change the target flavor."),
        ));
    }
    if let Some(image) = cx.image(&server.image_id) {
        if image.min_ram_mb > flavor.ram_mb {
            return Err(ControlError::bad_request_code(
                "Ecs.0804",
                "Flavor's memory is too small for requested image.",
            ));
        }
    }
    Ok(flavor)
}

/// Flavors a server may be resized to, by the same rules.
pub fn resize_targets(inventory: &dyn Inventory, server_flavor: &Flavor, image: Option<&Image>) -> Vec<Flavor> {
    inventory
        .flavors()
        .iter()
        .filter(|f| f.id != server_flavor.id && f.sellable() && f.arch == server_flavor.arch)
        .filter(|f| image.is_none_or(|i| i.min_ram_mb <= f.ram_mb))
        .cloned()
        .collect()
}

/// The steps that move a server to its new flavor, shared with Huawei's
/// resize: up to and including the `resize_finish` progress step.
pub(super) fn move_to_flavor(flavor_id: &str) -> Vec<Step> {
    vec![
        Step::PowerOff { hard: false },
        Step::Schedule(Placement::Resize {
            flavor_id: flavor_id.to_string(),
        }),
        Step::Task(TaskState::ResizeMigrating),
        Step::DetachVolumes,
        Step::Task(TaskState::ResizeMigrated),
        Step::DefineOnTarget {
            flavor_id: Some(flavor_id.to_string()),
            image_id: None,
        },
        Step::BindPorts,
        Step::AttachVolumes,
        Step::Task(TaskState::ResizeFinish),
    ]
}

/// The instance-action events of a resize, shared with Huawei's.
pub(super) fn resize_event(step: &Step) -> &'static str {
    match step {
        Step::PowerOff { .. } | Step::Task(TaskState::ResizePrep) | Step::Schedule(_) => "compute_prep_resize",
        Step::Task(TaskState::ResizeMigrating) | Step::DetachVolumes => "compute_resize_instance",
        _ => "compute_finish_resize",
    }
}

pub struct Resize<'a>(pub &'a ResizeInput);

impl Flow for Resize<'_> {
    fn plan(&self, run: &RunState) -> Vec<Step> {
        let mut steps = move_to_flavor(&self.0.flavor_id);
        if run.was_running {
            steps.push(Step::PowerOn);
        }
        steps.push(Step::Finish);
        steps
    }

    fn event(&self, step: &Step) -> &'static str {
        resize_event(step)
    }

    fn final_vm_state(&self, _power: PowerState, _run: &RunState) -> VmState {
        VmState::Resized
    }

    fn finish(&self, s: &mut Server, run: &RunState) {
        s.old_flavor_id = Some(s.flavor_id.clone());
        s.source_host = s.host.clone();
        s.flavor_id = self.0.flavor_id.clone();
        s.host = run.target_host.clone().or(s.host.clone());
    }
}

pub struct Confirm;

impl Flow for Confirm {
    fn plan(&self, _run: &RunState) -> Vec<Step> {
        vec![Step::UndefineSource(Leaving::ResizeSource), Step::Finish]
    }

    fn event(&self, _step: &Step) -> &'static str {
        "compute_confirm_resize"
    }

    fn final_vm_state(&self, power: PowerState, _run: &RunState) -> VmState {
        by_power(power)
    }

    fn finish(&self, s: &mut Server, _run: &RunState) {
        s.old_flavor_id = None;
        s.source_host = None;
    }
}

pub struct Revert;

impl Flow for Revert {
    fn plan(&self, run: &RunState) -> Vec<Step> {
        let mut steps = vec![
            Step::PowerOff { hard: false },
            Step::DetachVolumes,
            Step::DefineOnSource,
            Step::BindPorts,
            Step::AttachVolumes,
            Step::UndefineSource(Leaving::ResizeTarget),
        ];
        if run.was_running {
            steps.push(Step::PowerOn);
        }
        steps.push(Step::Finish);
        steps
    }

    fn event(&self, step: &Step) -> &'static str {
        match step {
            Step::PowerOff { .. } | Step::DetachVolumes => "compute_revert_resize",
            _ => "compute_finish_revert_resize",
        }
    }

    fn final_vm_state(&self, power: PowerState, _run: &RunState) -> VmState {
        by_power(power)
    }

    fn finish(&self, s: &mut Server, _run: &RunState) {
        if let Some(old) = s.old_flavor_id.take() {
            s.flavor_id = old;
        }
        if let Some(src) = s.source_host.take() {
            s.host = Some(src);
        }
    }
}
