//! A failed step: the job fails, and the server either rolls back to
//! where it was or is left in ERROR with a fault; a job whose server was
//! taken by another ends as superseded.

use chrono::Utc;

use super::Engine;
use crate::control::workflows::{Flow, OnFailure, RunState, Step};
use crate::domain::{ControlResult, Fault, Job, JobStatus, VmState};
use crate::driver::DriverError;

impl Engine {
    pub(super) async fn fail(
        &self,
        job: &mut Job,
        flow: &dyn Flow,
        steps: &[Step],
        at: usize,
        run: &RunState,
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
            if destructive || flow.on_failure() == OnFailure::Error {
                next.vm_state = VmState::Error;
                next.fault = Some(Fault {
                    code: 500,
                    message: err.reason.clone(),
                    details: format!("{} failed at step {}: {}", job.operation, steps[at].name(), err.code),
                    created: Utc::now(),
                });
            } else if let Some(prev) = run.prev_vm_state {
                // Nothing was changed yet: roll back to where the server was.
                next.vm_state = prev;
            }
            (next, generation)
        });
        if !self.commit_step(job, at as i64, "error", write).await? {
            self.end_superseded(job).await?;
            return Ok(());
        }
        self.finish_event(job, flow, &steps[at], "Error").await?;
        Ok(())
    }

    /// Commits a step with the server's new record. Lock and unlock may
    /// change a claimed server meanwhile (they are allowed during any
    /// task): their fields are carried over and the write retried. False
    /// when another job has taken the server.
    pub(super) async fn end_superseded(&self, job: &mut Job) -> ControlResult<()> {
        job.status = JobStatus::Fail;
        job.end_time = Some(Utc::now());
        job.error_code = Some("Ecs.0603".into());
        job.fail_reason = Some("The operation was superseded by another operation on the server.".into());
        self.store.put_job(job).await
    }
}
