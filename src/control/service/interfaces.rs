//! Network interfaces added to and removed from a running server (Nova
//! `os-interface`, Huawei `nics`): a port bound to the server or unbound,
//! with its job finished at once, admitted like any change to the server
//! and written in one transaction that checks the server and the port as
//! read. A port made for the attach is the server's (deleted with it, and
//! when detached); a port made beforehand is only unbound.

use chrono::Utc;

use super::Service;
use crate::catalog::{self, OpId};
use crate::domain::vpc;
use crate::domain::{Caller, ControlError, ControlResult, JobStatus, Port, Server};
use crate::store::{AttachmentOutcome, BindingChange};

/// What an attach asks for: a port made first, or a network (with
/// optionally the address and groups) to make one on.
#[derive(Debug, Clone, Default)]
pub struct InterfaceSpec {
    pub port_id: Option<String>,
    pub network_id: Option<String>,
    pub ip_address: Option<String>,
    pub security_groups: Vec<String>,
    /// Huawei's rule: a new NIC's subnet is in the VPC of the server's
    /// primary NIC.
    pub within_server_vpc: bool,
}

/// Where a NIC change's job comes from: the request, and the batch job it
/// belongs to (Huawei's batches), if any.
#[derive(Debug, Clone, Copy)]
pub struct JobOrigin<'a> {
    pub request_id: &'a str,
    pub parent: Option<&'a str>,
}

/// Most interfaces a server holds (Huawei allows 12 on most flavors;
/// UNCONFIRMED for this region's).
pub const MAX_INTERFACES: usize = 12;

impl Service {
    pub async fn attach_interface(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
        spec: InterfaceSpec,
        origin: JobOrigin<'_>,
    ) -> ControlResult<(String, Port)> {
        let (row, server) = self.admitted(caller, op, server_id).await?;
        if self.store.ports_of(&server.id).await?.len() >= MAX_INTERFACES {
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                format!(
                    "Instance {} has the most interfaces it may hold ({MAX_INTERFACES}).",
                    server.id
                ),
            ));
        }
        let (port, made_here) = match (&spec.port_id, &spec.network_id) {
            (Some(id), _) => {
                let p = self.port(caller, id).await?;
                if p.server_id.is_some() {
                    return Err(vpc::port_in_use(id));
                }
                (p, false)
            }
            (None, Some(network_id)) => {
                if spec.within_server_vpc {
                    let network = self.visible_network(caller, network_id).await?;
                    let ports = self.store.ports_of(&server.id).await?;
                    let server_vpc = ports.iter().find(|p| p.primary).and_then(|p| p.vpc_id.clone());
                    if server_vpc.is_some() && network.vpc_id != server_vpc {
                        return Err(ControlError::bad_request_code(
                            "Ecs.0005",
                            format!(
                                "Subnet {network_id} does not belong to the VPC of instance {}.",
                                server.id
                            ),
                        ));
                    }
                }
                let p = self
                    .create_port(
                        caller,
                        super::NewPortSpec {
                            network_id: network_id.clone(),
                            ip_address: spec.ip_address.clone(),
                            security_groups: (!spec.security_groups.is_empty()).then(|| spec.security_groups.clone()),
                            ..Default::default()
                        },
                    )
                    .await?;
                (p, true)
            }
            (None, None) => {
                return Err(ControlError::bad_request(
                    "Either a port or a network to attach is required.",
                ))
            }
        };
        let mut bound = port.clone();
        bound.server_id = Some(server.id.clone());
        bound.binding_host = server.host.clone();
        bound.status = "ACTIVE".into();
        bound.primary = false;
        // A port made for the attach goes with the server, as Nova's do.
        bound.preserve_on_delete = !made_here && port.preserve_on_delete;
        let written = self
            .write_binding(caller, row, &server, None, bound.clone(), origin)
            .await;
        if written.is_err() && made_here {
            self.store.delete_port(&port.id).await?;
        }
        Ok((written?, bound))
    }

    /// Unbinds a port from the server; one the server's create or an attach
    /// made is deleted (its address freed), one made beforehand is kept.
    /// Where the dialect keeps the primary interface (Huawei), it is refused.
    pub async fn detach_interface(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
        port_id: &str,
        keep_primary: bool,
        origin: JobOrigin<'_>,
    ) -> ControlResult<String> {
        let (row, server) = self.admitted(caller, op, server_id).await?;
        let port = self
            .store
            .ports_of(&server.id)
            .await?
            .into_iter()
            .find(|p| p.id == port_id)
            .ok_or_else(|| ControlError::NotFound {
                code: vpc::codes::PORT_NOT_FOUND,
                message: format!("Port {port_id} is not attached"),
            })?;
        if keep_primary && port.primary {
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                "The primary NIC of a server cannot be deleted.",
            ));
        }
        let mut free = port.clone();
        free.server_id = None;
        free.binding_host = None;
        free.status = "DOWN".into();
        free.primary = false;
        let job_id = self
            .write_binding(caller, row, &server, Some(server.id.clone()), free, origin)
            .await?;
        if !port.preserve_on_delete {
            self.store.delete_port(&port.id).await?;
        }
        Ok(job_id)
    }

    /// A Huawei batch of NIC changes: one parent job (finished), each NIC a
    /// sub-job of its own; the first refusal stops the batch.
    pub async fn nic_batch(&self, caller: &Caller, op: OpId, request_id: &str) -> ControlResult<crate::domain::Job> {
        let row = self.row(op);
        let mut parent = self.new_job(caller, row, None, None, serde_json::Value::Null, request_id)?;
        parent.status = JobStatus::Success;
        parent.end_time = Some(Utc::now());
        Ok(parent)
    }

    /// Records a finished batch parent with how many NICs it changed.
    pub async fn finish_nic_batch(&self, mut parent: crate::domain::Job, count: usize) -> ControlResult<String> {
        parent.params = serde_json::json!({ "sub_jobs_total": count });
        self.store.insert_jobs(std::slice::from_ref(&parent)).await?;
        Ok(parent.id)
    }

    async fn write_binding(
        &self,
        caller: &Caller,
        row: &'static catalog::Operation,
        server: &Server,
        expected_server: Option<String>,
        port: Port,
        origin: JobOrigin<'_>,
    ) -> ControlResult<String> {
        let params = serde_json::json!({ "nic_id": port.id });
        let (job, action) = self.finished_change(caller, row, &server.id, params, origin)?;
        let port_id = port.id.clone();
        let change = BindingChange {
            server_id: server.id.clone(),
            server_generation: server.generation,
            port,
            expected_server,
            job,
            action,
        };
        match self.store.change_port_binding(&change).await? {
            AttachmentOutcome::Written => Ok(change.job.id),
            AttachmentOutcome::ServerChanged => Err(super::attachments::server_busy(&server.id)),
            AttachmentOutcome::VolumeChanged => Err(vpc::port_in_use(&port_id)),
        }
    }
}
