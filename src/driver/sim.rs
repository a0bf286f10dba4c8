//! The simulated driver: VMs live in memory, each step takes a configurable
//! time so a person polling sees the transitions (zero in tests), and a
//! failure can be injected into any step of any operation.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use super::faults::{self, FaultRule};
use super::{Capabilities, ComputeDriver, DriverError, StepContext, VmSpec};
use crate::domain::PowerState;

#[derive(Debug, Clone)]
struct SimVm {
    host: String,
    power: PowerState,
    #[allow(dead_code)] // kept for inspection when debugging
    spec: VmSpec,
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

    /// Re-learns a VM that existed before a restart (the simulator keeps
    /// nothing on disk; the store is the record of what was running).
    pub fn adopt(&self, spec: VmSpec, power: PowerState) {
        self.vms.lock().insert(
            spec.server_id.clone(),
            SimVm {
                host: spec.host.clone(),
                power,
                spec,
            },
        );
    }

    fn check_fault(&self, ctx: &StepContext) -> Result<(), DriverError> {
        faults::fire(&mut self.faults.lock(), ctx)
    }

    fn vm_mut<T>(&self, server_id: &str, f: impl FnOnce(&mut SimVm) -> T) -> Result<T, DriverError> {
        let mut vms = self.vms.lock();
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

    async fn ensure_defined(&self, _ctx: &StepContext, spec: &VmSpec) -> Result<(), DriverError> {
        let mut vms = self.vms.lock();
        let power = vms
            .get(&spec.server_id)
            .map(|v| v.power)
            .unwrap_or(PowerState::Shutdown);
        vms.insert(
            spec.server_id.clone(),
            SimVm {
                host: spec.host.clone(),
                power,
                spec: spec.clone(),
            },
        );
        Ok(())
    }

    async fn ensure_undefined(&self, _ctx: &StepContext, server_id: &str, host: &str) -> Result<(), DriverError> {
        let mut vms = self.vms.lock();
        if vms.get(server_id).is_some_and(|v| v.host == host) {
            vms.remove(server_id);
        }
        Ok(())
    }

    async fn ensure_running(&self, _ctx: &StepContext, server_id: &str) -> Result<(), DriverError> {
        self.vm_mut(server_id, |vm| vm.power = PowerState::Running)
    }

    async fn ensure_stopped(&self, _ctx: &StepContext, server_id: &str, _hard: bool) -> Result<(), DriverError> {
        // A VM that is not defined is as stopped as it gets.
        let _ = self.vm_mut(server_id, |vm| vm.power = PowerState::Shutdown);
        Ok(())
    }

    async fn reboot(&self, _ctx: &StepContext, server_id: &str, _hard: bool) -> Result<(), DriverError> {
        self.vm_mut(server_id, |vm| vm.power = PowerState::Running)
    }

    async fn ensure_disk_imaged(
        &self,
        _ctx: &StepContext,
        _volume_id: &str,
        _image_id: &str,
    ) -> Result<(), DriverError> {
        Ok(())
    }

    async fn power_state(&self, server_id: &str) -> PowerState {
        self.vms
            .lock()
            .get(server_id)
            .map(|v| v.power)
            .unwrap_or(PowerState::NoState)
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
