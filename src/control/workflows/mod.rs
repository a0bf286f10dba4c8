//! Workflows: each state-changing operation is a short, linear list of
//! steps. Every step is an "ensure" (safe to repeat after a crash). One file
//! per workflow holds its typed input, its checks against the admitted
//! server, its plan, its final record and its instance-action events; this
//! module dispatches on the catalog's [`Workflow`].

mod create;
mod delete;
mod hw_resize;
pub mod lock;
mod migrate;
mod reboot;
mod rebuild;
mod resize;
mod snapshot;
mod start;
pub mod steps;
mod stop;

use serde::{Deserialize, Serialize};

use crate::catalog::{Operation, Workflow};
use crate::domain::Inventory;
use crate::domain::{ControlError, ControlResult, Image, PowerState, Server, VmState};
use crate::driver::Capabilities;

pub use delete::DeleteInput;
pub use hw_resize::HwResizeInput;
pub use lock::LockInput;
pub use migrate::MigrateInput;
pub use reboot::RebootInput;
pub use rebuild::{RebuildInput, ReinstallOsInput};
pub use resize::{resize_targets, ResizeInput};
pub use snapshot::CreateImageInput;
pub use steps::{Leaving, Placement, Step, StepError};
pub use stop::StopInput;

/// What the API parsed for one operation, by workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkInput {
    Create,
    Delete(DeleteInput),
    Start,
    Stop(StopInput),
    Reboot(RebootInput),
    Resize(ResizeInput),
    HwResize(HwResizeInput),
    ConfirmResize,
    RevertResize,
    Rebuild(RebuildInput),
    ReinstallOs(ReinstallOsInput),
    Migrate(MigrateInput),
    Lock(LockInput),
    Unlock,
    CreateImage(CreateImageInput),
}

/// What the engine decides while running, beside the input. Ids of things
/// a step creates are chosen up front so a repeated step creates the same.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// The stable state before the claim, for rolling back early failures.
    pub prev_vm_state: Option<VmState>,
    /// Whether the VM was running when the operation was admitted.
    pub was_running: bool,
    /// Host chosen by the scheduling step (kept so a repeat picks the same).
    pub target_host: Option<String>,
    /// Id of the system volume a rebuild creates.
    pub new_volume_id: Option<String>,
    /// Id of the image a create-image makes (deleted if the job fails).
    #[serde(default)]
    pub image_id: Option<String>,
}

/// A job's `params`: the input and the run's decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobParams {
    pub input: WorkInput,
    pub run: RunState,
}

impl JobParams {
    pub fn to_value(&self) -> ControlResult<serde_json::Value> {
        Ok(serde_json::to_value(self)?)
    }

    pub fn from_value(v: &serde_json::Value) -> ControlResult<JobParams> {
        Ok(serde_json::from_value(v.clone())?)
    }
}

/// How a failed step is undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Back to the state before the claim, unless a destructive step ran.
    RollBack,
    /// Always ERROR (a server that never came up has nothing to go back to).
    Error,
}

/// One workflow bound to its typed input: everything the engine asks of it.
pub trait Flow: Send + Sync {
    /// The steps for this input and the admitted state.
    fn plan(&self, run: &RunState) -> Vec<Step>;
    /// The Nova instance-action event a step belongs to.
    fn event(&self, step: &Step) -> &'static str;
    /// The state the server ends in after success, given its power state.
    fn final_vm_state(&self, power: PowerState, run: &RunState) -> VmState;
    /// What success changes on the record beside the states.
    fn finish(&self, s: &mut Server, run: &RunState);
    fn on_failure(&self) -> OnFailure {
        OnFailure::RollBack
    }
}

/// The vm state after success for workflows that end where the VM's power
/// state says.
fn by_power(power: PowerState) -> VmState {
    if power == PowerState::Running {
        VmState::Active
    } else {
        VmState::Stopped
    }
}

/// The final record of a successful workflow.
pub fn finish_record(flow: &dyn Flow, s: &mut Server, run: &RunState) {
    s.vm_state = flow.final_vm_state(s.power_state, run);
    s.task_state = None;
    s.current_job = None;
    s.fault = None;
    flow.finish(s, run);
}

fn mismatch(workflow: Workflow, input: &WorkInput) -> ControlError {
    ControlError::internal(format!("the {workflow:?} workflow cannot take {input:?}"))
}

/// Takes the typed input of one `WorkInput` variant, or fails with a mismatch.
macro_rules! input_of {
    ($workflow:expr, $input:expr, $variant:ident) => {
        match $input {
            WorkInput::$variant(i) => i,
            other => return Err(mismatch($workflow, &other)),
        }
    };
    ($workflow:expr, $input:expr, $variant:ident, unit) => {
        match $input {
            WorkInput::$variant => {}
            other => return Err(mismatch($workflow, &other)),
        }
    };
}

/// Binds a workflow to its input.
pub fn bind(workflow: Workflow, input: &WorkInput) -> ControlResult<Box<dyn Flow + '_>> {
    let w = workflow;
    Ok(match workflow {
        Workflow::Create => {
            input_of!(w, input, Create, unit);
            Box::new(create::Create)
        }
        Workflow::Delete => Box::new(delete::Delete(input_of!(w, input, Delete))),
        Workflow::Start => {
            input_of!(w, input, Start, unit);
            Box::new(start::Start)
        }
        Workflow::Stop => Box::new(stop::Stop(input_of!(w, input, Stop))),
        Workflow::RebootSoft => Box::new(reboot::Reboot::soft(input_of!(w, input, Reboot))),
        Workflow::RebootHard => Box::new(reboot::Reboot::hard(input_of!(w, input, Reboot))),
        Workflow::Resize => Box::new(resize::Resize(input_of!(w, input, Resize))),
        Workflow::ConfirmResize => {
            input_of!(w, input, ConfirmResize, unit);
            Box::new(resize::Confirm)
        }
        Workflow::RevertResize => {
            input_of!(w, input, RevertResize, unit);
            Box::new(resize::Revert)
        }
        Workflow::HwResize => Box::new(hw_resize::HwResize(input_of!(w, input, HwResize))),
        Workflow::Rebuild => Box::new(rebuild::Rebuild(input_of!(w, input, Rebuild))),
        Workflow::ReinstallOs => Box::new(rebuild::ReinstallOs(input_of!(w, input, ReinstallOs))),
        Workflow::Migrate => Box::new(migrate::Migrate(input_of!(w, input, Migrate))),
        Workflow::Lock => Box::new(lock::Lock(input_of!(w, input, Lock))),
        Workflow::Unlock => {
            input_of!(w, input, Unlock, unit);
            Box::new(lock::Unlock)
        }
        Workflow::CreateImage => {
            input_of!(w, input, CreateImage);
            Box::new(snapshot::CreateImage)
        }
    })
}

/// What admission checks the input against.
pub struct Admission<'a> {
    pub row: &'a Operation,
    pub inventory: &'a dyn Inventory,
    pub capabilities: Capabilities,
    /// The images the input and the server name, as far as the caller may
    /// see them (see [`images_named`]).
    pub images: &'a [Image],
}

impl Admission<'_> {
    fn image(&self, id: &str) -> Option<&Image> {
        self.images.iter().find(|i| i.id == id)
    }
}

/// The ids of the images admission looks at, so the service reads them
/// before admission: the one a rebuild or reinstall boots (a reinstall
/// without one, the server's own), and the server's own for a resize's
/// RAM check. The other operations read none.
pub fn images_named(server: &Server, input: &WorkInput) -> Vec<String> {
    match input {
        WorkInput::Rebuild(r) => vec![r.image_id.clone()],
        WorkInput::ReinstallOs(r) => vec![r.image_id.clone().unwrap_or_else(|| server.image_id.clone())],
        WorkInput::Resize(_) | WorkInput::HwResize(_) => vec![server.image_id.clone()],
        _ => Vec::new(),
    }
}

impl Admission<'_> {
    /// Refuses what the compute driver cannot do.
    fn require(&self, supported: bool) -> ControlResult<()> {
        if supported {
            return Ok(());
        }
        Err(ControlError::Conflict {
            code: "Ecs.0000",
            message: format!("The compute driver does not support {}.", self.row.conflict_name),
        })
    }
}

/// Validates the operation-specific input against the admitted server and
/// completes it with what the workflow needs to know from that state.
pub fn prepare(
    workflow: Workflow,
    cx: &Admission,
    server: &Server,
    input: WorkInput,
) -> ControlResult<(WorkInput, RunState)> {
    let mut run = RunState {
        prev_vm_state: Some(server.vm_state),
        was_running: server.power_state == PowerState::Running,
        ..RunState::default()
    };
    let w = workflow;
    let input = match workflow {
        Workflow::Resize => WorkInput::Resize(resize::prepare(cx, server, input_of!(w, &input, Resize))?),
        Workflow::ConfirmResize | Workflow::RevertResize => {
            cx.require(cx.capabilities.resize)?;
            input
        }
        Workflow::HwResize => WorkInput::HwResize(hw_resize::prepare(cx, server, input_of!(w, &input, HwResize))?),
        Workflow::Rebuild => WorkInput::Rebuild(rebuild::prepare_rebuild(
            cx,
            server,
            input_of!(w, &input, Rebuild),
            &mut run,
        )?),
        Workflow::ReinstallOs => WorkInput::ReinstallOs(rebuild::prepare_reinstall(
            cx,
            server,
            input_of!(w, &input, ReinstallOs),
            &mut run,
        )?),
        Workflow::Migrate => WorkInput::Migrate(migrate::prepare(cx, server, input_of!(w, &input, Migrate))?),
        Workflow::CreateImage => WorkInput::CreateImage(snapshot::prepare(
            cx,
            server,
            input_of!(w, &input, CreateImage),
            &mut run,
        )?),
        Workflow::Create
        | Workflow::Delete
        | Workflow::Start
        | Workflow::Stop
        | Workflow::RebootSoft
        | Workflow::RebootHard
        | Workflow::Lock
        | Workflow::Unlock => input,
    };
    // The input must fit the workflow whatever it checked.
    bind(workflow, &input)?;
    Ok((input, run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plan_ends_with_finish() {
        let cases = [
            (Workflow::Create, WorkInput::Create),
            (Workflow::Delete, WorkInput::Delete(DeleteInput::default())),
            (Workflow::Start, WorkInput::Start),
            (Workflow::Stop, WorkInput::Stop(StopInput::default())),
            (Workflow::RebootSoft, WorkInput::Reboot(RebootInput::default())),
            (Workflow::RebootHard, WorkInput::Reboot(RebootInput { hard: true })),
            (Workflow::Resize, WorkInput::Resize(ResizeInput::default())),
            (Workflow::ConfirmResize, WorkInput::ConfirmResize),
            (Workflow::RevertResize, WorkInput::RevertResize),
            (Workflow::Rebuild, WorkInput::Rebuild(RebuildInput::default())),
            (
                Workflow::ReinstallOs,
                WorkInput::ReinstallOs(ReinstallOsInput::default()),
            ),
            (Workflow::HwResize, WorkInput::HwResize(HwResizeInput::default())),
            (Workflow::Migrate, WorkInput::Migrate(MigrateInput::default())),
            (
                Workflow::CreateImage,
                WorkInput::CreateImage(CreateImageInput::default()),
            ),
        ];
        for (wf, input) in cases {
            let steps = bind(wf, &input).expect("input fits").plan(&RunState::default());
            assert_eq!(steps.last(), Some(&Step::Finish), "{wf:?}");
        }
    }

    #[test]
    fn a_job_input_round_trips_through_json() {
        let p = JobParams {
            input: WorkInput::Stop(StopInput { hard: true }),
            run: RunState::default(),
        };
        assert_eq!(JobParams::from_value(&p.to_value().unwrap()).unwrap(), p);
    }
}
