//! A failed step: the job fails, and the server either rolls back to
//! where it was or is left in ERROR with a fault; a job whose server was
//! taken by another ends as superseded.

use chrono::Utc;

use super::events;
use super::run::{Committed, Held, Progress};
use super::Engine;
use crate::control::workflows::{Flow, OnFailure, RunState, Step};
use crate::domain::{ControlResult, Fault, JobStatus, VmState};
use crate::driver::DriverError;
use crate::store::{ServerWrite, StepCommit, StepOutcome};

impl Engine {
    /// Fails the job at step `at` and commits it with `progress` (which
    /// holds step `at` with result `error`).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn fail(
        &self,
        held: &mut Held,
        flow: &dyn Flow,
        steps: &[Step],
        at: usize,
        run: &RunState,
        err: DriverError,
        progress: Progress,
    ) -> ControlResult<()> {
        let job = &mut held.job;
        tracing::warn!(job = %job.id, op = %job.operation, step = steps[at].name(), code = %err.code, reason = %err.reason, "step failed");
        let destructive = steps[..=at].iter().any(|s| s.destructive());
        job.status = JobStatus::Fail;
        job.end_time = Some(Utc::now());
        job.error_code = Some(err.code.clone());
        job.fail_reason = Some(err.reason.clone());
        let next = &mut held.server;
        next.task_state = None;
        next.current_job = None;
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
        let traceback = job.fail_reason.clone();
        if let Some(a) = &mut held.action {
            // Steps run since the last commit had their events opened by none.
            for (s, _) in progress.ended.iter().chain(progress.ran.iter()) {
                events::open(a, flow.event(&steps[*s]));
            }
            events::close(a, flow.event(&steps[at]), "Error", traceback);
        }
        let committed = self.commit(held, &progress, None, steps).await?;
        if matches!(committed, Committed::Yes) {
            // An image being made is gone with the job that made it (Nova).
            if let Some(id) = &run.image_id {
                if let Some(image) = self.store.get_image(id).await? {
                    if image.status != "active" {
                        self.store.delete_image(id).await?;
                    }
                }
            }
        }
        match committed {
            Committed::Yes | Committed::Fenced => Ok(()),
            Committed::Superseded => self.end_superseded(held).await,
        }
    }

    /// Ends a job whose server another job has taken: the job fails, and
    /// nothing of the server is written.
    pub(super) async fn end_superseded(&self, held: &mut Held) -> ControlResult<()> {
        let job = &mut held.job;
        job.status = JobStatus::Fail;
        job.end_time = Some(Utc::now());
        job.error_code = Some("Ecs.0603".into());
        job.fail_reason = Some("The operation was superseded by another operation on the server.".into());
        // The server and its action belong to the job that took it now.
        let outcome = self
            .store
            .commit_step(StepCommit {
                job: &held.job,
                lease: &held.lease,
                ended: None,
                ran: &[],
                begins: None,
                server: ServerWrite::Untouched,
                action: None,
            })
            .await?;
        if outcome == StepOutcome::LeaseLost {
            tracing::warn!(job = %held.job.id, "lease lost to another node; stopping");
        }
        Ok(())
    }
}
