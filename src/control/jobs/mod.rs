//! The job engine: workers lease runnable jobs and run their workflow steps,
//! logging each step before it runs and committing its effect with the
//! job's progress. After a crash, recovery re-runs the current step (every
//! step is an idempotent "ensure"), so an acknowledged job always finishes.

mod events;
mod fail;
mod parent;
mod run;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::domain::ControlResult;
use crate::domain::Inventory;
use crate::driver::ComputeDriver;
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

    pub(super) fn crashes_at(&self, operation: &str, point: CrashPoint) -> bool {
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
}
