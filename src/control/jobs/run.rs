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
use crate::domain::{ControlError, ControlResult, InstanceAction, Job, JobStatus, Server};
use crate::driver::StepContext;
use crate::store::{Lease, ServerWrite, StepCommit, StepOutcome};

/// A job in a worker's hands: its record, its lease, and the server and
/// instance action as the worker last wrote them.
pub(super) struct Held {
    pub job: Job,
    pub lease: Lease,
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

impl Engine {
    /// Runs a job from its current step to the end (or to shutdown). `held`
    /// is what a claim just wrote; without it the server and the action
    /// are read from the store (recovery).
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
            server,
            action,
        };
        if held.server.current_job.as_deref() != Some(held.job.id.as_str()) {
            // Recovered after another job took the server.
            return self.end_superseded(&mut held).await;
        }
        // Log the current step before it runs.
        let first = held.job.step as usize;
        if first < steps.len() {
            if self.crashes_at(&held.job.operation, CrashPoint::BeforeStep(first)) {
                return Err(ControlError::internal("simulated crash"));
            }
            held.job.status = JobStatus::Running;
            if let Some(a) = &mut held.action {
                events::open(a, flow.event(&steps[first]));
            }
            match self.commit(&mut held, None, Some(first), None, &steps).await? {
                Committed::Yes => {}
                Committed::Superseded => return self.end_superseded(&mut held).await,
                Committed::Fenced => return Ok(()),
            }
        }
        while (held.job.step as usize) < steps.len() {
            if self.stopping.load(Ordering::SeqCst) {
                tracing::info!(job = %held.job.id, step = held.job.step, "pausing job for shutdown");
                return Ok(());
            }
            let index = held.job.step as usize;
            let step = &steps[index];
            tracing::debug!(job = %held.job.id, op = op.name(), step = step.name(), "step");
            match self.run_step(&held, step, flow.as_ref(), &mut run).await {
                Ok(next) => {
                    if self.crashes_at(&held.job.operation, CrashPoint::AfterEffect(index)) {
                        return Err(ControlError::internal("simulated crash"));
                    }
                    let following = (index + 1 < steps.len()).then_some(index + 1);
                    if let Some(n) = following {
                        if self.crashes_at(&held.job.operation, CrashPoint::BeforeStep(n)) {
                            return Err(ControlError::internal("simulated crash"));
                        }
                    }
                    held.job.step = index as i64 + 1;
                    held.job.params = JobParams {
                        input: input.clone(),
                        run: run.clone(),
                    }
                    .to_value()?;
                    if let Some(a) = &mut held.action {
                        match following {
                            Some(n) => events::open(a, flow.event(&steps[n])),
                            None => events::close(a, flow.event(step), "Success", None),
                        }
                    }
                    if *step == Step::Finish {
                        held.job.status = JobStatus::Success;
                        held.job.end_time = Some(Utc::now());
                    }
                    match self
                        .commit(&mut held, Some((index, "ok")), following, next, &steps)
                        .await?
                    {
                        Committed::Yes => {}
                        Committed::Superseded => {
                            self.end_superseded(&mut held).await?;
                            break;
                        }
                        Committed::Fenced => return Ok(()),
                    }
                }
                Err(StepError::Superseded) => {
                    self.end_superseded(&mut held).await?;
                    break;
                }
                Err(StepError::Store(e)) => return Err(e),
                Err(StepError::Driver(e)) => {
                    self.fail(&mut held, flow.as_ref(), &steps, index, &run, e).await?;
                    break;
                }
            }
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

    /// Runs one step; returns the server's new record if the step changed it.
    async fn run_step(
        &self,
        held: &Held,
        step: &Step,
        flow: &dyn Flow,
        run: &mut RunState,
    ) -> Result<Option<Server>, StepError> {
        let ctx = StepContext {
            operation: held.job.operation.clone(),
            step: step.name().to_string(),
            server_id: held.server.id.clone(),
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
        let StepCx { server, mut next, .. } = cx;
        if next == server {
            return Ok(None);
        }
        next.generation = server.generation + 1;
        next.updated = Utc::now();
        Ok(Some(next))
    }

    /// One fenced commit: ends step `ended` with its result, logs `begins`,
    /// writes the job and the action, and the server's `next` record (or
    /// checks the server is still the job's). On success the held server
    /// becomes `next`.
    pub(super) async fn commit(
        &self,
        held: &mut Held,
        ended: Option<(usize, &str)>,
        begins: Option<usize>,
        next: Option<Server>,
        steps: &[Step],
    ) -> ControlResult<Committed> {
        held.lease.until = Utc::now() + self.lease;
        let server = match &next {
            Some(next) => ServerWrite::Changed {
                next,
                expected: held.server.generation,
            },
            None => ServerWrite::Unchanged {
                id: &held.server.id,
                generation: held.server.generation,
            },
        };
        let outcome = self
            .store
            .commit_step(StepCommit {
                job: &held.job,
                lease: &held.lease,
                ended: ended.map(|(i, r)| (i as i64, r)),
                begins: begins.map(|i| (i as i64, steps[i].name())),
                server,
                action: held.action.as_ref(),
            })
            .await?;
        Ok(match outcome {
            StepOutcome::Committed { .. } => {
                if let Some(next) = next {
                    held.server = next;
                }
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
