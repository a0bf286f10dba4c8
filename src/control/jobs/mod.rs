//! The job engine: workers run leased jobs' workflow steps, logging each
//! step before it runs and committing its effect with the job's progress,
//! every write fenced on the lease. A job claimed through this node's API
//! is handed to a worker at once; a scan picks up what is left (jobs of a
//! crashed or stalled node whose lease expired, and this node's own after
//! a restart). Recovery re-runs the current step (every step is an
//! idempotent "ensure"), so an acknowledged job always finishes.

mod events;
mod fail;
mod parent;
mod run;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::domain::Inventory;
use crate::domain::{ControlResult, InstanceAction, Job, Server};
use crate::driver::ComputeDriver;
use crate::store::{Lease, Store};

/// How long a lease lasts without a commit before another node may take the job.
const LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// A job just claimed through the API, with what the claim wrote, so the
/// worker starts without reading anything back.
pub struct Claimed {
    pub job: Job,
    pub lease: Lease,
    pub server: Server,
    pub action: Option<InstanceAction>,
}

/// Where a simulated crash stops a job (tests of recovery use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPoint {
    /// Before step `n` is logged.
    BeforeStep(usize),
    /// After step `n` took effect but before its completion was committed,
    /// so recovery repeats it.
    AfterEffect(usize),
}

/// Most jobs one node runs at once. More claimed jobs wait in the store,
/// leased to this node, for a scan: a burst of a million creates costs
/// memory for this many, not for all of them.
pub const MAX_IN_FLIGHT: usize = 4096;

pub struct Engine {
    store: Arc<dyn Store>,
    driver: Arc<dyn ComputeDriver>,
    inventory: Arc<dyn Inventory>,
    node: String,
    /// How long a lease lasts (shorter in tests of fencing).
    lease: chrono::TimeDelta,
    /// True while [`Engine::run`] is running: claimed jobs go straight to a
    /// worker. Otherwise (tests driving `run_pending`) they wait in the store.
    live: AtomicBool,
    wake: Notify,
    running: Mutex<HashSet<String>>,
    /// Most jobs run at once ([`MAX_IN_FLIGHT`]; tests lower it).
    max_in_flight: AtomicUsize,
    /// A claimed job was left to the scan for want of room.
    deferred: AtomicBool,
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
        Self::with_lease(store, driver, inventory, node, LEASE)
    }

    /// An engine whose leases last `lease` (tests of fencing use short ones).
    pub fn with_lease(
        store: Arc<dyn Store>,
        driver: Arc<dyn ComputeDriver>,
        inventory: Arc<dyn Inventory>,
        node: String,
        lease: chrono::TimeDelta,
    ) -> Arc<Engine> {
        Arc::new(Engine {
            store,
            driver,
            inventory,
            node,
            lease,
            live: AtomicBool::new(false),
            wake: Notify::new(),
            running: Mutex::new(HashSet::new()),
            max_in_flight: AtomicUsize::new(MAX_IN_FLIGHT),
            deferred: AtomicBool::new(false),
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

    /// A lease for a job this node is about to claim: epoch 1, the first.
    pub fn new_lease(&self) -> Lease {
        Lease {
            owner: self.node.clone(),
            epoch: 1,
            until: Utc::now() + self.lease,
        }
    }

    /// How many jobs run here now.
    pub fn in_flight(&self) -> usize {
        self.running.lock().len()
    }

    /// Lowers the number of jobs run at once (tests of a backlog).
    pub fn limit_in_flight(&self, n: usize) {
        self.max_in_flight.store(n.max(1), Ordering::SeqCst);
    }

    /// Hands a just-claimed job to a worker (when the engine is running
    /// and has room; otherwise the job waits in the store for a scan).
    pub fn submit(self: &Arc<Self>, claimed: Claimed) {
        if !self.live.load(Ordering::SeqCst) || self.stopping.load(Ordering::SeqCst) {
            return;
        }
        {
            let mut running = self.running.lock();
            if running.len() >= self.max_in_flight.load(Ordering::SeqCst) {
                self.deferred.store(true, Ordering::SeqCst);
                return;
            }
            if !running.insert(claimed.job.id.clone()) {
                return;
            }
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let Claimed {
                job,
                lease,
                server,
                action,
            } = claimed;
            me.work(job, lease, Some((server, action))).await;
        });
    }

    /// Runs one job in this task, then lets it go.
    async fn work(&self, job: Job, lease: Lease, held: Option<(Server, Option<InstanceAction>)>) {
        let id = job.id.clone();
        if let Err(e) = self.run_job(job, lease, held).await {
            tracing::error!(job = %id, error = %e, "job run failed; will retry");
        }
        let left = {
            let mut running = self.running.lock();
            running.remove(&id);
            running.len()
        };
        // Jobs wait in the store: scan for them once half the room is free.
        if left <= self.max_in_flight.load(Ordering::SeqCst) / 2 && self.deferred.swap(false, Ordering::SeqCst) {
            self.wake();
        }
        self.idle.notify_waiters();
    }

    /// The scan loop; returns once `shutdown` was called and running jobs
    /// reached a step boundary.
    pub async fn run(self: Arc<Self>) {
        self.live.store(true, Ordering::SeqCst);
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

    /// Takes up to the room left of the oldest runnable jobs: free ones,
    /// expired leases, and this node's own that no worker here runs (left
    /// from before a restart, or deferred for want of room). The ones
    /// running here are among the oldest, so the scan reads at most
    /// `max_in_flight` of them.
    async fn scan(self: &Arc<Self>) -> ControlResult<()> {
        let cap = self.max_in_flight.load(Ordering::SeqCst);
        let jobs = self.store.runnable_jobs(Some(&self.node), Utc::now(), cap).await?;
        for job in jobs {
            if job.server_id.is_none() {
                self.refresh_parent(&job.id).await?;
                continue;
            }
            {
                let mut running = self.running.lock();
                if running.len() >= cap {
                    self.deferred.store(true, Ordering::SeqCst);
                    break;
                }
                if !running.insert(job.id.clone()) {
                    continue;
                }
            }
            let Some((job, lease)) = self.take(&job.id).await? else {
                self.running.lock().remove(&job.id);
                continue;
            };
            let me = Arc::clone(self);
            tokio::spawn(async move { me.work(job, lease, None).await });
        }
        Ok(())
    }

    /// Leases a listed job and reads it back. The list may be older than a
    /// run that just ended: only an unfinished job is taken, from its
    /// stored state, not the listed one.
    async fn take(&self, job_id: &str) -> ControlResult<Option<(Job, Lease)>> {
        let Some(lease) = self
            .store
            .lease_job(job_id, &self.node, Utc::now() + self.lease)
            .await?
        else {
            return Ok(None);
        };
        let job = self.store.get_job(job_id).await?.filter(|j| !j.status.is_final());
        Ok(job.map(|j| (j, lease)))
    }

    /// Runs every runnable job to its end in the calling task, one after the
    /// other; returns how many ran. Tests use it instead of the background
    /// loop so each transition happens only when they say so.
    pub async fn run_pending(&self) -> ControlResult<usize> {
        let mut ran = 0;
        loop {
            let jobs = self
                .store
                .runnable_jobs(Some(&self.node), Utc::now(), usize::MAX)
                .await?;
            let mut progressed = false;
            for job in jobs {
                if job.server_id.is_none() {
                    self.refresh_parent(&job.id).await?;
                    continue;
                }
                if let Some((job, lease)) = self.take(&job.id).await? {
                    self.run_job(job, lease, None).await?;
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
