//! The job engine: workers lease runnable jobs and run their workflow steps,
//! logging each step before it runs and committing its effect with the
//! job's progress. After a crash, recovery re-runs the current step (every
//! step is an idempotent "ensure"), so an acknowledged job always finishes.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::scheduler;
use super::workflows::{event_of, final_vm_state, plan, Step, WorkParams};
use crate::catalog::{self, Workflow};
use crate::domain::Inventory;
use crate::domain::{
    uuid_id, ControlError, ControlResult, Fault, InstanceActionEvent, Job, JobStatus, PowerState, Server, VmState,
    Volume,
};
use crate::driver::{ComputeDriver, DriverError, StepContext, VmSpec};
use crate::store::Store;

/// How long a lease lasts without a heartbeat before another node may take the job.
const LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// Where a simulated crash stops a job (tests of recovery use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// Before step `n` is logged.
    BeforeStep(usize),
    /// After step `n` took effect but before its completion was committed,
    /// so recovery repeats it.
    AfterEffect(usize),
}

pub struct Engine {
    store: Arc<dyn Store>,
    driver: Arc<dyn ComputeDriver>,
    inventory: Arc<dyn Inventory>,
    node: String,
    wake: Notify,
    running: Mutex<HashSet<String>>,
    stopping: AtomicBool,
    idle: Notify,
    /// Placement reads usage then writes a choice; one at a time per node.
    placement: tokio::sync::Mutex<()>,
    /// A one-shot simulated crash for the named operation (tests only).
    crash: Mutex<Option<(String, CrashPoint)>>,
}

/// What a failed step leaves behind.
enum StepError {
    Driver(DriverError),
    /// The server was claimed by another job (e.g. a hard reboot preempted a soft one).
    Superseded,
    Store(ControlError),
}

impl From<ControlError> for StepError {
    fn from(e: ControlError) -> Self {
        StepError::Store(e)
    }
}

impl From<DriverError> for StepError {
    fn from(e: DriverError) -> Self {
        StepError::Driver(e)
    }
}

impl Engine {
    pub fn new(
        store: Arc<dyn Store>,
        driver: Arc<dyn ComputeDriver>,
        inventory: Arc<dyn Inventory>,
        node: String,
    ) -> Arc<Engine> {
        Arc::new(Engine {
            store,
            driver,
            inventory,
            node,
            wake: Notify::new(),
            running: Mutex::new(HashSet::new()),
            stopping: AtomicBool::new(false),
            idle: Notify::new(),
            placement: tokio::sync::Mutex::new(()),
            crash: Mutex::new(None),
        })
    }

    /// Arms a one-shot simulated crash: the next run of `operation` that
    /// reaches `point` returns an error as if the process had died there.
    pub fn crash_at(&self, operation: &str, point: CrashPoint) {
        *self.crash.lock() = Some((operation.to_string(), point));
    }

    fn crashes_at(&self, operation: &str, point: CrashPoint) -> bool {
        let mut crash = self.crash.lock();
        if crash.as_ref().is_some_and(|(op, p)| op == operation && *p == point) {
            *crash = None;
            return true;
        }
        false
    }

    /// Asks the engine to look for work now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The scan loop; returns once `shutdown` was called and running jobs
    /// reached a step boundary.
    pub async fn run(self: Arc<Self>) {
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            if let Err(e) = self.scan().await {
                tracing::error!(error = %e, "job scan failed");
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
        // Wait for in-flight jobs to stop at a step boundary.
        loop {
            if self.running.lock().is_empty() {
                break;
            }
            tokio::select! {
                _ = self.idle.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    }

    /// Stops taking new steps; running jobs pause at their next boundary
    /// and are resumed by recovery on the next start.
    pub fn shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    async fn scan(self: &Arc<Self>) -> ControlResult<()> {
        let jobs = self.store.runnable_jobs(&self.node, Utc::now()).await?;
        for job in jobs {
            if job.server_id.is_none() {
                self.refresh_parent(&job.id).await?;
                continue;
            }
            if !self.running.lock().insert(job.id.clone()) {
                continue;
            }
            // The list may be older than a run that just ended: lease only an
            // unfinished job and start from its stored state, not the listed one.
            let fresh = match self.store.lease_job(&job.id, &self.node, Utc::now() + LEASE).await? {
                true => self.store.get_job(&job.id).await?.filter(|j| !j.status.is_final()),
                false => None,
            };
            let Some(job) = fresh else {
                self.running.lock().remove(&job.id);
                continue;
            };
            let me = Arc::clone(self);
            tokio::spawn(async move {
                let id = job.id.clone();
                if let Err(e) = me.run_job(job).await {
                    tracing::error!(job = %id, error = %e, "job run failed; will retry");
                }
                me.running.lock().remove(&id);
                me.idle.notify_waiters();
                me.wake();
            });
        }
        Ok(())
    }

    /// Runs every runnable job to its end in the calling task, one after the
    /// other; returns how many ran. Tests use it instead of the background
    /// loop so each transition happens only when they say so.
    pub async fn run_pending(&self) -> ControlResult<usize> {
        let mut ran = 0;
        loop {
            let jobs = self.store.runnable_jobs(&self.node, Utc::now()).await?;
            let mut progressed = false;
            for job in jobs {
                if job.server_id.is_none() {
                    self.refresh_parent(&job.id).await?;
                    continue;
                }
                if !self.store.lease_job(&job.id, &self.node, Utc::now() + LEASE).await? {
                    continue;
                }
                if let Some(job) = self.store.get_job(&job.id).await?.filter(|j| !j.status.is_final()) {
                    self.run_job(job).await?;
                    ran += 1;
                    progressed = true;
                }
            }
            if !progressed {
                return Ok(ran);
            }
        }
    }

    /// True while a simulated crash is armed and not yet reached.
    pub fn crash_armed(&self) -> bool {
        self.crash.lock().is_some()
    }

    /// Runs a job from its current step to the end (or to shutdown).
    pub async fn run_job(&self, mut job: Job) -> ControlResult<()> {
        let op = catalog::CATALOG
            .iter()
            .find(|o| o.name() == job.operation)
            .ok_or_else(|| ControlError::internal(format!("unknown operation {}", job.operation)))?;
        let workflow = op
            .workflow
            .ok_or_else(|| ControlError::internal(format!("{} has no workflow", op.name())))?;
        let mut params: WorkParams = serde_json::from_value(job.params.clone())?;
        let steps = plan(workflow, &params);
        if job.status == JobStatus::Init {
            job.status = JobStatus::Running;
            self.store.put_job(&job).await?;
        }
        while (job.step as usize) < steps.len() {
            if self.stopping.load(Ordering::SeqCst) {
                tracing::info!(job = %job.id, step = job.step, "pausing job for shutdown");
                return Ok(());
            }
            let index = job.step;
            let step = steps[index as usize];
            if self.crashes_at(&job.operation, CrashPoint::BeforeStep(index as usize)) {
                return Err(ControlError::internal("simulated crash"));
            }
            let attempt = self.store.begin_step(&job.id, index, step.name()).await?;
            tracing::debug!(job = %job.id, op = op.name(), step = step.name(), attempt, "step");
            self.store.lease_job(&job.id, &self.node, Utc::now() + LEASE).await?;
            match self.run_step(&job, workflow, step, &mut params).await {
                Ok(server) => {
                    if self.crashes_at(&job.operation, CrashPoint::AfterEffect(index as usize)) {
                        return Err(ControlError::internal("simulated crash"));
                    }
                    job.step = index + 1;
                    job.params = serde_json::to_value(&params)?;
                    if step == Step::Finish {
                        job.status = JobStatus::Success;
                        job.end_time = Some(Utc::now());
                    }
                    if !self.commit_step(&job, index, "ok", server).await? {
                        // The server moved under us: another job owns it now.
                        self.end_superseded(&mut job).await?;
                        break;
                    }
                    if step == Step::Finish {
                        self.finish_event(&job, workflow, step, "Success").await?;
                    }
                }
                Err(StepError::Superseded) => {
                    self.end_superseded(&mut job).await?;
                    break;
                }
                Err(StepError::Store(e)) => return Err(e),
                Err(StepError::Driver(e)) => {
                    self.fail(&mut job, workflow, &steps, index as usize, &params, e)
                        .await?;
                    break;
                }
            }
        }
        if let Some(parent) = &job.parent_id {
            self.refresh_parent(parent).await?;
        }
        Ok(())
    }

    async fn load_owned(&self, job: &Job) -> Result<Server, StepError> {
        let id = job.server_id.as_deref().unwrap_or_default();
        let server = self
            .store
            .get_server(id)
            .await?
            .ok_or_else(|| ControlError::internal(format!("server {id} vanished")))?;
        if server.current_job.as_deref() != Some(job.id.as_str()) {
            return Err(StepError::Superseded);
        }
        Ok(server)
    }

    fn ctx(&self, job: &Job, step: Step) -> StepContext {
        StepContext {
            operation: job.operation.clone(),
            step: step.name().to_string(),
            server_id: job.server_id.clone().unwrap_or_default(),
        }
    }

    /// Runs one step; returns the server record to write with the step's
    /// completion (and the generation it must still have), if any.
    async fn run_step(
        &self,
        job: &Job,
        workflow: Workflow,
        step: Step,
        p: &mut WorkParams,
    ) -> Result<Option<(Server, i64)>, StepError> {
        let server = self.load_owned(job).await?;
        let ctx = self.ctx(job, step);
        self.start_event(job, workflow, step).await?;
        self.driver.begin_step(&ctx).await?;
        let generation = server.generation;
        let mut next = server.clone();
        match step {
            Step::Task(t) => next.task_state = Some(t),
            Step::Schedule => {
                if p.target_host.is_none() {
                    let _guard = self.placement.lock().await;
                    let flavor_id = p.flavor_id.clone().unwrap_or_else(|| server.flavor_id.clone());
                    let flavor = self.inventory.flavor(&flavor_id).cloned().ok_or_else(|| DriverError {
                        code: "Ecs.0029".into(),
                        reason: format!("Flavor {flavor_id} could not be found."),
                    })?;
                    let live = self.store.live_servers().await?;
                    let want_dedicated = match workflow {
                        Workflow::Migrate => p.dedicated_host_id.clone(),
                        _ => server.dedicated_host_id.clone(),
                    };
                    let avoid = match workflow {
                        Workflow::Migrate => server.host.clone(),
                        _ => None,
                    };
                    let host = scheduler::place(
                        self.inventory.as_ref(),
                        &live,
                        &server.id,
                        &flavor,
                        want_dedicated.as_deref(),
                        avoid.as_deref(),
                        server.host.as_deref(),
                    )
                    .map_err(|reason| DriverError {
                        code: "Ecs.0019".into(),
                        reason,
                    })?;
                    p.target_host = Some(host);
                }
                if workflow == Workflow::Create {
                    next.host = p.target_host.clone();
                }
            }
            Step::PowerOff => {
                self.driver.ensure_stopped(&ctx, &server.id, p.hard).await?;
                next.power_state = PowerState::Shutdown;
            }
            Step::PowerOn => {
                self.driver.ensure_running(&ctx, &server.id).await?;
                next.power_state = PowerState::Running;
            }
            Step::Reboot => {
                self.driver.reboot(&ctx, &server.id, p.hard).await?;
                next.power_state = PowerState::Running;
            }
            Step::DetachVolumes => {
                for mut v in self.store.volumes_of(&server.id).await? {
                    v.status = "available".into();
                    v.host = None;
                    self.store.put_volume(&v).await?;
                }
            }
            Step::AttachVolumes => {
                let host = self.target_host(&server, p);
                for mut v in self.store.volumes_of(&server.id).await? {
                    v.status = "in-use".into();
                    v.host = host.clone();
                    self.store.put_volume(&v).await?;
                }
            }
            Step::BindPorts => {
                let host = self.target_host(&server, p);
                for mut port in self.store.ports_of(&server.id).await? {
                    port.binding_host = host.clone();
                    port.status = "ACTIVE".into();
                    self.store.put_port(&port).await?;
                }
            }
            Step::DefineOnTarget | Step::DefineOnSource => {
                let (host, flavor_id) = if step == Step::DefineOnSource {
                    (
                        server.source_host.clone().or(server.host.clone()),
                        server.old_flavor_id.clone().unwrap_or(server.flavor_id.clone()),
                    )
                } else {
                    (
                        self.target_host(&server, p),
                        p.flavor_id.clone().unwrap_or(server.flavor_id.clone()),
                    )
                };
                let host = host.ok_or_else(|| DriverError {
                    code: "Ecs.0019".into(),
                    reason: "No host was chosen for the server.".into(),
                })?;
                let flavor = self.inventory.flavor(&flavor_id);
                let system_volume = self
                    .store
                    .volumes_of(&server.id)
                    .await?
                    .into_iter()
                    .find(|v| v.bootable)
                    .map(|v| v.id)
                    .unwrap_or_default();
                let spec = VmSpec {
                    server_id: server.id.clone(),
                    host,
                    vcpus: flavor.map(|f| f.vcpus).unwrap_or(1),
                    ram_mb: flavor.map(|f| f.ram_mb).unwrap_or(1024),
                    image_id: p.image_id.clone().unwrap_or(server.image_id.clone()),
                    system_volume_id: system_volume,
                };
                self.driver.ensure_defined(&ctx, &spec).await?;
            }
            Step::UndefineSource => {
                let source = match workflow {
                    Workflow::RevertResize => server.host.clone(),
                    Workflow::ConfirmResize => server.source_host.clone(),
                    _ => server.host.clone(),
                };
                let keep = match workflow {
                    Workflow::RevertResize => server.source_host.clone(),
                    Workflow::ConfirmResize => server.host.clone(),
                    _ => p.target_host.clone(),
                };
                if let Some(source) = source {
                    if Some(&source) != keep.as_ref() {
                        self.driver.ensure_undefined(&ctx, &server.id, &source).await?;
                    }
                }
            }
            Step::CreateSystemVolume => {
                let id = p.new_volume_id.clone().unwrap_or_else(uuid_id);
                p.new_volume_id = Some(id.clone());
                if self.store.get_volume(&id).await?.is_none() {
                    let old = self.store.volumes_of(&server.id).await?;
                    let old_sys = old.iter().find(|v| v.bootable);
                    let image_id = p.image_id.clone().unwrap_or(server.image_id.clone());
                    let min = self.inventory.image(&image_id).map(|i| i.min_disk_gb).unwrap_or(0);
                    let vol = Volume {
                        id: id.clone(),
                        server_id: None,
                        project_id: server.project_id.clone(),
                        size_gb: old_sys.map(|v| v.size_gb).unwrap_or(40).max(min),
                        volume_type: old_sys.map(|v| v.volume_type.clone()).unwrap_or("SSD".into()),
                        bootable: true,
                        device: "/dev/vda".into(),
                        image_id: Some(image_id.clone()),
                        status: "available".into(),
                        host: None,
                        delete_on_termination: true,
                    };
                    self.store.put_volume(&vol).await?;
                }
                let image_id = p.image_id.clone().unwrap_or(server.image_id.clone());
                self.driver.ensure_disk_imaged(&ctx, &id, &image_id).await?;
            }
            Step::SwapSystemVolume => {
                if let Some(new_id) = &p.new_volume_id {
                    for v in self.store.volumes_of(&server.id).await? {
                        if v.bootable && &v.id != new_id {
                            self.store.delete_volume(&v.id).await?;
                        }
                    }
                    if let Some(mut v) = self.store.get_volume(new_id).await? {
                        v.server_id = Some(server.id.clone());
                        v.status = "in-use".into();
                        v.host = server.host.clone();
                        self.store.put_volume(&v).await?;
                    }
                }
            }
            Step::Teardown => {
                if let Some(host) = &server.host {
                    self.driver.ensure_undefined(&ctx, &server.id, host).await?;
                }
                for mut v in self.store.volumes_of(&server.id).await? {
                    if v.delete_on_termination || v.bootable || p.delete_data_volumes {
                        self.store.delete_volume(&v.id).await?;
                    } else {
                        v.server_id = None;
                        v.status = "available".into();
                        v.host = None;
                        self.store.put_volume(&v).await?;
                    }
                }
                for port in self.store.ports_of(&server.id).await? {
                    self.store.delete_port(&port.id).await?;
                }
            }
            Step::Finish => {
                self.finish_server(&mut next, workflow, p);
            }
        }
        if next == server {
            return Ok(None);
        }
        next.generation = generation + 1;
        next.updated = Utc::now();
        Ok(Some((next, generation)))
    }

    fn target_host(&self, server: &Server, p: &WorkParams) -> Option<String> {
        p.target_host.clone().or_else(|| server.host.clone())
    }

    /// The final record of a successful workflow.
    fn finish_server(&self, s: &mut Server, workflow: Workflow, p: &WorkParams) {
        let now = Utc::now();
        s.vm_state = final_vm_state(workflow, s.power_state, p);
        s.task_state = None;
        s.current_job = None;
        s.fault = None;
        match workflow {
            Workflow::Create => {
                s.launched_at = Some(now);
                s.host = p.target_host.clone();
            }
            Workflow::Delete => {
                s.terminated_at = Some(now);
                s.power_state = PowerState::NoState;
                s.host = None;
            }
            Workflow::Resize => {
                s.old_flavor_id = Some(s.flavor_id.clone());
                s.source_host = s.host.clone();
                if let Some(f) = &p.flavor_id {
                    s.flavor_id = f.clone();
                }
                s.host = p.target_host.clone().or(s.host.clone());
            }
            Workflow::HwResize => {
                if let Some(f) = &p.flavor_id {
                    s.flavor_id = f.clone();
                }
                s.host = p.target_host.clone().or(s.host.clone());
            }
            Workflow::ConfirmResize => {
                s.old_flavor_id = None;
                s.source_host = None;
            }
            Workflow::RevertResize => {
                if let Some(old) = s.old_flavor_id.take() {
                    s.flavor_id = old;
                }
                if let Some(src) = s.source_host.take() {
                    s.host = Some(src);
                }
            }
            Workflow::Rebuild | Workflow::ReinstallOs => {
                if let Some(img) = &p.image_id {
                    s.image_id = img.clone();
                }
                if let Some(name) = &p.rename {
                    s.name = name.clone();
                }
                if let Some(md) = &p.metadata {
                    s.metadata = md.clone();
                }
                if let Some(k) = &p.key_name {
                    s.key_name = k.clone();
                }
                if let Some(u) = &p.user_data {
                    s.user_data = u.clone();
                }
                if let Some(d) = &p.description {
                    s.description = d.clone().unwrap_or_default();
                }
            }
            Workflow::Migrate => {
                s.host = p.target_host.clone().or(s.host.clone());
                s.dedicated_host_id = p.dedicated_host_id.clone();
            }
            Workflow::Start
            | Workflow::Stop
            | Workflow::RebootSoft
            | Workflow::RebootHard
            | Workflow::Lock
            | Workflow::Unlock => {}
        }
    }

    async fn fail(
        &self,
        job: &mut Job,
        workflow: Workflow,
        steps: &[Step],
        at: usize,
        p: &WorkParams,
        err: DriverError,
    ) -> ControlResult<()> {
        tracing::warn!(job = %job.id, op = %job.operation, step = steps[at].name(), code = %err.code, reason = %err.reason, "step failed");
        let destructive = steps[..=at].iter().any(|s| s.destructive());
        job.status = JobStatus::Fail;
        job.end_time = Some(Utc::now());
        job.error_code = Some(err.code.clone());
        job.fail_reason = Some(err.reason.clone());
        let server = match self
            .store
            .get_server(job.server_id.as_deref().unwrap_or_default())
            .await?
        {
            Some(s) if s.current_job.as_deref() == Some(job.id.as_str()) => Some(s),
            _ => None,
        };
        let write = server.map(|s| {
            let generation = s.generation;
            let mut next = s;
            next.task_state = None;
            next.current_job = None;
            next.generation = generation + 1;
            next.updated = Utc::now();
            if destructive || workflow == Workflow::Create {
                next.vm_state = VmState::Error;
                next.fault = Some(Fault {
                    code: 500,
                    message: err.reason.clone(),
                    details: format!("{} failed at step {}: {}", job.operation, steps[at].name(), err.code),
                    created: Utc::now(),
                });
            } else if let Some(prev) = p.prev_vm_state {
                // Nothing was changed yet: roll back to where the server was.
                next.vm_state = prev;
            }
            (next, generation)
        });
        if !self.commit_step(job, at as i64, "error", write).await? {
            self.end_superseded(job).await?;
            return Ok(());
        }
        self.finish_event(job, workflow, steps[at], "Error").await?;
        Ok(())
    }

    /// Commits a step with the server's new record. Lock and unlock may
    /// change a claimed server meanwhile (they are allowed during any
    /// task): their fields are carried over and the write retried. False
    /// when another job has taken the server.
    async fn commit_step(
        &self,
        job: &Job,
        index: i64,
        result: &str,
        server: Option<(Server, i64)>,
    ) -> ControlResult<bool> {
        let Some((mut next, mut expected)) = server else {
            return self.store.complete_step(job, index, result, None).await;
        };
        for _ in 0..8 {
            if self
                .store
                .complete_step(job, index, result, Some((&next, expected)))
                .await?
            {
                return Ok(true);
            }
            let Some(fresh) = self.store.get_server(&next.id).await? else {
                return Ok(false);
            };
            if fresh.current_job.as_deref() != Some(job.id.as_str()) {
                return Ok(false);
            }
            next.locked = fresh.locked;
            next.locked_by = fresh.locked_by;
            next.locked_reason = fresh.locked_reason.clone();
            next.generation = fresh.generation + 1;
            expected = fresh.generation;
        }
        Err(ControlError::internal(format!(
            "server {} keeps changing under job {}",
            next.id, job.id
        )))
    }

    async fn end_superseded(&self, job: &mut Job) -> ControlResult<()> {
        job.status = JobStatus::Fail;
        job.end_time = Some(Utc::now());
        job.error_code = Some("Ecs.0603".into());
        job.fail_reason = Some("The operation was superseded by another operation on the server.".into());
        self.store.put_job(job).await
    }

    async fn start_event(&self, job: &Job, workflow: Workflow, step: Step) -> ControlResult<()> {
        let Some(server_id) = &job.server_id else { return Ok(()) };
        let name = event_of(workflow, step);
        let Some(action) = self.store.get_action(server_id, &job.request_id).await? else {
            return Ok(());
        };
        if action.events.iter().any(|e| e.event == name) {
            return Ok(());
        }
        // Close the previous event, then open this one.
        if let Some(prev) = action.events.last() {
            if prev.finish_time.is_none() {
                let mut done = prev.clone();
                done.finish_time = Some(Utc::now());
                done.result = Some("Success".into());
                self.store.record_event(server_id, &job.request_id, &done).await?;
            }
        }
        let event = InstanceActionEvent {
            event: name.to_string(),
            start_time: Utc::now(),
            finish_time: None,
            result: None,
            traceback: None,
            host: None,
        };
        self.store.record_event(server_id, &job.request_id, &event).await
    }

    async fn finish_event(&self, job: &Job, workflow: Workflow, step: Step, result: &str) -> ControlResult<()> {
        let Some(server_id) = &job.server_id else { return Ok(()) };
        let Some(action) = self.store.get_action(server_id, &job.request_id).await? else {
            return Ok(());
        };
        let name = event_of(workflow, step);
        let mut event = action
            .events
            .iter()
            .rev()
            .find(|e| e.finish_time.is_none())
            .cloned()
            .unwrap_or(InstanceActionEvent {
                event: name.to_string(),
                start_time: Utc::now(),
                finish_time: None,
                result: None,
                traceback: None,
                host: None,
            });
        event.finish_time = Some(Utc::now());
        event.result = Some(result.to_string());
        if result == "Error" {
            event.traceback = job.fail_reason.clone();
        }
        self.store.record_event(server_id, &job.request_id, &event).await
    }

    /// A parent (batch) job ends when all its sub-jobs have.
    pub async fn refresh_parent(&self, parent_id: &str) -> ControlResult<()> {
        let Some(mut parent) = self.store.get_job(parent_id).await? else {
            return Ok(());
        };
        if parent.status.is_final() {
            return Ok(());
        }
        let subs = self.store.sub_jobs(parent_id).await?;
        // A batch adds its sub-jobs one by one: wait for all of them.
        let expected = parent
            .params
            .get("sub_jobs_total")
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as usize;
        if subs.len() >= expected && subs.iter().all(|j| j.status.is_final()) {
            let failed: Vec<&Job> = subs.iter().filter(|j| j.status == JobStatus::Fail).collect();
            parent.end_time = Some(Utc::now());
            if failed.is_empty() {
                parent.status = JobStatus::Success;
            } else {
                parent.status = JobStatus::Fail;
                parent.error_code = Some(if subs.len() > 1 {
                    "Ecs.0611".into()
                } else {
                    failed[0].error_code.clone().unwrap_or_default()
                });
                parent.fail_reason = Some(
                    failed
                        .iter()
                        .map(|j| {
                            format!(
                                "{}: {}",
                                j.server_id.as_deref().unwrap_or("-"),
                                j.fail_reason.as_deref().unwrap_or("failed")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                );
            }
            self.store.put_job(&parent).await?;
        } else if parent.status == JobStatus::Init && subs.iter().any(|j| j.status != JobStatus::Init) {
            parent.status = JobStatus::Running;
            self.store.put_job(&parent).await?;
        }
        Ok(())
    }
}
