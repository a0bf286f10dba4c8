//! Running a job: step by step from its current step, each one logged
//! before it runs and committed with the job's progress. Recovery is the
//! same path: a job picked up again re-runs the step it was in.

use std::sync::atomic::Ordering;

use chrono::Utc;

use super::{CrashPoint, Engine, LEASE};
use crate::catalog;
use crate::control::workflows::steps::{execute, StepCx};
use crate::control::workflows::{self, Flow, JobParams, RunState, Step, StepError};
use crate::domain::{ControlError, ControlResult, Job, JobStatus, Server};
use crate::driver::StepContext;

impl Engine {
    /// Runs a job from its current step to the end (or to shutdown).
    pub async fn run_job(&self, mut job: Job) -> ControlResult<()> {
        let op = catalog::by_name(&job.operation)
            .ok_or_else(|| ControlError::internal(format!("unknown operation {}", job.operation)))?;
        let workflow = op
            .workflow
            .ok_or_else(|| ControlError::internal(format!("{} has no workflow", op.name())))?;
        let JobParams { input, mut run } = JobParams::from_value(&job.params)?;
        let flow = workflows::bind(workflow, &input)?;
        let steps = flow.plan(&run);
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
            let step = &steps[index as usize];
            if self.crashes_at(&job.operation, CrashPoint::BeforeStep(index as usize)) {
                return Err(ControlError::internal("simulated crash"));
            }
            let attempt = self.store.begin_step(&job.id, index, step.name()).await?;
            tracing::debug!(job = %job.id, op = op.name(), step = step.name(), attempt, "step");
            self.store.lease_job(&job.id, &self.node, Utc::now() + LEASE).await?;
            match self.run_step(&job, flow.as_ref(), step, &mut run).await {
                Ok(server) => {
                    if self.crashes_at(&job.operation, CrashPoint::AfterEffect(index as usize)) {
                        return Err(ControlError::internal("simulated crash"));
                    }
                    job.step = index + 1;
                    job.params = JobParams {
                        input: input.clone(),
                        run: run.clone(),
                    }
                    .to_value()?;
                    if *step == Step::Finish {
                        job.status = JobStatus::Success;
                        job.end_time = Some(Utc::now());
                    }
                    if !self.commit_step(&job, index, "ok", server).await? {
                        // The server moved under us: another job owns it now.
                        self.end_superseded(&mut job).await?;
                        break;
                    }
                    if *step == Step::Finish {
                        self.finish_event(&job, flow.as_ref(), step, "Success").await?;
                    }
                }
                Err(StepError::Superseded) => {
                    self.end_superseded(&mut job).await?;
                    break;
                }
                Err(StepError::Store(e)) => return Err(e),
                Err(StepError::Driver(e)) => {
                    self.fail(&mut job, flow.as_ref(), &steps, index as usize, &run, e)
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

    /// The job's server, if the job still owns it.
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

    /// Runs one step; returns the server record to write with the step's
    /// completion (and the generation it must still have), if any.
    async fn run_step(
        &self,
        job: &Job,
        flow: &dyn Flow,
        step: &Step,
        run: &mut RunState,
    ) -> Result<Option<(Server, i64)>, StepError> {
        let server = self.load_owned(job).await?;
        let ctx = StepContext {
            operation: job.operation.clone(),
            step: step.name().to_string(),
            server_id: job.server_id.clone().unwrap_or_default(),
        };
        self.start_event(job, flow, step).await?;
        self.driver.begin_step(&ctx).await?;
        let generation = server.generation;
        let mut cx = StepCx {
            store: self.store.as_ref(),
            driver: self.driver.as_ref(),
            inventory: self.inventory.as_ref(),
            placement: &self.placement,
            ctx,
            next: server.clone(),
            server,
            run,
        };
        execute(flow, &mut cx, step).await?;
        let StepCx { server, mut next, .. } = cx;
        if next == server {
            return Ok(None);
        }
        next.generation = generation + 1;
        next.updated = Utc::now();
        Ok(Some((next, generation)))
    }

    /// Commits a step with the server's new record (a compare-and-swap on
    /// its generation). False when another job has taken the server.
    pub(super) async fn commit_step(
        &self,
        job: &Job,
        index: i64,
        result: &str,
        server: Option<(Server, i64)>,
    ) -> ControlResult<bool> {
        let server = server.as_ref().map(|(next, expected)| (next, *expected));
        self.store.complete_step(job, index, result, server).await
    }
}
