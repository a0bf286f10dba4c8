//! State-changing operations on existing servers: admit, prepare the
//! workflow's input, then claim the server and enqueue its job.

use chrono::Utc;

use super::Service;
use crate::catalog::{self, OpId, Operation, Workflow};
use crate::control::jobs::Claimed;
use crate::control::workflows::{self, lock, Admission, JobParams, RunState, WorkInput};
use crate::domain::quota::Resource;
use crate::domain::{ordered_hex_id, Caller, ControlError, ControlResult, InstanceAction, Job, JobStatus, Server};
use crate::store::Claim;

/// Most servers one batch request may name (Huawei's limit).
pub const MAX_BATCH: usize = 1000;

/// The outcome of an accepted operation.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub job_id: String,
    pub server: Server,
}

impl Service {
    pub(super) fn new_job(
        &self,
        caller: &Caller,
        row: &Operation,
        server_id: Option<&str>,
        parent: Option<&str>,
        params: serde_json::Value,
        request_id: &str,
    ) -> ControlResult<Job> {
        Ok(Job {
            id: ordered_hex_id(),
            parent_id: parent.map(str::to_string),
            project_id: caller.project_id.clone(),
            user_id: caller.user_id.clone(),
            job_type: if parent.is_some() {
                row.sub_job_type()
            } else {
                row.job_type()
            }
            .to_string(),
            operation: row.name().to_string(),
            server_id: server_id.map(str::to_string),
            params,
            status: JobStatus::Init,
            step: 0,
            begin_time: Utc::now(),
            end_time: None,
            error_code: None,
            fail_reason: None,
            request_id: request_id.to_string(),
        })
    }

    pub(super) fn new_action(
        &self,
        caller: &Caller,
        row: &Operation,
        server_id: &str,
        request_id: &str,
    ) -> Option<InstanceAction> {
        row.instance_action.map(|name| InstanceAction {
            server_id: server_id.to_string(),
            request_id: request_id.to_string(),
            action: name.to_string(),
            project_id: caller.project_id.clone(),
            user_id: caller.user_id.clone(),
            start_time: Utc::now(),
            updated_at: Utc::now(),
            message: None,
            events: Vec::new(),
        })
    }

    /// Validates operation-specific input against the server and fills in
    /// what the workflow needs to know from the admitted state.
    async fn prepare(
        &self,
        caller: &Caller,
        row: &Operation,
        server: &Server,
        input: WorkInput,
    ) -> ControlResult<(Workflow, JobParams)> {
        let workflow = row
            .workflow
            .ok_or_else(|| ControlError::internal(format!("{} has no workflow", row.name())))?;
        let mut images = Vec::new();
        for id in workflows::images_named(server, &input) {
            if let Some(i) = self.visible_image(caller, &id).await? {
                images.push(i);
            }
        }
        let admission = Admission {
            row,
            inventory: self.inventory.as_ref(),
            capabilities: self.capabilities,
            images: &images,
        };
        let (input, run) = workflows::prepare(workflow, &admission, server, input)?;
        Ok((workflow, JobParams { input, run }))
    }

    /// Every check of `act` without the claim (Huawei `dry_run`).
    pub async fn check(&self, caller: &Caller, op: OpId, server_id: &str, input: WorkInput) -> ControlResult<()> {
        let row = self.row(op);
        let server = self.server_for(caller, server_id).await?;
        self.authorizer.authorize(caller, row, Some(&server)).await?;
        catalog::admit(row, &server, false)?;
        self.prepare(caller, row, &server, input).await.map(|_| ())
    }

    /// Runs one state-changing operation on one server.
    pub async fn act(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
        input: WorkInput,
        request_id: &str,
    ) -> ControlResult<Accepted> {
        let row = self.row(op);
        let server = self.server_for(caller, server_id).await?;
        self.authorizer.authorize(caller, row, Some(&server)).await?;
        self.admit_and_claim(caller, row, server, input, None, request_id).await
    }

    async fn admit_and_claim(
        &self,
        caller: &Caller,
        row: &Operation,
        server: Server,
        input: WorkInput,
        parent: Option<&str>,
        request_id: &str,
    ) -> ControlResult<Accepted> {
        // ecsd's callers are tenants: nobody bypasses a lock.
        catalog::admit(row, &server, false)?;
        let (workflow, params) = self.prepare(caller, row, &server, input).await?;
        let mut job = self.new_job(caller, row, Some(&server.id), parent, params.to_value()?, request_id)?;
        let action = self.new_action(caller, row, &server.id, request_id);
        if let Some(change) = lock::change(caller, &server, &params.input) {
            // Lock and unlock change only the lock record: the job is done at once.
            let flow = workflows::bind(workflow, &params.input)?;
            let locked = lock::apply(self.store.as_ref(), flow.as_ref(), &server, &change, &mut job, action).await?;
            self.engine.wake();
            return Ok(Accepted {
                job_id: job.id,
                server: locked,
            });
        }
        let mut next = server.clone();
        next.generation += 1;
        next.updated = Utc::now();
        next.task_state = row.claim_task;
        next.current_job = Some(job.id.clone());
        let image = match &params.input {
            WorkInput::CreateImage(input) => Some(self.queued_capture(caller, &server, input).await?),
            _ => None,
        };
        // A resize to a bigger flavor needs the difference in cores and RAM.
        let target = match &params.input {
            WorkInput::Resize(r) => Some(r.flavor_id.as_str()),
            WorkInput::HwResize(r) => Some(r.flavor_id.as_str()),
            _ => None,
        };
        if let (Some(to), Some(from)) = (
            target.and_then(|t| self.inventory.flavor(t)),
            self.inventory.flavor(&server.flavor_id),
        ) {
            self.within_quota(
                &caller.project_id,
                &[
                    (Resource::Cores, to.vcpus - from.vcpus),
                    (Resource::Ram, to.ram_mb - from.ram_mb),
                ],
            )
            .await?;
        }
        let claim = Claim {
            server: next.clone(),
            expected_generation: server.generation,
            job,
            lease: self.engine.new_lease(),
            action,
            image,
        };
        if !self.store.claim(&claim).await? {
            return Err(ControlError::Conflict {
                code: "Ecs.0603",
                message: format!(
                    "Another operation on instance {} is in progress; try again later.",
                    server.id
                ),
            });
        }
        let Claim { job, lease, action, .. } = claim;
        let job_id = job.id.clone();
        self.engine.submit(Claimed {
            job,
            lease,
            server: next.clone(),
            action,
        });
        Ok(Accepted { job_id, server: next })
    }

    /// A Huawei batch (start, stop, reboot, delete): one parent job, one
    /// sub-job per server, each admitted on its own. Unknown or foreign ids
    /// refuse the whole request before anything is written.
    pub async fn batch(
        &self,
        caller: &Caller,
        op: OpId,
        ids: &[String],
        input: WorkInput,
        request_id: &str,
    ) -> ControlResult<String> {
        let row = self.row(op);
        if ids.is_empty() {
            return Err(ControlError::bad_request("The servers list must not be empty."));
        }
        if ids.len() > MAX_BATCH {
            return Err(ControlError::bad_request_code(
                "Ecs.0118",
                "The number of ECSs exceeds the maximum allowed limit.",
            ));
        }
        let mut servers = Vec::with_capacity(ids.len());
        for id in ids {
            if servers.iter().any(|s: &Server| &s.id == id) {
                continue;
            }
            servers.push(self.server_for(caller, id).await?);
        }
        for s in &servers {
            self.authorizer.authorize(caller, row, Some(s)).await?;
        }
        let parent = Job {
            // The parent may end only once every sub-job exists and has ended.
            params: serde_json::json!({ "sub_jobs_total": servers.len() }),
            ..self.new_job(caller, row, None, None, serde_json::Value::Null, request_id)?
        };
        self.store.insert_jobs(std::slice::from_ref(&parent)).await?;
        for s in servers {
            let id = s.id.clone();
            if let Err(e) = self
                .admit_and_claim(caller, row, s, input.clone(), Some(&parent.id), request_id)
                .await
            {
                // Refused servers get a failed sub-job; the rest go ahead.
                let params = JobParams {
                    input: input.clone(),
                    run: RunState::default(),
                };
                let mut failed =
                    self.new_job(caller, row, Some(&id), Some(&parent.id), params.to_value()?, request_id)?;
                failed.status = JobStatus::Fail;
                failed.end_time = Some(Utc::now());
                failed.error_code = Some(e.code().to_string());
                failed.fail_reason = Some(e.to_string());
                self.store.insert_jobs(&[failed]).await?;
            }
        }
        self.engine.refresh_parent(&parent.id).await?;
        self.engine.wake();
        Ok(parent.id)
    }
}
