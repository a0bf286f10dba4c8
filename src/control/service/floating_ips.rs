//! Floating IPs: an address of an external network a project holds, and
//! maps to one of its ports. The address is a port of the external network
//! owned by no project, so the allocator that gives ports their addresses
//! gives floating IPs theirs.

use chrono::Utc;

use super::Service;
use crate::domain::vpc::{self, codes};
use crate::domain::{uuid_id, Bandwidth, Caller, ControlError, ControlResult, FloatingIp, Port, Removal};

/// A floating IP to allocate, optionally mapped to a port at once.
#[derive(Debug, Clone, Default)]
pub struct NewFloatingIp {
    pub floating_network_id: String,
    pub floating_ip_address: Option<String>,
    pub port_id: Option<String>,
    pub description: String,
    /// Huawei EIP: its alias and dedicated bandwidth.
    pub alias: String,
    pub bandwidth: Option<Bandwidth>,
}

impl Service {
    pub async fn create_floating_ip(&self, caller: &Caller, new: NewFloatingIp) -> ControlResult<FloatingIp> {
        let _quota = self
            .reserve_quota(&caller.project_id, &[(crate::domain::quota::Resource::FloatingIps, 1)])
            .await?;
        let network = self.visible_network(caller, &new.floating_network_id).await?;
        if !network.external {
            return Err(vpc::invalid(
                codes::FLOATING_INVALID,
                format!("Network {} is not a valid external network.", network.id),
            ));
        }
        let mapped = match &new.port_id {
            Some(port_id) => Some(self.port(caller, port_id).await?),
            None => None,
        };
        let address = self
            .address_on(caller, None, &network.id, None, new.floating_ip_address.as_deref())
            .await?;
        // No project lists the port that holds a floating address.
        let holder = address.new_port(Port {
            vpc_id: None,
            status: "ACTIVE".into(),
            name: "floatingip".into(),
            preserve_on_delete: true,
            ..address.port_template("", &[])
        });
        let written = self.store.create_servers(&[], &[], &[holder], &[], &[]).await?;
        let holder = written
            .into_iter()
            .next()
            .ok_or_else(|| ControlError::internal("the floating address was not written"))?;
        let now = Utc::now();
        let f = FloatingIp {
            id: uuid_id(),
            project_id: caller.project_id.clone(),
            floating_network_id: network.id,
            floating_ip_address: holder.ip_address,
            address_port_id: holder.id,
            port_id: mapped.as_ref().map(|p| p.id.clone()),
            fixed_ip_address: mapped.as_ref().map(|p| p.ip_address.clone()),
            description: new.description,
            created: now,
            updated: now,
            alias: new.alias,
            bandwidth: new.bandwidth,
        };
        if !self.store.put_floating_ip(&f).await? {
            self.store.delete_port(&f.address_port_id).await?;
            return Err(already_mapped(f.port_id.as_deref().unwrap_or_default()));
        }
        Ok(f)
    }

    pub async fn floating_ip(&self, caller: &Caller, id: &str) -> ControlResult<FloatingIp> {
        match self.store.get_floating_ip(id).await? {
            Some(f) if f.project_id == caller.project_id => Ok(self.current(f).await?),
            _ => Err(vpc::floating_ip_not_found(id)),
        }
    }

    pub async fn floating_ips(&self, caller: &Caller) -> ControlResult<Vec<FloatingIp>> {
        let mut out = Vec::new();
        for f in self.store.list_floating_ips(&caller.project_id).await? {
            out.push(self.current(f).await?);
        }
        Ok(out)
    }

    /// Maps the floating IP to a port of the caller's, or (`None`) unmaps it.
    pub async fn map_floating_ip(&self, caller: &Caller, id: &str, port_id: Option<&str>) -> ControlResult<FloatingIp> {
        let mut f = self.floating_ip(caller, id).await?;
        match port_id {
            Some(port_id) => {
                let port = self.port(caller, port_id).await?;
                f.port_id = Some(port.id);
                f.fixed_ip_address = Some(port.ip_address);
            }
            None => {
                f.port_id = None;
                f.fixed_ip_address = None;
            }
        }
        f.updated = Utc::now();
        if !self.store.put_floating_ip(&f).await? {
            return Err(already_mapped(port_id.unwrap_or_default()));
        }
        Ok(f)
    }

    /// Huawei's bind: refused while the EIP is bound to another port
    /// (`VPC.0510`); binding to the port it is bound to changes nothing.
    pub async fn bind_eip(&self, caller: &Caller, id: &str, port_id: &str) -> ControlResult<FloatingIp> {
        let f = self.floating_ip(caller, id).await?;
        match f.port_id.as_deref() {
            Some(bound) if bound == port_id => Ok(f),
            Some(bound) => Err(vpc::in_use(
                codes::FLOATING_BOUND,
                format!("Floatingip has already associated with port {bound}."),
            )),
            None => self.map_floating_ip(caller, id, Some(port_id)).await,
        }
    }

    /// Renames an EIP (its alias).
    pub async fn rename_eip(&self, caller: &Caller, id: &str, alias: String) -> ControlResult<FloatingIp> {
        let mut f = self.floating_ip(caller, id).await?;
        f.alias = alias;
        f.updated = Utc::now();
        self.store.put_floating_ip(&f).await?;
        Ok(f)
    }

    /// Huawei's release: a bound EIP is refused (`VPC.0517`).
    pub async fn release_eip(&self, caller: &Caller, id: &str) -> ControlResult<()> {
        let f = self.floating_ip(caller, id).await?;
        if f.port_id.is_some() {
            return Err(vpc::in_use(
                codes::FLOATING_DELETE_BOUND,
                "Floatingip has associated with port, please disassociate it firstly.".into(),
            ));
        }
        self.delete_floating_ip(caller, id).await
    }

    pub async fn delete_floating_ip(&self, caller: &Caller, id: &str) -> ControlResult<()> {
        let f = self.floating_ip(caller, id).await?;
        match self.store.delete_floating_ip(&f.id).await? {
            Removal::Deleted | Removal::InUse => Ok(()),
            Removal::NotFound => Err(vpc::floating_ip_not_found(id)),
        }
    }

    /// A floating IP whose port is gone (its server deleted) is unmapped.
    async fn current(&self, mut f: FloatingIp) -> ControlResult<FloatingIp> {
        if let Some(port_id) = &f.port_id {
            if self.store.get_port(port_id).await?.is_none() {
                f.port_id = None;
                f.fixed_ip_address = None;
            }
        }
        Ok(f)
    }
}

fn already_mapped(port_id: &str) -> ControlError {
    vpc::in_use(
        codes::FLOATING_IN_USE,
        format!("Cannot associate floating IP with port {port_id}: it already has a floating IP."),
    )
}
