//! Batch parents: a parent job has no server of its own and ends when all
//! its sub-jobs exist and have ended.

use chrono::Utc;

use super::Engine;
use crate::domain::{ControlResult, Job, JobStatus};

impl Engine {
    /// A parent (batch) job ends when all its sub-jobs have.
    pub async fn refresh_parent(&self, parent_id: &str) -> ControlResult<()> {
        let Some(mut parent) = self.store.get_job(parent_id).await? else {
            return Ok(());
        };
        if parent.status.is_final() {
            return Ok(());
        }
        // Counted from the index, so a batch of n costs O(n) index steps per
        // sub-job, not n documents; they are read once, when all have ended.
        let counts = self.store.sub_job_counts(parent_id).await?;
        // A batch adds its sub-jobs one by one: wait for all of them.
        let expected = parent
            .params
            .get("sub_jobs_total")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        if counts.total >= expected && counts.unfinished == 0 {
            let subs = self.store.sub_jobs(parent_id).await?;
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
        } else if parent.status == JobStatus::Init && counts.begun > 0 {
            parent.status = JobStatus::Running;
            self.store.put_job(&parent).await?;
        }
        Ok(())
    }
}
