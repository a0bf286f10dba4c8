//! The simulated driver: VMs live in memory, each step takes a configurable
//! time so a person polling sees the transitions (zero in tests), and a
//! failure can be injected into any step of any operation.
//!
//! It keeps nothing on disk. A VM it has not seen since start (one that
//! existed before a restart) is learnt from the record the step carries,
//! the first time a step touches it: start-up reads no servers.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use super::faults::{self, FaultRule};
use super::{Capabilities, ComputeDriver, DriverError, RecordedVm, StepContext, VmSpec};
use crate::domain::PowerState;

#[derive(Debug, Clone)]
struct SimVm {
    host: String,
    power: PowerState,
}

impl From<&RecordedVm> for SimVm {
    fn from(r: &RecordedVm) -> Self {
        SimVm {
            host: r.host.clone(),
            power: r.power,
        }
    }
}

/// Something to do at the start of every step (tests use it to make a
/// concurrent change land in the middle of a step).
pub type StepHook = std::sync::Arc<dyn Fn(&StepContext) + Send + Sync>;

pub struct SimDriver {
    step_delay: Duration,
    vms: Mutex<HashMap<String, SimVm>>,
    faults: Mutex<Vec<FaultRule>>,
    hook: Mutex<Option<StepHook>>,
}

impl SimDriver {
    pub fn new(step_ms: u64, faults: Vec<FaultRule>) -> Self {
        SimDriver {
            step_delay: Duration::from_millis(step_ms),
            vms: Mutex::new(HashMap::new()),
            faults: Mutex::new(faults),
            hook: Mutex::new(None),
        }
    }

    /// Runs `hook` at the start of every step from now on.
    pub fn on_step(&self, hook: StepHook) {
        *self.hook.lock() = Some(hook);
    }

    /// Knows `spec`'s VM from now on, in `power` (tests set a VM up this way).
    pub fn adopt(&self, spec: VmSpec, power: PowerState) {
        self.vms.lock().insert(spec.server_id, SimVm { host: spec.host, power });
    }

    fn check_fault(&self, ctx: &StepContext) -> Result<(), DriverError> {
        faults::fire(&mut self.faults.lock(), ctx)
    }

    /// Runs `f` on the VM, learning it from the step's record if unseen.
    fn vm_mut<T>(&self, ctx: &StepContext, server_id: &str, f: impl FnOnce(&mut SimVm) -> T) -> Result<T, DriverError> {
        let mut vms = self.vms.lock();
        if !vms.contains_key(server_id) {
            if let Some(recorded) = ctx.recorded.as_ref().filter(|_| ctx.server_id == server_id) {
                vms.insert(server_id.to_string(), recorded.into());
            }
        }
        match vms.get_mut(server_id) {
            Some(vm) => Ok(f(vm)),
            None => Err(DriverError {
                code: "Ecs.1001".into(),
                reason: format!("The VM of server {server_id} is not defined on any host."),
            }),
        }
    }
}

#[async_trait]
impl ComputeDriver for SimDriver {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            resize: true,
            rebuild: true,
            cold_migrate: true,
        }
    }

    fn paces_steps(&self) -> bool {
        !self.step_delay.is_zero()
    }

    async fn begin_step(&self, ctx: &StepContext) -> Result<(), DriverError> {
        if !self.step_delay.is_zero() {
            tokio::time::sleep(self.step_delay).await;
        }
        let hook = self.hook.lock().clone();
        if let Some(hook) = hook {
            hook(ctx);
        }
        self.check_fault(ctx)
    }

    async fn ensure_defined(&self, ctx: &StepContext, spec: &VmSpec) -> Result<(), DriverError> {
        // Redefining keeps the power state; a new VM starts shut down.
        let power = self
            .vm_mut(ctx, &spec.server_id, |vm| vm.power)
            .unwrap_or(PowerState::Shutdown);
        self.vms.lock().insert(
            spec.server_id.clone(),
            SimVm {
                host: spec.host.clone(),
                power,
            },
        );
        Ok(())
    }

    async fn ensure_undefined(&self, ctx: &StepContext, server_id: &str, host: &str) -> Result<(), DriverError> {
        if self.vm_mut(ctx, server_id, |vm| vm.host == host).unwrap_or(false) {
            self.vms.lock().remove(server_id);
        }
        Ok(())
    }

    async fn ensure_running(&self, ctx: &StepContext, server_id: &str) -> Result<(), DriverError> {
        self.vm_mut(ctx, server_id, |vm| vm.power = PowerState::Running)
    }

    async fn ensure_stopped(&self, ctx: &StepContext, server_id: &str, _hard: bool) -> Result<(), DriverError> {
        // A VM that is not defined is as stopped as it gets.
        let _ = self.vm_mut(ctx, server_id, |vm| vm.power = PowerState::Shutdown);
        Ok(())
    }

    async fn reboot(&self, ctx: &StepContext, server_id: &str, _hard: bool) -> Result<(), DriverError> {
        self.vm_mut(ctx, server_id, |vm| vm.power = PowerState::Running)
    }

    async fn ensure_disk_imaged(
        &self,
        _ctx: &StepContext,
        _volume_id: &str,
        _image_id: &str,
    ) -> Result<(), DriverError> {
        Ok(())
    }

    /// The simulator keeps no disk data: there is nothing to copy.
    async fn ensure_image_captured(
        &self,
        _ctx: &StepContext,
        _volume_id: &str,
        _image_id: &str,
    ) -> Result<(), DriverError> {
        Ok(())
    }
}

impl faults::FaultInjection for SimDriver {
    fn add_fault(&self, rule: FaultRule) {
        self.faults.lock().push(rule);
    }

    fn faults(&self) -> Vec<FaultRule> {
        self.faults.lock().clone()
    }

    fn clear_faults(&self) {
        self.faults.lock().clear();
    }
}
