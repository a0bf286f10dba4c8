//! Workflows: each state-changing operation is a short, linear list of
//! steps. Every step is an "ensure" (safe to repeat after a crash), and its
//! input lives in one typed struct stored with the job.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Workflow;
use crate::domain::{PowerState, TaskState, VmState};

/// Workflow input and the decisions taken while running (stored as the
/// job's `params`). Ids of things a step creates are chosen up front so a
/// repeated step creates the same thing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkParams {
    /// The stable state before the claim, for rolling back early failures.
    pub prev_vm_state: Option<VmState>,
    /// Whether the VM was running when the operation was admitted.
    pub was_running: bool,
    /// Start the server again at the end (Huawei `withStopServer`).
    pub restart_after: bool,
    pub hard: bool,
    /// Resize target.
    pub flavor_id: Option<String>,
    /// Rebuild / change-OS target.
    pub image_id: Option<String>,
    /// Id of the system volume a rebuild creates.
    pub new_volume_id: Option<String>,
    /// Rebuild: new name and metadata, applied at the end.
    pub rename: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub key_name: Option<Option<String>>,
    pub user_data: Option<Option<String>>,
    pub description: Option<Option<String>>,
    /// Migrate: `Some(id)` to a dedicated host, `None` back to shared.
    pub dedicated_host_id: Option<String>,
    /// Host chosen by the scheduling step (kept so a repeat picks the same).
    pub target_host: Option<String>,
    /// Lock: the reason given (Nova 2.73+).
    pub lock_reason: Option<String>,
    /// Delete: also delete the data volumes (Huawei `delete_volume`); the
    /// system volume and volumes marked delete-on-termination always go.
    #[serde(default)]
    pub delete_data_volumes: bool,
}

/// One step of a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Record progress in `task_state`.
    Task(TaskState),
    /// Choose a host with capacity for the target flavor.
    Schedule,
    PowerOff,
    PowerOn,
    Reboot,
    /// Detach the server's volumes from its host (`evs:volumes:detach`).
    DetachVolumes,
    /// Define the VM on the target host with the target flavor and image.
    DefineOnTarget,
    /// Point the ports' binding at the target host (`vpc:ports:update`).
    BindPorts,
    /// Attach the volumes on the target host (`evs:volumes:attach`).
    AttachVolumes,
    /// Remove the VM from the host it left.
    UndefineSource,
    /// Create a system volume from the image (`evs:volumes:create`).
    CreateSystemVolume,
    /// Replace the old system volume with the new one, deleting the old.
    SwapSystemVolume,
    /// Resize reverted: define the VM back on its source host.
    DefineOnSource,
    /// Delete: remove the VM, volumes (if asked) and ports.
    Teardown,
    /// The last step: the final state in one transaction with the job.
    Finish,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Task(t) => t.as_str(),
            Step::Schedule => "schedule",
            Step::PowerOff => "power_off",
            Step::PowerOn => "power_on",
            Step::Reboot => "reboot",
            Step::DetachVolumes => "detach_volumes",
            Step::DefineOnTarget => "define_on_target",
            Step::BindPorts => "bind_ports",
            Step::AttachVolumes => "attach_volumes",
            Step::UndefineSource => "undefine_source",
            Step::CreateSystemVolume => "create_system_volume",
            Step::SwapSystemVolume => "swap_system_volume",
            Step::DefineOnSource => "define_on_source",
            Step::Teardown => "teardown",
            Step::Finish => "finish",
        }
    }

    /// Whether a failure at or after this step leaves the server in ERROR
    /// (something was changed that cannot simply be forgotten). Failures
    /// before the first such step roll the server back to where it was.
    pub fn destructive(self) -> bool {
        !matches!(
            self,
            Step::Task(_) | Step::Schedule | Step::PowerOff | Step::PowerOn | Step::Reboot | Step::Finish
        )
    }
}

/// The Nova instance-action event a step belongs to.
pub fn event_of(workflow: Workflow, step: Step) -> &'static str {
    match workflow {
        Workflow::Create => "compute__do_build_and_run_instance",
        Workflow::Delete => "compute_terminate_instance",
        Workflow::Start => "compute_start_instance",
        Workflow::Stop => "compute_stop_instance",
        Workflow::RebootSoft | Workflow::RebootHard => "compute_reboot_instance",
        Workflow::Resize | Workflow::HwResize => match step {
            Step::PowerOff | Step::Task(TaskState::ResizePrep) | Step::Schedule => "compute_prep_resize",
            Step::Task(TaskState::ResizeMigrating) | Step::DetachVolumes => "compute_resize_instance",
            _ => "compute_finish_resize",
        },
        Workflow::ConfirmResize => "compute_confirm_resize",
        Workflow::RevertResize => match step {
            Step::PowerOff | Step::DetachVolumes => "compute_revert_resize",
            _ => "compute_finish_revert_resize",
        },
        Workflow::Rebuild | Workflow::ReinstallOs => "compute_rebuild_instance",
        Workflow::Migrate => "cold_migrate",
        Workflow::Lock => "api_lock",
        Workflow::Unlock => "api_unlock",
    }
}

/// The steps of a workflow for the given input.
pub fn plan(workflow: Workflow, p: &WorkParams) -> Vec<Step> {
    use Step::*;
    let mut steps = Vec::new();
    match workflow {
        Workflow::Create => steps.extend([
            Schedule,
            Task(TaskState::BlockDeviceMapping),
            Task(TaskState::Networking),
            BindPorts,
            Task(TaskState::Spawning),
            DefineOnTarget,
            AttachVolumes,
            PowerOn,
        ]),
        Workflow::Delete => steps.extend([PowerOff, Teardown]),
        Workflow::Start => steps.push(PowerOn),
        Workflow::Stop => steps.push(PowerOff),
        Workflow::RebootSoft => steps.extend([Task(TaskState::RebootPending), Task(TaskState::RebootStarted), Reboot]),
        Workflow::RebootHard => steps.extend([
            Task(TaskState::RebootPendingHard),
            Task(TaskState::RebootStartedHard),
            Reboot,
        ]),
        Workflow::Resize | Workflow::HwResize => {
            steps.extend([PowerOff, Schedule, Task(TaskState::ResizeMigrating), DetachVolumes]);
            steps.extend([
                Task(TaskState::ResizeMigrated),
                DefineOnTarget,
                BindPorts,
                AttachVolumes,
            ]);
            steps.push(Task(TaskState::ResizeFinish));
            if workflow == Workflow::HwResize {
                // Huawei's resize confirms itself: the source goes at once.
                steps.push(UndefineSource);
                if p.restart_after && p.was_running {
                    steps.push(PowerOn);
                }
            } else if p.was_running {
                steps.push(PowerOn);
            }
        }
        Workflow::ConfirmResize => steps.push(UndefineSource),
        Workflow::RevertResize => {
            steps.extend([PowerOff, DetachVolumes, DefineOnSource, BindPorts, AttachVolumes]);
            steps.push(UndefineSource);
            if p.was_running {
                steps.push(PowerOn);
            }
        }
        Workflow::Rebuild => {
            steps.extend([PowerOff, Task(TaskState::RebuildBlockDeviceMapping)]);
            steps.extend([CreateSystemVolume, SwapSystemVolume, Task(TaskState::RebuildSpawning)]);
            steps.push(DefineOnTarget);
            // Nova powers a rebuilt server on, and off again if it was stopped.
            if p.prev_vm_state != Some(VmState::Stopped) {
                steps.push(PowerOn);
            }
        }
        Workflow::ReinstallOs => {
            steps.extend([PowerOff, Task(TaskState::RebuildBlockDeviceMapping)]);
            steps.extend([CreateSystemVolume, SwapSystemVolume, Task(TaskState::RebuildSpawning)]);
            steps.push(DefineOnTarget);
            if p.restart_after && p.was_running {
                steps.push(PowerOn);
            }
        }
        Workflow::Migrate => {
            steps.extend([Schedule, DetachVolumes, DefineOnTarget, BindPorts, AttachVolumes]);
            steps.push(UndefineSource);
        }
        Workflow::Lock | Workflow::Unlock => {}
    }
    steps.push(Finish);
    steps
}

/// The state a server ends in after a workflow succeeded, as (vm_state,
/// expected power state).
pub fn final_vm_state(workflow: Workflow, power: PowerState, p: &WorkParams) -> VmState {
    match workflow {
        Workflow::Create | Workflow::Start | Workflow::RebootSoft | Workflow::RebootHard => VmState::Active,
        Workflow::Stop => VmState::Stopped,
        Workflow::Delete => VmState::Deleted,
        Workflow::Resize => VmState::Resized,
        Workflow::Lock | Workflow::Unlock => p.prev_vm_state.unwrap_or(VmState::Active),
        Workflow::ConfirmResize
        | Workflow::RevertResize
        | Workflow::Rebuild
        | Workflow::ReinstallOs
        | Workflow::HwResize
        | Workflow::Migrate => {
            if power == PowerState::Running {
                VmState::Active
            } else {
                VmState::Stopped
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plan_ends_with_finish() {
        for wf in [
            Workflow::Create,
            Workflow::Delete,
            Workflow::Start,
            Workflow::Stop,
            Workflow::RebootSoft,
            Workflow::RebootHard,
            Workflow::Resize,
            Workflow::ConfirmResize,
            Workflow::RevertResize,
            Workflow::Rebuild,
            Workflow::ReinstallOs,
            Workflow::HwResize,
            Workflow::Migrate,
        ] {
            let steps = plan(wf, &WorkParams::default());
            assert_eq!(steps.last(), Some(&Step::Finish), "{wf:?}");
        }
    }
}
