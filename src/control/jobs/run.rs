//! Running a job: step by step from its current step. Each commit ends the
//! step that ran and logs the next one before it runs, with the job's
//! progress, the server's record and the instance action, fenced on the
//! job's lease. Recovery is the same path: a job picked up again re-runs
//! the step it was in.

use std::sync::atomic::Ordering;

use chrono::Utc;

use super::{events, CrashPoint, Engine};
use crate::catalog;
use crate::control::workflows::steps::{execute, StepCx};
use crate::control::workflows::{self, Flow, JobParams, RunState, Step, StepError};
use crate::domain::{ControlError, ControlResult, InstanceAction, Job, JobStatus, Server, VmState};
use crate::driver::{RecordedVm, StepContext};
use crate::store::{Lease, ServerWrite, StepCommit, StepOutcome};

/// A job in a worker's hands: its record, its lease, the server as last
/// committed and as the steps since have left it, and the instance action.
pub(super) struct Held {
    pub job: Job,
    pub lease: Lease,
    pub stored: Server,
    pub server: Server,
    pub action: Option<InstanceAction>,
}

/// How a commit went, as the run loop needs to know it.
pub(super) enum Committed {
    Yes,
    /// Another job took the server: this one ends as superseded.
    Superseded,
    /// Another node holds the job now: stop without writing anything more.
    Fenced,
}

/// What the next commit ends: the step logged as begun by the commit
/// before (if it has ended), and the steps run without a commit of their own.
#[derive(Default)]
pub(super) struct Progress {
    pub ended: Option<(usize, &'static str)>,
    pub ran: Vec<(usize, &'static str)>,
}

impl Engine {
    /// Runs a job from its current step to the end (or to shutdown). `held`
    /// is what a claim just wrote; without it the server and the action
    /// are read from the store (recovery).
    ///
    /// Each commit ends the step that ran and logs the next one before it
    /// runs. Steps that only change the record (task states, the final
    /// record) run without a commit of their own and are committed with
    /// the step they lead to, unless the driver paces steps for watchers.
    pub(super) async fn run_job(
        &self,
        job: Job,
        lease: Lease,
        held: Option<(Server, Option<InstanceAction>)>,
    ) -> ControlResult<()> {
        let op = catalog::by_name(&job.operation)
            .ok_or_else(|| ControlError::internal(format!("unknown operation {}", job.operation)))?;
        let workflow = op
            .workflow
            .ok_or_else(|| ControlError::internal(format!("{} has no workflow", op.name())))?;
        let JobParams { input, mut run } = JobParams::from_value(&job.params)?;
        let flow = workflows::bind(workflow, &input)?;
        let steps = flow.plan(&run);
        let (server, action) = match held {
            Some(h) => h,
            None => self.load(&job).await?,
        };
        let mut held = Held {
            job,
            lease,
            stored: server.clone(),
            server,
            action,
        };
        if held.server.current_job.as_deref() != Some(held.job.id.as_str()) {
            // Recovered after another job took the server.
            return self.end_superseded(&mut held).await;
        }
        let merge = !self.driver.paces_steps();
        let mut i = held.job.step as usize;
        let mut progress = Progress::default();
        held.job.status = JobStatus::Running;
        loop {
            // The steps that only change the record, up to the next real one.
            while i < steps.len() && merge && steps[i].records_only() {
                if self.crashes_at(&held.job.operation, CrashPoint::BeforeStep(i)) {
                    return Err(ControlError::internal("simulated crash"));
                }
                match self.run_step(&mut held, &steps[i], flow.as_ref(), &mut run).await {
                    Ok(()) => {}
                    Err(e) => {
                        progress.ran.push((i, "error"));
                        return self
                            .step_failed(&mut held, flow.as_ref(), &steps, i, &run, e, progress)
                            .await;
                    }
                }
                if self.crashes_at(&held.job.operation, CrashPoint::AfterEffect(i)) {
                    return Err(ControlError::internal("simulated crash"));
                }
                progress.ran.push((i, "ok"));
                i += 1;
            }
            // Commit what ran; log step `i` before it runs.
            let begins = (i < steps.len()).then_some(i);
            if let Some(n) = begins {
                if self.crashes_at(&held.job.operation, CrashPoint::BeforeStep(n)) {
                    return Err(ControlError::internal("simulated crash"));
                }
            }
            held.job.step = i as i64;
            held.job.params = JobParams {
                input: input.clone(),
                run: run.clone(),
            }
            .to_value()?;
            if let Some(a) = &mut held.action {
                let done = progress
                    .ended
                    .iter()
                    .map(|(s, _)| *s)
                    .chain(progress.ran.iter().map(|(s, _)| *s));
                for s in done.chain(begins) {
                    events::open(a, flow.event(&steps[s]));
                }
                if begins.is_none() {
                    events::close(a, flow.event(&steps[steps.len() - 1]), "Success", None);
                }
            }
            if begins.is_none() {
                held.job.status = JobStatus::Success;
                held.job.end_time = Some(Utc::now());
            }
            match self.commit(&mut held, &progress, begins, &steps).await? {
                Committed::Yes => {}
                Committed::Superseded => return self.finish(&mut held, true).await,
                Committed::Fenced => return Ok(()),
            }
            progress = Progress::default();
            let Some(n) = begins else {
                return self.finish(&mut held, false).await;
            };
            // Run step `n`, logged as begun.
            if self.stopping.load(Ordering::SeqCst) {
                tracing::info!(job = %held.job.id, step = n, "pausing job for shutdown");
                return Ok(());
            }
            tracing::debug!(job = %held.job.id, op = op.name(), step = steps[n].name(), "step");
            if let Err(e) = self.run_step(&mut held, &steps[n], flow.as_ref(), &mut run).await {
                progress.ended = Some((n, "error"));
                return self
                    .step_failed(&mut held, flow.as_ref(), &steps, n, &run, e, progress)
                    .await;
            }
            if self.crashes_at(&held.job.operation, CrashPoint::AfterEffect(n)) {
                return Err(ControlError::internal("simulated crash"));
            }
            progress.ended = Some((n, "ok"));
            i = n + 1;
        }
    }

    /// A step that did not succeed: superseded, a store failure, or the
    /// driver's failure (the job fails).
    #[allow(clippy::too_many_arguments)]
    async fn step_failed(
        &self,
        held: &mut Held,
        flow: &dyn Flow,
        steps: &[Step],
        at: usize,
        run: &RunState,
        err: StepError,
        progress: Progress,
    ) -> ControlResult<()> {
        match err {
            StepError::Superseded => self.finish(held, true).await,
            StepError::Store(e) => Err(e),
            StepError::Driver(e) => {
                self.fail(held, flow, steps, at, run, e, progress).await?;
                self.finish(held, false).await
            }
        }
    }

    /// The job has ended (or, `superseded`, lost its server): tell its parent.
    async fn finish(&self, held: &mut Held, superseded: bool) -> ControlResult<()> {
        if superseded {
            self.end_superseded(held).await?;
        }
        if let Some(parent) = &held.job.parent_id {
            self.refresh_parent(parent).await?;
        }
        Ok(())
    }

    /// The server and instance action of a recovered job.
    async fn load(&self, job: &Job) -> ControlResult<(Server, Option<InstanceAction>)> {
        let id = job.server_id.as_deref().unwrap_or_default();
        let server = self
            .store
            .get_server(id)
            .await?
            .ok_or_else(|| ControlError::internal(format!("server {id} vanished")))?;
        let action = self.store.get_action(id, &job.request_id).await?;
        Ok((server, action))
    }

    /// Runs one step on the held server record.
    async fn run_step(
        &self,
        held: &mut Held,
        step: &Step,
        flow: &dyn Flow,
        run: &mut RunState,
    ) -> Result<(), StepError> {
        let ctx = StepContext {
            operation: held.job.operation.clone(),
            step: step.name().to_string(),
            server_id: held.server.id.clone(),
            recorded: recorded_vm(&held.server),
        };
        self.driver.begin_step(&ctx).await?;
        let mut cx = StepCx {
            store: self.store.as_ref(),
            driver: self.driver.as_ref(),
            inventory: self.inventory.as_ref(),
            placement: &self.placement,
            ctx,
            next: held.server.clone(),
            server: held.server.clone(),
            run,
        };
        execute(flow, &mut cx, step).await?;
        held.server = cx.next;
        Ok(())
    }

    /// One fenced commit: ends `progress`'s steps, logs `begins`, writes
    /// the job, the action and the server's record if the steps changed it
    /// (or checks the server is still the job's).
    pub(super) async fn commit(
        &self,
        held: &mut Held,
        progress: &Progress,
        begins: Option<usize>,
        steps: &[Step],
    ) -> ControlResult<Committed> {
        held.lease.until = Utc::now() + self.lease;
        let expected = held.stored.generation;
        let changed = held.server != held.stored;
        if changed {
            held.server.generation = expected + 1;
            held.server.updated = Utc::now();
        }
        let server = if changed {
            ServerWrite::Changed {
                next: &held.server,
                expected,
            }
        } else {
            ServerWrite::Unchanged {
                id: &held.server.id,
                generation: expected,
            }
        };
        let ran: Vec<(i64, &str, &str)> = progress
            .ran
            .iter()
            .map(|(i, result)| (*i as i64, steps[*i].name(), *result))
            .collect();
        let outcome = self
            .store
            .commit_step(StepCommit {
                job: &held.job,
                lease: &held.lease,
                ended: progress.ended.map(|(i, r)| (i as i64, r)),
                ran: &ran,
                begins: begins.map(|i| (i as i64, steps[i].name())),
                server,
                action: held.action.as_ref(),
            })
            .await?;
        Ok(match outcome {
            StepOutcome::Committed { .. } => {
                held.stored = held.server.clone();
                Committed::Yes
            }
            StepOutcome::ServerMoved => Committed::Superseded,
            StepOutcome::LeaseLost => {
                tracing::warn!(job = %held.job.id, epoch = held.lease.epoch, "lease lost to another node; stopping");
                Committed::Fenced
            }
        })
    }
}

/// Where the server's record places its VM, if anywhere.
fn recorded_vm(server: &Server) -> Option<RecordedVm> {
    let host = server.host.clone().filter(|_| server.vm_state != VmState::Deleted)?;
    Some(RecordedVm {
        host,
        power: server.power_state,
    })
}
