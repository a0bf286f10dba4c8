//! Ports made through the network API: an address on a network before any
//! server has it. A server create binds one (Nova `networks[].port`,
//! Huawei `nics[].port_id`); the server's delete unbinds it again.

use super::Service;
use crate::domain::vpc;
use crate::domain::{Caller, ControlResult, Port};

/// A port to make: its network, optionally the subnet and address it
/// takes, its name and security groups (the `default` group when none).
#[derive(Debug, Clone, Default)]
pub struct NewPortSpec {
    pub network_id: String,
    pub subnet_id: Option<String>,
    pub ip_address: Option<String>,
    pub name: String,
    pub security_groups: Option<Vec<String>>,
}

impl Service {
    pub async fn create_port(&self, caller: &Caller, spec: NewPortSpec) -> ControlResult<Port> {
        let _quota = self
            .reserve_quota(&caller.project_id, &[(crate::domain::quota::Resource::Ports, 1)])
            .await?;
        let address = self
            .address_on(
                caller,
                None,
                &spec.network_id,
                spec.subnet_id.as_deref(),
                spec.ip_address.as_deref(),
            )
            .await
            .map_err(|e| match e {
                crate::domain::ControlError::BadRequest { message, .. } if message.contains("could not be found") => {
                    vpc::network_not_found(&spec.network_id)
                }
                other => other,
            })?;
        let security_groups = self
            .groups_for(caller, spec.security_groups.as_deref().unwrap_or_default())
            .await?;
        let new = address.new_port(Port {
            name: spec.name,
            preserve_on_delete: true,
            ..address.port_template(&caller.project_id, &security_groups)
        });
        let mut written = self.store.create_servers(&[], &[], &[new], &[], &[]).await?;
        written
            .pop()
            .ok_or_else(|| crate::domain::ControlError::internal("the port was not written"))
    }

    pub async fn port(&self, caller: &Caller, id: &str) -> ControlResult<Port> {
        match self.store.get_port(id).await? {
            Some(p) if p.project_id == caller.project_id => Ok(p),
            _ => Err(vpc::port_not_found(id)),
        }
    }

    pub async fn ports(&self, caller: &Caller) -> ControlResult<Vec<Port>> {
        self.store.list_ports(&caller.project_id).await
    }

    pub async fn update_port(
        &self,
        caller: &Caller,
        id: &str,
        name: Option<String>,
        security_groups: Option<Vec<String>>,
    ) -> ControlResult<Port> {
        let mut p = self.port(caller, id).await?;
        if let Some(name) = name {
            p.name = name;
        }
        if let Some(groups) = security_groups {
            let chosen = if groups.is_empty() {
                Vec::new()
            } else {
                self.groups_for(caller, &groups).await?
            };
            p.security_groups = chosen.iter().map(|(id, _)| id.clone()).collect();
            p.security_group_names = chosen.into_iter().map(|(_, n)| n).collect();
        }
        self.store.put_port(&p).await?;
        Ok(p)
    }

    /// Deletes a port no server holds; a bound port is refused (detach it
    /// from its server first).
    pub async fn delete_port(&self, caller: &Caller, id: &str) -> ControlResult<()> {
        let p = self.port(caller, id).await?;
        if p.server_id.is_some() {
            return Err(vpc::port_in_use(id));
        }
        self.store.delete_port(&p.id).await
    }
}
