//! State-changing operations on existing servers: admit, prepare the
//! workflow's input, then claim the server and enqueue its job.

use chrono::Utc;

use super::{huawei_code, Service};
use crate::catalog::{self, OpId, Operation, Workflow};
use crate::control::workflows::WorkParams;
use crate::domain::{
    hex_id, uuid_id, Caller, ControlError, ControlResult, Flavor, Image, InstanceAction, Job, JobStatus, LockedBy,
    PowerState, Server,
};
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
        params: &WorkParams,
        request_id: &str,
    ) -> ControlResult<Job> {
        Ok(Job {
            id: hex_id(),
            parent_id: parent.map(str::to_string),
            project_id: caller.project_id.clone(),
            user_id: caller.user_id.clone(),
            job_type: row.job_type.unwrap_or(row.name).to_string(),
            operation: row.name.to_string(),
            server_id: server_id.map(str::to_string),
            params: serde_json::to_value(params)?,
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
    fn prepare(&self, row: &Operation, server: &Server, mut p: WorkParams) -> ControlResult<WorkParams> {
        let caps = self.capabilities;
        let supported = match row.workflow {
            Some(Workflow::Resize | Workflow::HwResize | Workflow::ConfirmResize | Workflow::RevertResize) => {
                caps.resize
            }
            Some(Workflow::Rebuild | Workflow::ReinstallOs) => caps.rebuild,
            Some(Workflow::Migrate) => caps.cold_migrate,
            _ => true,
        };
        if !supported {
            return Err(ControlError::Conflict {
                code: "Ecs.0000",
                message: format!("The compute driver does not support {}.", row.conflict_name),
            });
        }
        p.prev_vm_state = Some(server.vm_state);
        p.was_running = server.power_state == PowerState::Running;
        match row.workflow {
            Some(Workflow::Resize) | Some(Workflow::HwResize) => {
                let target = p.flavor_id.clone().unwrap_or_default();
                self.check_resize_target(server, &target, row.workflow == Some(Workflow::Resize))?;
            }
            Some(Workflow::Rebuild) | Some(Workflow::ReinstallOs) => {
                let image_id = p.image_id.clone().unwrap_or_else(|| server.image_id.clone());
                let image = self.check_image(&image_id, row.workflow == Some(Workflow::Rebuild))?;
                let flavor = self.inventory.flavor(&server.flavor_id);
                if let Some(f) = flavor {
                    if f.arch != image.arch {
                        return Err(ControlError::bad_request_code(
                            "Ecs.0031",
                            format!(
                                "Image {} ({}) does not match the architecture of flavor {}.",
                                image.id, image.arch, f.id
                            ),
                        ));
                    }
                    if image.min_ram_mb > f.ram_mb {
                        return Err(ControlError::bad_request_code(
                            "Ecs.0031",
                            "Flavor's memory is too small for requested image.",
                        ));
                    }
                }
                p.image_id = Some(image_id);
                p.new_volume_id = Some(uuid_id());
            }
            Some(Workflow::Migrate) => {
                if let Some(deh) = &p.dedicated_host_id {
                    if self.inventory.dedicated_host(deh).is_none() {
                        return Err(ControlError::bad_request_code(
                            "Ecs.0005",
                            format!("Dedicated host {deh} does not exist."),
                        ));
                    }
                    if server.dedicated_host_id.as_deref() == Some(deh.as_str()) {
                        return Err(ControlError::bad_request_code(
                            "Ecs.0221",
                            "The ECS is already on the target dedicated host.",
                        ));
                    }
                } else if server.dedicated_host_id.is_none() {
                    return Err(ControlError::bad_request_code(
                        "Ecs.0221",
                        "The ECS is not on a dedicated host; give dedicated_host_id to migrate it to one.",
                    ));
                }
            }
            _ => {}
        }
        Ok(p)
    }

    /// The resize-flavor rules: the flavor exists, differs from the current
    /// one, is on sale, has the same architecture and fits the image.
    pub fn check_resize_target(&self, server: &Server, target: &str, native: bool) -> ControlResult<&Flavor> {
        let Some(flavor) = self.inventory.flavor(target).filter(|f| !f.disabled) else {
            return Err(ControlError::bad_request_code(
                "Ecs.0029",
                format!("Flavor {target} could not be found."),
            ));
        };
        if flavor.id == server.flavor_id {
            let msg = if native {
                "When resizing, instances must change flavor!"
            } else {
                "The ECS flavor is the same as the target flavor."
            };
            return Err(ControlError::bad_request_code("Ecs.0810", msg));
        }
        let current = self.inventory.flavor(&server.flavor_id);
        if !flavor.sellable() || current.is_some_and(|c| c.arch != flavor.arch) {
            return Err(ControlError::bad_request_code(
                "Ecs.0804",
                format!("The ECS flavor cannot be switched to the target flavor {target}. Change the target flavor."),
            ));
        }
        if let Some(image) = self.inventory.image(&server.image_id) {
            if image.min_ram_mb > flavor.ram_mb {
                return Err(ControlError::bad_request_code(
                    "Ecs.0804",
                    "Flavor's memory is too small for requested image.",
                ));
            }
        }
        Ok(flavor)
    }

    /// Flavors a server may be resized to, by the same rules.
    pub fn resize_targets(&self, server_flavor: &Flavor, image: Option<&Image>) -> Vec<Flavor> {
        self.inventory
            .flavors
            .iter()
            .filter(|f| f.id != server_flavor.id && f.sellable() && f.arch == server_flavor.arch)
            .filter(|f| image.is_none_or(|i| i.min_ram_mb <= f.ram_mb))
            .cloned()
            .collect()
    }

    fn check_image(&self, image_id: &str, native: bool) -> ControlResult<&Image> {
        match self.inventory.image(image_id) {
            Some(i) if i.status == "active" => Ok(i),
            Some(_) => Err(ControlError::bad_request_code(
                "Ecs.0032",
                "The image is not in Active state.",
            )),
            None => Err(ControlError::bad_request_code(
                "Ecs.0031",
                if native {
                    "Cannot find image for rebuild".to_string()
                } else {
                    format!("The image {image_id} does not exist.")
                },
            )),
        }
    }

    /// Every check of `act` without the claim (Huawei `dry_run`).
    pub async fn check(&self, caller: &Caller, op: OpId, server_id: &str, params: WorkParams) -> ControlResult<()> {
        let row = self.row(op);
        let server = self.server_for(caller, server_id).await?;
        self.authorizer.authorize(caller, row, Some(&server)).await?;
        catalog::admit(row, &server, false)?;
        self.prepare(row, &server, params).map(|_| ())
    }

    /// Runs one state-changing operation on one server.
    pub async fn act(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
        params: WorkParams,
        request_id: &str,
    ) -> ControlResult<Accepted> {
        let row = self.row(op);
        let server = self.server_for(caller, server_id).await?;
        self.authorizer.authorize(caller, row, Some(&server)).await?;
        self.admit_and_claim(caller, row, server, params, None, request_id)
            .await
    }

    async fn admit_and_claim(
        &self,
        caller: &Caller,
        row: &Operation,
        server: Server,
        params: WorkParams,
        parent: Option<&str>,
        request_id: &str,
    ) -> ControlResult<Accepted> {
        // ecsd's callers are tenants: nobody bypasses a lock.
        catalog::admit(row, &server, false)?;
        let params = self.prepare(row, &server, params)?;
        let mut job = self.new_job(caller, row, Some(&server.id), parent, &params, request_id)?;
        let mut next = server.clone();
        next.generation += 1;
        next.updated = Utc::now();
        let action = self.new_action(caller, row, &server.id, request_id);
        match row.workflow {
            Some(Workflow::Lock) => {
                // Lock and unlock change only the record: the job is done at once.
                next.locked = true;
                next.locked_by = Some(if caller.project_id == server.project_id {
                    LockedBy::Owner
                } else {
                    LockedBy::Admin
                });
                next.locked_reason = params.lock_reason.clone();
                job.status = JobStatus::Success;
                job.end_time = Some(Utc::now());
            }
            Some(Workflow::Unlock) => {
                next.locked = false;
                next.locked_by = None;
                next.locked_reason = None;
                job.status = JobStatus::Success;
                job.end_time = Some(Utc::now());
            }
            _ => {
                next.task_state = row.claim_task;
                next.current_job = Some(job.id.clone());
            }
        }
        let action = action.map(|mut a| {
            if job.status == JobStatus::Success {
                a.events.push(crate::domain::InstanceActionEvent {
                    event: crate::control::workflows::event_of(
                        row.workflow.unwrap_or(Workflow::Lock),
                        crate::control::workflows::Step::Finish,
                    )
                    .to_string(),
                    start_time: Utc::now(),
                    finish_time: Some(Utc::now()),
                    result: Some("Success".into()),
                    traceback: None,
                    host: None,
                });
            }
            a
        });
        // A locked server locked again by its owner records nothing (Nova).
        let action = if row.workflow == Some(Workflow::Lock) && server.locked {
            None
        } else {
            action
        };
        let claim = Claim {
            server: next.clone(),
            expected_generation: server.generation,
            job: job.clone(),
            action,
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
        self.engine.wake();
        Ok(Accepted {
            job_id: job.id,
            server: next,
        })
    }

    /// A Huawei batch (start, stop, reboot, delete): one parent job, one
    /// sub-job per server, each admitted on its own. Unknown or foreign ids
    /// refuse the whole request before anything is written.
    pub async fn batch(
        &self,
        caller: &Caller,
        op: OpId,
        ids: &[String],
        params: WorkParams,
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
            job_type: row.job_type.unwrap_or(row.name).to_string(),
            // The parent may end only once every sub-job exists and has ended.
            params: serde_json::json!({ "sub_jobs_total": servers.len() }),
            ..self.new_job(caller, row, None, None, &WorkParams::default(), request_id)?
        };
        self.store.insert_jobs(std::slice::from_ref(&parent)).await?;
        for s in servers {
            let id = s.id.clone();
            if let Err(e) = self
                .admit_and_claim(caller, row, s, params.clone(), Some(&parent.id), request_id)
                .await
            {
                // Refused servers get a failed sub-job; the rest go ahead.
                let mut failed = self.new_job(caller, row, Some(&id), Some(&parent.id), &params, request_id)?;
                failed.status = JobStatus::Fail;
                failed.end_time = Some(Utc::now());
                failed.error_code = Some(huawei_code(&e).to_string());
                failed.fail_reason = Some(e.to_string());
                self.store.insert_jobs(&[failed]).await?;
            }
        }
        self.engine.refresh_parent(&parent.id).await?;
        self.engine.wake();
        Ok(parent.id)
    }
}
