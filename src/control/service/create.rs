//! Server creation: validation, and the records, volumes, ports and jobs
//! written in one transaction, in which the store also assigns addresses.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use chrono::Utc;

use super::Service;
use crate::catalog::OpId;
use crate::control::workflows::{JobParams, RunState, WorkInput};
use crate::domain::AVAILABILITY_ZONE;
use crate::domain::{
    uuid_id, AddressRange, Caller, ControlError, ControlResult, Flavor, Image, Job, Port, PowerState, Server, VmState,
    Volume,
};
use crate::store::NewPort;

/// Most servers one create request may make.
pub const MAX_CREATE_COUNT: i64 = 100;

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

impl Service {
    /// Every check of `create` without writing anything (Huawei `dry_run`).
    pub async fn check_create(&self, caller: &Caller, op: OpId, spec: &CreateSpec) -> ControlResult<()> {
        self.authorizer.authorize(caller, self.row(op), None).await?;
        self.validate_create(spec).map(|_| ())
    }

    /// The flavor, the image and each NIC's subnet block with its requested
    /// address, once every check has passed.
    fn validate_create(&self, spec: &CreateSpec) -> ControlResult<(Flavor, Image, Vec<NicAddress>)> {
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
        let nics = spec
            .nics
            .iter()
            .map(|nic| self.nic_address(nic))
            .collect::<ControlResult<_>>()?;
        Ok((flavor, image, nics))
    }

    fn nic_address(&self, nic: &NicSpec) -> ControlResult<NicAddress> {
        let range = self.inventory.subnet_range(&nic.subnet_id).ok_or_else(|| {
            ControlError::bad_request_code("Ecs.0005", format!("Subnet {} does not exist.", nic.subnet_id))
        })?;
        let Some(ip) = &nic.ip_address else {
            return Ok(NicAddress { range, requested: None });
        };
        let addr: Ipv4Addr = ip.parse().map_err(|_| {
            ControlError::bad_request_code("Ecs.0005", format!("IP address {ip} is not a valid IPv4 address."))
        })?;
        if range.offset(addr).is_none() {
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                format!(
                    "IP address {ip} is not a host address of subnet {} ({range}).",
                    nic.subnet_id
                ),
            ));
        }
        Ok(NicAddress {
            range,
            requested: Some(addr),
        })
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
        let (flavor, image, nic_addresses) = self.validate_create(&spec)?;
        let parent = Job {
            params: serde_json::json!({ "sub_jobs_total": spec.count }),
            ..self.new_job(caller, row, None, None, serde_json::Value::Null, request_id)?
        };
        let mut servers = Vec::new();
        let mut volumes = Vec::new();
        let mut ports = Vec::new();
        let mut jobs = vec![parent.clone()];
        let mut actions = Vec::new();
        let now = Utc::now();
        for i in 0..spec.count {
            let id = uuid_id();
            let name = if spec.count > 1 && spec.auto_rename {
                format!("{}-{:04}", spec.name, i + 1)
            } else {
                spec.name.clone()
            };
            let params = JobParams {
                input: WorkInput::Create,
                run: RunState {
                    prev_vm_state: Some(VmState::Building),
                    ..RunState::default()
                },
            };
            let job = self.new_job(caller, row, Some(&id), Some(&parent.id), params.to_value()?, request_id)?;
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
                task_state: row.claim_task,
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
            for (n, (nic, address)) in spec.nics.iter().zip(&nic_addresses).enumerate() {
                let port_id = uuid_id();
                let mac = format!("fa:16:3e:{}:{}:{}", &port_id[0..2], &port_id[2..4], &port_id[4..6]);
                ports.push(NewPort {
                    port: Port {
                        id: port_id,
                        server_id: Some(id.clone()),
                        project_id: caller.project_id.clone(),
                        network_id: nic.network_id.clone(),
                        network_name: String::new(),
                        vpc_id: Some(spec.vpc_id.clone()),
                        subnet_id: nic.subnet_id.clone(),
                        // Assigned by the store in the create transaction.
                        ip_address: String::new(),
                        mac_address: mac,
                        binding_host: None,
                        primary: n == 0,
                        status: "DOWN".into(),
                        security_groups: Vec::new(),
                    },
                    requested: address.requested,
                    range: address.range,
                    pool: None,
                });
            }
            if let Some(a) = self.new_action(caller, row, &id, request_id) {
                actions.push(a);
            }
            jobs.push(job);
        }
        // The dialects answer with ids; the addresses are read with the server.
        self.store
            .create_servers(&servers, &volumes, &ports, &jobs, &actions)
            .await?;
        self.engine.wake();
        Ok((parent.id, servers))
    }
}

/// Where a NIC's address comes from: its subnet's block, and the address
/// asked for (a host of that block) if any.
struct NicAddress {
    range: AddressRange,
    requested: Option<Ipv4Addr>,
}
