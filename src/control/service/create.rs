//! Server creation: validation, and the records, volumes, ports and jobs
//! written in one transaction, in which the store also assigns addresses.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use chrono::Utc;

use super::Service;
use crate::catalog::OpId;
use crate::control::workflows::{JobParams, RunState, WorkInput};
use crate::domain::quota::Resource;
use crate::domain::AVAILABILITY_ZONE;
use crate::domain::{
    uuid_id, AddressRange, Caller, ControlError, ControlResult, Flavor, Image, Job, Network, Port, PowerState, Server,
    VmState, Volume,
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

/// A requested network attachment at create time: the network (a Huawei
/// NIC's `subnet_id`, a Nova `networks[].uuid`) and the address asked for.
#[derive(Debug, Clone)]
pub struct NicSpec {
    pub network_id: String,
    pub ip_address: Option<String>,
    /// A port made beforehand, bound instead of a new one (then
    /// `network_id` is ignored).
    pub port_id: Option<String>,
}

/// What a create request asks for, whatever the dialect.
#[derive(Debug, Clone)]
pub struct CreateSpec {
    pub name: String,
    pub image_id: String,
    pub flavor_id: String,
    pub count: i64,
    /// The VPC every NIC's network must belong to (Huawei's `vpcid`);
    /// `None` for Nova, where the first network's VPC is the server's.
    pub vpc_id: Option<String>,
    pub nics: Vec<NicSpec>,
    /// Security groups by id (Huawei) or by name or id (Nova); none means
    /// the project's `default` group.
    pub security_groups: Vec<String>,
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
        self.validate_create(caller, spec).await.map(|_| ())
    }

    /// The flavor, the image, each NIC's network and subnet with its
    /// requested address, and the security groups, once every check has
    /// passed.
    async fn validate_create(&self, caller: &Caller, spec: &CreateSpec) -> ControlResult<Validated> {
        if let Some(name) = &spec.key_name {
            self.check_key_name(caller, name).await?;
        }
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
        let image = self.visible_image(caller, &spec.image_id).await?.ok_or_else(|| {
            ControlError::bad_request_code("Ecs.0031", format!("Image {} could not be found.", spec.image_id))
        })?;
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
        if let Some(vpc_id) = &spec.vpc_id {
            if self.visible_vpc(caller, vpc_id).await.is_err() {
                return Err(ControlError::bad_request_code(
                    "Ecs.0005",
                    format!("VPC {vpc_id} does not exist."),
                ));
            }
        }
        if spec.count > 1 && spec.nics.iter().any(|n| n.port_id.is_some()) {
            return Err(ControlError::bad_request(
                "Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.",
            ));
        }
        let mut nics = Vec::with_capacity(spec.nics.len());
        for nic in &spec.nics {
            nics.push(self.nic_address(caller, spec.vpc_id.as_deref(), nic).await?);
        }
        let security_groups = self.groups_for(caller, &spec.security_groups).await?;
        Ok(Validated {
            flavor,
            image,
            nics,
            security_groups,
        })
    }

    /// The network a NIC names (visible to the caller, in the server's VPC
    /// if one is named), the subnet its address comes from and that
    /// address; or the port made beforehand it names.
    async fn nic_address(&self, caller: &Caller, vpc_id: Option<&str>, nic: &NicSpec) -> ControlResult<NicAddress> {
        if let Some(port_id) = &nic.port_id {
            return self.existing_port(caller, vpc_id, port_id).await;
        }
        self.address_on(caller, vpc_id, &nic.network_id, None, nic.ip_address.as_deref())
            .await
    }

    /// Where a new port on `network_id` gets its address: the subnet asked
    /// for, else the one holding the requested address, else the first.
    pub(super) async fn address_on(
        &self,
        caller: &Caller,
        vpc_id: Option<&str>,
        network_id: &str,
        subnet_id: Option<&str>,
        ip: Option<&str>,
    ) -> ControlResult<NicAddress> {
        let missing =
            || ControlError::bad_request_code("Ecs.0005", format!("Network {network_id} could not be found."));
        if !crate::domain::is_uuid(network_id) {
            return Err(missing());
        }
        let network = self.visible_network(caller, network_id).await.map_err(|_| missing())?;
        if let Some(vpc_id) = vpc_id {
            if network.vpc_id.as_deref() != Some(vpc_id) {
                return Err(ControlError::bad_request_code(
                    "Ecs.0005",
                    format!("Subnet {} does not belong to VPC {vpc_id}.", network.id),
                ));
            }
        }
        let subnets = self.store.subnets_of(&network.id).await?;
        let requested = match ip {
            None => None,
            Some(ip) => Some(ip.parse::<Ipv4Addr>().map_err(|_| {
                ControlError::bad_request_code("Ecs.0005", format!("IP address {ip} is not a valid IPv4 address."))
            })?),
        };
        let subnet = match (subnet_id, requested) {
            (Some(want), _) => subnets.into_iter().find(|s| s.id == want),
            (None, None) => subnets.into_iter().next(),
            (None, Some(addr)) => subnets.into_iter().find(|s| s.range().is_some_and(|r| r.holds(addr))),
        };
        let Some(subnet) = subnet else {
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                match (subnet_id, ip) {
                    (Some(want), _) => format!("Subnet {want} is not a subnet of network {}.", network.id),
                    (None, Some(ip)) => format!("IP address {ip} is not in any subnet of network {}.", network.id),
                    (None, None) => format!(
                        "Network {} requires a subnet in order to boot instances on.",
                        network.id
                    ),
                },
            ));
        };
        let range = subnet
            .range()
            .ok_or_else(|| ControlError::internal(format!("subnet {} has no valid block", subnet.id)))?;
        if let Some(addr) = requested {
            if range.offset(addr).is_none() {
                return Err(ControlError::bad_request_code(
                    "Ecs.0005",
                    format!(
                        "IP address {addr} is not a host address of subnet {} ({range}).",
                        subnet.id
                    ),
                ));
            }
        }
        Ok(NicAddress {
            range,
            pool: subnet.pool_offsets(),
            requested,
            network,
            subnet_id: subnet.id,
            existing: None,
        })
    }

    /// A port of the caller's that no server holds, in the server's VPC.
    async fn existing_port(&self, caller: &Caller, vpc_id: Option<&str>, port_id: &str) -> ControlResult<NicAddress> {
        let port = match self.store.get_port(port_id).await? {
            Some(p) if p.project_id == caller.project_id => p,
            _ => {
                return Err(ControlError::bad_request_code(
                    "Ecs.0005",
                    format!("Port {port_id} could not be found."),
                ))
            }
        };
        if port.server_id.is_some() {
            return Err(crate::domain::vpc::port_in_use(port_id));
        }
        let network = self.visible_network(caller, &port.network_id).await?;
        if let Some(vpc_id) = vpc_id {
            if network.vpc_id.as_deref() != Some(vpc_id) {
                return Err(ControlError::bad_request_code(
                    "Ecs.0005",
                    format!("Port {port_id} does not belong to VPC {vpc_id}."),
                ));
            }
        }
        let subnet = self
            .store
            .get_subnet(&port.subnet_id)
            .await?
            .ok_or_else(|| ControlError::internal(format!("port {port_id} has no subnet")))?;
        let range = subnet
            .range()
            .ok_or_else(|| ControlError::internal(format!("subnet {} has no valid block", subnet.id)))?;
        Ok(NicAddress {
            network,
            subnet_id: subnet.id,
            range,
            pool: None,
            requested: None,
            existing: Some(port),
        })
    }

    /// The groups a create names, each the caller's own, by id or name;
    /// the `default` group when none is named.
    /// Each as (id, name).
    pub(super) async fn groups_for(&self, caller: &Caller, wanted: &[String]) -> ControlResult<Vec<(String, String)>> {
        if wanted.is_empty() {
            let g = self.default_group(caller).await?;
            return Ok(vec![(g.id, g.name)]);
        }
        let mut listed: Option<Vec<crate::domain::SecurityGroup>> = None;
        let mut ids = Vec::new();
        for w in wanted {
            let found = match self.own_group(caller, w).await {
                Ok(g) => Some(g),
                Err(_) => {
                    if listed.is_none() {
                        self.default_group(caller).await?;
                        listed = Some(self.store.list_security_groups(&caller.project_id).await?);
                    }
                    listed.iter().flatten().find(|g| &g.name == w).cloned()
                }
            };
            match found {
                Some(g) if !ids.iter().any(|(id, _)| id == &g.id) => ids.push((g.id, g.name)),
                Some(_) => {}
                None => {
                    return Err(ControlError::bad_request_code(
                        "Ecs.0005",
                        format!("Security group {w} not found for project {}.", caller.project_id),
                    ))
                }
            }
        }
        Ok(ids)
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
        let Validated {
            flavor,
            image,
            nics: nic_addresses,
            security_groups,
        } = self.validate_create(caller, &spec).await?;
        let vpc_id = spec
            .vpc_id
            .clone()
            .or_else(|| nic_addresses.first().and_then(|n| n.network.vpc_id.clone()))
            .unwrap_or_default();
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
            metadata.insert("vpc_id".into(), vpc_id.clone());
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
                vpc_id: vpc_id.clone(),
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
                    name: String::new(),
                    description: String::new(),
                    created: Some(now),
                    attached_at: Some(now),
                });
                device = (device as u8 + 1) as char;
            }
            for (n, address) in nic_addresses.iter().enumerate() {
                if let Some(existing) = &address.existing {
                    ports.push(NewPort {
                        port: Port {
                            server_id: Some(id.clone()),
                            primary: n == 0,
                            status: "DOWN".into(),
                            ..existing.clone()
                        },
                        requested: None,
                        range: address.range,
                        pool: None,
                        bind_existing: true,
                    });
                    continue;
                }
                ports.push(address.new_port(Port {
                    server_id: Some(id.clone()),
                    primary: n == 0,
                    ..address.port_template(&caller.project_id, &security_groups)
                }));
            }
            if let Some(a) = self.new_action(caller, row, &id, request_id) {
                actions.push(a);
            }
            jobs.push(job);
        }
        // The quota check and the write hold the project's quota lock.
        let n = servers.len() as i64;
        let new_ports = ports.iter().filter(|p| !p.bind_existing).count() as i64;
        let _quota = self
            .reserve_quota(
                &caller.project_id,
                &[
                    (Resource::Instances, n),
                    (Resource::Cores, n * flavor.vcpus),
                    (Resource::Ram, n * flavor.ram_mb),
                    (Resource::Ports, new_ports),
                ],
            )
            .await?;
        // The dialects answer with ids; the addresses are read with the server.
        self.store
            .create_servers(&servers, &volumes, &ports, &jobs, &actions)
            .await?;
        self.engine.wake();
        Ok((parent.id, servers))
    }
}

/// A port's MAC address, in OpenStack's `fa:16:3e` range, from its id.
fn mac_for(port_id: &str) -> String {
    format!("fa:16:3e:{}:{}:{}", &port_id[0..2], &port_id[2..4], &port_id[4..6])
}

/// Where a NIC's address comes from: its network, the subnet's id, block
/// and allocation pool, and the address asked for (a host of that block).
pub(super) struct NicAddress {
    pub(super) network: Network,
    pub(super) subnet_id: String,
    pub(super) range: AddressRange,
    pub(super) pool: Option<(u32, u32)>,
    pub(super) requested: Option<Ipv4Addr>,
    /// The port made beforehand this NIC binds.
    existing: Option<Port>,
}

impl NicAddress {
    /// A new port on this network and subnet, in `groups` (id, name); its
    /// address is assigned by the store when it is written.
    pub(super) fn port_template(&self, project_id: &str, groups: &[(String, String)]) -> Port {
        let id = uuid_id();
        Port {
            mac_address: mac_for(&id),
            id,
            server_id: None,
            project_id: project_id.to_string(),
            network_id: self.network.id.clone(),
            network_name: self.network.name.clone(),
            vpc_id: self.network.vpc_id.clone(),
            subnet_id: self.subnet_id.clone(),
            ip_address: String::new(),
            binding_host: None,
            primary: false,
            status: "DOWN".into(),
            security_groups: groups.iter().map(|(id, _)| id.clone()).collect(),
            security_group_names: groups.iter().map(|(_, name)| name.clone()).collect(),
            name: String::new(),
            preserve_on_delete: false,
            floating_ip: None,
        }
    }

    /// The port to write, with where its address comes from.
    pub(super) fn new_port(&self, port: Port) -> NewPort {
        NewPort {
            port,
            requested: self.requested,
            range: self.range,
            pool: self.pool,
            bind_existing: false,
        }
    }
}

/// A create request once every check has passed.
struct Validated {
    flavor: Flavor,
    image: Image,
    nics: Vec<NicAddress>,
    security_groups: Vec<(String, String)>,
}
