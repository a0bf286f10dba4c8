//! The compute driver: the verbs the control plane asks of a hypervisor,
//! each an idempotent "ensure", plus the capabilities it declares so that
//! the control plane refuses early what a driver cannot do.

pub mod faults;
pub mod sim;

use async_trait::async_trait;

use crate::domain::PowerState;

/// What a driver can do; checked before an operation is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub resize: bool,
    pub rebuild: bool,
    pub cold_migrate: bool,
}

/// The VM as the control plane wants it defined on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmSpec {
    pub server_id: String,
    pub host: String,
    pub vcpus: i64,
    pub ram_mb: i64,
    pub image_id: String,
    pub system_volume_id: String,
}

/// Where a workflow is: which operation and which step. The driver uses it
/// for logging and (in the simulator) for fault injection and pacing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepContext {
    pub operation: String,
    pub step: String,
    pub server_id: String,
    /// The VM as the control plane's record has it (None when the record
    /// places it nowhere). A driver that keeps nothing across restarts
    /// (the simulator) learns an unseen VM from this instead of reading
    /// every server at start-up.
    pub recorded: Option<RecordedVm>,
}

/// Where the record says a VM runs, and its power state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedVm {
    pub host: String,
    pub power: PowerState,
}

/// A driver failure: the code and reason end up on the job and the fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct DriverError {
    pub code: String,
    pub reason: String,
}

#[async_trait]
pub trait ComputeDriver: Send + Sync + 'static {
    fn capabilities(&self) -> Capabilities;

    /// True when every step takes long enough for a client to watch it
    /// (the simulator with a delay per step): the engine then commits even
    /// the steps that only record progress one by one, so each task state
    /// is seen. Otherwise those are committed with the step they lead to.
    fn paces_steps(&self) -> bool {
        false
    }

    /// Called at the start of every workflow step, before its effect.
    async fn begin_step(&self, ctx: &StepContext) -> Result<(), DriverError>;

    /// The VM exists on `spec.host` with that shape (created or redefined).
    async fn ensure_defined(&self, ctx: &StepContext, spec: &VmSpec) -> Result<(), DriverError>;
    /// The VM no longer exists on `host` (no-op when already gone).
    async fn ensure_undefined(&self, ctx: &StepContext, server_id: &str, host: &str) -> Result<(), DriverError>;
    async fn ensure_running(&self, ctx: &StepContext, server_id: &str) -> Result<(), DriverError>;
    async fn ensure_stopped(&self, ctx: &StepContext, server_id: &str, hard: bool) -> Result<(), DriverError>;
    /// Reboots; a repeated call after a crash reboots again, which ends in
    /// the same state (running).
    async fn reboot(&self, ctx: &StepContext, server_id: &str, hard: bool) -> Result<(), DriverError>;
    /// Writes the image onto the system volume.
    async fn ensure_disk_imaged(&self, ctx: &StepContext, volume_id: &str, image_id: &str) -> Result<(), DriverError>;
    /// Copies the (system) volume into the image's data.
    async fn ensure_image_captured(
        &self,
        ctx: &StepContext,
        volume_id: &str,
        image_id: &str,
    ) -> Result<(), DriverError>;
}
