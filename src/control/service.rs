//! The application layer every API dialect calls: load the server within
//! the caller's project, authorize against the catalog row, admit, then
//! claim the server and enqueue its job in one transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;

use super::authz::Authorizer;
use super::engine::Engine;
use super::workflows::WorkParams;
use crate::catalog::{self, OpId, Operation, Workflow};
use crate::domain::{
    hex_id, uuid_id, Caller, ControlError, ControlResult, Flavor, Image, InstanceAction, Job, JobStatus, LockedBy,
    Port, PowerState, Server, VmState, Volume,
};
use crate::domain::{Inventory, AVAILABILITY_ZONE};
use crate::store::{Claim, Page, ServerFilter, Store};

/// Most servers one batch request may name (Huawei's limit).
pub const MAX_BATCH: usize = 1000;
/// Most servers one create request may make.
pub const MAX_CREATE_COUNT: i64 = 100;

pub struct Service {
    pub store: Arc<dyn Store>,
    pub engine: Arc<Engine>,
    pub inventory: Arc<dyn Inventory>,
    pub authorizer: Arc<dyn Authorizer>,
    /// What the compute driver can do; operations it cannot are refused up front.
    pub capabilities: crate::driver::Capabilities,
}

/// A requested volume at create time.
#[derive(Debug, Clone)]
pub struct VolumeSpec {
    pub volume_type: String,
    pub size_gb: i64,
    pub delete_on_termination: bool,
}

/// A requested network attachment at create time.
#[derive(Debug, Clone)]
pub struct NicSpec {
    pub network_id: String,
    pub subnet_id: String,
    pub ip_address: Option<String>,
}

/// What a create request asks for, whatever the dialect.
#[derive(Debug, Clone)]
pub struct CreateSpec {
    pub name: String,
    pub image_id: String,
    pub flavor_id: String,
    pub count: i64,
    pub vpc_id: String,
    pub nics: Vec<NicSpec>,
    pub root_volume: VolumeSpec,
    pub data_volumes: Vec<VolumeSpec>,
    pub availability_zone: Option<String>,
    pub key_name: Option<String>,
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub description: String,
    pub dedicated_host_id: Option<String>,
    /// Huawei names several servers `name-0001`, `name-0002`...
    pub auto_rename: bool,
}

/// The outcome of an accepted operation.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub job_id: String,
    pub server: Server,
}

impl Service {
    fn row(&self, id: OpId) -> &'static Operation {
        catalog::op(id)
    }

    /// The server as the caller may see it: another project's server, a
    /// deleted one or a malformed id are all simply not found.
    pub async fn server_for(&self, caller: &Caller, id: &str) -> ControlResult<Server> {
        let not_found = || ControlError::ServerNotFound { id: id.to_string() };
        if !crate::domain::is_uuid(id) {
            return Err(not_found());
        }
        match self.store.get_server(id).await? {
            Some(s) if s.project_id == caller.project_id && s.vm_state != VmState::Deleted => Ok(s),
            _ => Err(not_found()),
        }
    }

    /// Authorization for a read, after the lookup (so foreign is 404 first).
    pub async fn authorize(&self, caller: &Caller, op: OpId, server: Option<&Server>) -> ControlResult<()> {
        self.authorizer.authorize(caller, self.row(op), server).await
    }

    /// Looks up and authorizes a read of one server.
    pub async fn read_server(&self, caller: &Caller, op: OpId, id: &str) -> ControlResult<Server> {
        let s = self.server_for(caller, id).await?;
        self.authorize(caller, op, Some(&s)).await?;
        Ok(s)
    }

    pub async fn list_servers(
        &self,
        caller: &Caller,
        op: OpId,
        filter: &ServerFilter,
        page: Page,
    ) -> ControlResult<(Vec<Server>, usize)> {
        self.authorize(caller, op, None).await?;
        self.store.list_servers(&caller.project_id, filter, page).await
    }

    fn new_job(
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
            job_type: row.job_type().to_string(),
            operation: row.name().to_string(),
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

    fn new_action(
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
            .flavors()
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

    /// Every check of `create` without writing anything (Huawei `dry_run`).
    pub async fn check_create(&self, caller: &Caller, op: OpId, spec: &CreateSpec) -> ControlResult<()> {
        self.authorizer.authorize(caller, self.row(op), None).await?;
        self.validate_create(spec).map(|_| ())
    }

    fn validate_create(&self, spec: &CreateSpec) -> ControlResult<(Flavor, Image)> {
        let flavor = self
            .inventory
            .flavor(&spec.flavor_id)
            .filter(|f| !f.disabled)
            .ok_or_else(|| {
                ControlError::bad_request_code("Ecs.0029", format!("Flavor {} could not be found.", spec.flavor_id))
            })?
            .clone();
        if !flavor.sellable() {
            return Err(ControlError::bad_request_code(
                "Ecs.0029",
                format!("Flavor {} is sold out.", flavor.id),
            ));
        }
        let image = self
            .inventory
            .image(&spec.image_id)
            .ok_or_else(|| {
                ControlError::bad_request_code("Ecs.0031", format!("Image {} could not be found.", spec.image_id))
            })?
            .clone();
        if image.status != "active" {
            return Err(ControlError::bad_request_code(
                "Ecs.0032",
                "The image is not in Active state.",
            ));
        }
        if image.arch != flavor.arch {
            return Err(ControlError::bad_request_code(
                "Ecs.0031",
                "The image does not match the flavor's architecture.",
            ));
        }
        if image.min_ram_mb > flavor.ram_mb {
            return Err(ControlError::bad_request_code(
                "Ecs.0031",
                "Flavor's memory is too small for requested image.",
            ));
        }
        if spec.root_volume.size_gb < image.min_disk_gb {
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                format!(
                    "The system disk ({} GB) is smaller than the image's minimum disk ({} GB).",
                    spec.root_volume.size_gb, image.min_disk_gb
                ),
            ));
        }
        if let Some(az) = &spec.availability_zone {
            if az != AVAILABILITY_ZONE {
                return Err(ControlError::bad_request_code(
                    "Ecs.0005",
                    format!("Availability zone {az} does not exist."),
                ));
            }
        }
        if let Some(deh) = &spec.dedicated_host_id {
            if self.inventory.dedicated_host(deh).is_none() {
                return Err(ControlError::bad_request_code(
                    "Ecs.0005",
                    format!("Dedicated host {deh} does not exist."),
                ));
            }
        }
        if !(1..=MAX_CREATE_COUNT).contains(&spec.count) {
            return Err(ControlError::bad_request(format!(
                "count must be between 1 and {MAX_CREATE_COUNT}."
            )));
        }
        Ok((flavor, image))
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
                    event: super::workflows::event_of(
                        row.workflow.unwrap_or(Workflow::Lock),
                        super::workflows::Step::Finish,
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
            job_type: row.job_type().to_string(),
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

    /// Creates `count` servers: records, volumes and ports are written with
    /// their jobs in one transaction; the workers boot them.
    pub async fn create(
        &self,
        caller: &Caller,
        op: OpId,
        spec: CreateSpec,
        request_id: &str,
    ) -> ControlResult<(String, Vec<Server>)> {
        let row = self.row(op);
        self.authorizer.authorize(caller, row, None).await?;
        let (flavor, image) = self.validate_create(&spec)?;
        let parent = Job {
            job_type: "createServer".into(),
            params: serde_json::json!({ "sub_jobs_total": spec.count }),
            ..self.new_job(caller, row, None, None, &WorkParams::default(), request_id)?
        };
        let mut servers = Vec::new();
        let mut volumes = Vec::new();
        let mut ports = Vec::new();
        let mut jobs = vec![parent.clone()];
        let mut actions = Vec::new();
        let mut taken: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let now = Utc::now();
        for i in 0..spec.count {
            let id = uuid_id();
            let name = if spec.count > 1 && spec.auto_rename {
                format!("{}-{:04}", spec.name, i + 1)
            } else {
                spec.name.clone()
            };
            let params = WorkParams {
                prev_vm_state: Some(VmState::Building),
                ..WorkParams::default()
            };
            let mut job = self.new_job(caller, row, Some(&id), Some(&parent.id), &params, request_id)?;
            job.job_type = "createSingleServer".into();
            let mut metadata = spec.metadata.clone();
            metadata.insert("charging_mode".into(), "0".into());
            metadata.insert("vpc_id".into(), spec.vpc_id.clone());
            metadata.insert("metering.image_id".into(), image.id.clone());
            metadata.insert("metering.imagetype".into(), "gold".into());
            metadata.insert("image_name".into(), image.name.clone());
            metadata.insert("os_type".into(), image.os_type.clone());
            metadata.insert("os_bit".into(), image.os_bit.clone());
            servers.push(Server {
                id: id.clone(),
                project_id: caller.project_id.clone(),
                domain_id: caller.domain_id.clone(),
                user_id: caller.user_id.clone(),
                name,
                description: spec.description.clone(),
                vm_state: VmState::Building,
                task_state: Some(crate::domain::TaskState::Scheduling),
                power_state: PowerState::NoState,
                flavor_id: flavor.id.clone(),
                old_flavor_id: None,
                image_id: image.id.clone(),
                host: None,
                source_host: None,
                availability_zone: AVAILABILITY_ZONE.into(),
                dedicated_host_id: spec.dedicated_host_id.clone(),
                key_name: spec.key_name.clone(),
                user_data: spec.user_data.clone(),
                locked: false,
                locked_by: None,
                locked_reason: None,
                metadata,
                tags: spec.tags.clone(),
                vpc_id: spec.vpc_id.clone(),
                fault: None,
                created: now,
                updated: now,
                launched_at: None,
                terminated_at: None,
                generation: 1,
                seq: 0,
                current_job: Some(job.id.clone()),
            });
            let mut device = 'a';
            for (n, v) in std::iter::once(&spec.root_volume)
                .chain(spec.data_volumes.iter())
                .enumerate()
            {
                volumes.push(Volume {
                    id: uuid_id(),
                    server_id: Some(id.clone()),
                    project_id: caller.project_id.clone(),
                    size_gb: v.size_gb,
                    volume_type: v.volume_type.clone(),
                    bootable: n == 0,
                    device: format!("/dev/vd{device}"),
                    image_id: (n == 0).then(|| image.id.clone()),
                    status: "creating".into(),
                    host: None,
                    delete_on_termination: n == 0 || v.delete_on_termination,
                });
                device = (device as u8 + 1) as char;
            }
            for (n, nic) in spec.nics.iter().enumerate() {
                let used = match taken.get(&nic.subnet_id) {
                    Some(u) => u.clone(),
                    None => {
                        let u = self.store.used_ips(&nic.subnet_id).await?;
                        taken.insert(nic.subnet_id.clone(), u.clone());
                        u
                    }
                };
                let ip = match &nic.ip_address {
                    Some(ip) => {
                        if used.contains(ip) {
                            return Err(ControlError::Conflict {
                                code: "Ecs.0005",
                                message: format!("IP address {ip} is already in use."),
                            });
                        }
                        ip.clone()
                    }
                    None => allocate_ip(&nic.subnet_id, &used).ok_or_else(|| ControlError::Capacity {
                        message: format!("Subnet {} has no free address.", nic.subnet_id),
                    })?,
                };
                taken.entry(nic.subnet_id.clone()).or_default().push(ip.clone());
                let port_id = uuid_id();
                let mac = format!("fa:16:3e:{}:{}:{}", &port_id[0..2], &port_id[2..4], &port_id[4..6]);
                ports.push(Port {
                    id: port_id,
                    server_id: Some(id.clone()),
                    project_id: caller.project_id.clone(),
                    network_id: nic.network_id.clone(),
                    subnet_id: nic.subnet_id.clone(),
                    ip_address: ip,
                    mac_address: mac,
                    binding_host: None,
                    primary: n == 0,
                    status: "DOWN".into(),
                });
            }
            if let Some(a) = self.new_action(caller, row, &id, request_id) {
                actions.push(a);
            }
            jobs.push(job);
        }
        self.store
            .create_servers(&servers, &volumes, &ports, &jobs, &actions)
            .await?;
        self.engine.wake();
        Ok((parent.id, servers))
    }

    /// The job and its sub-jobs, visible within the caller's project only.
    pub async fn job(&self, caller: &Caller, job_id: &str) -> ControlResult<(Job, Vec<Job>)> {
        self.authorize(caller, OpId::HwShowJob, None).await?;
        let not_found = || ControlError::NotFound {
            code: "Common.0011",
            message: "Failed to query system tasks.".into(),
        };
        let job = self
            .store
            .get_job(job_id)
            .await?
            .filter(|j| j.project_id == caller.project_id)
            .ok_or_else(not_found)?;
        let subs = self.store.sub_jobs(&job.id).await?;
        Ok((job, subs))
    }

    pub async fn volumes_and_ports(&self, server_id: &str) -> ControlResult<(Vec<Volume>, Vec<Port>)> {
        Ok((
            self.store.volumes_of(server_id).await?,
            self.store.ports_of(server_id).await?,
        ))
    }
}

/// Picks a free address in the /24 that a subnet maps to.
fn allocate_ip(subnet_id: &str, used: &[String]) -> Option<String> {
    let third = subnet_id
        .bytes()
        .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(b as u32))
        % 250;
    (2..255)
        .map(|n| format!("192.168.{third}.{n}"))
        .find(|ip| !used.contains(ip))
}

/// The Huawei error code for a control error, used in sub-job failures.
pub fn huawei_code(e: &ControlError) -> &'static str {
    match e {
        ControlError::BadRequest { code, .. } => code,
        ControlError::ServerNotFound { .. } => "Ecs.0114",
        ControlError::NotFound { code, .. } => code,
        ControlError::InvalidState { .. } => "Ecs.0100",
        ControlError::Locked { .. } => "Ecs.0605",
        ControlError::Conflict { code, .. } => code,
        ControlError::Forbidden { .. } => "Pdp.0001",
        ControlError::Unauthenticated { .. } => "Common.0013",
        ControlError::Capacity { .. } => "Ecs.0001",
        ControlError::TooLarge => "Ecs.0005",
        ControlError::UnsupportedMediaType => "Ecs.0005",
        ControlError::Internal(_) => "Common.0001",
    }
}
