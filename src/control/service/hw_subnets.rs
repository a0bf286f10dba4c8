//! Huawei subnets: a network of a VPC with its one subnet (`HwSubnet`),
//! the Huawei id being the network's. Made, read, changed and deleted as
//! one, over the same records Neutron serves.

use chrono::Utc;

use super::networks::{apply_subnet_change, check_name, NewNetwork, NewSubnet, SubnetChange};
use super::Service;
use crate::domain::vpc::{self, codes};
use crate::domain::{Caller, ControlResult, Network, Subnet};

/// A new Huawei subnet: a network of `vpc_id` with one subnet.
#[derive(Debug, Clone, Default)]
pub struct NewHwSubnet {
    pub vpc_id: String,
    pub name: String,
    pub description: String,
    pub cidr: String,
    pub gateway_ip: String,
    pub dhcp_enable: bool,
    pub dns_nameservers: Vec<String>,
}

/// A Huawei subnet as both halves of it.
#[derive(Debug, Clone)]
pub struct HwSubnet {
    pub network: Network,
    pub subnet: Subnet,
}

impl Service {
    /// Huawei's subnet create: the network and its subnet, the network
    /// removed again when the subnet is refused.
    pub async fn create_hw_subnet(&self, caller: &Caller, new: NewHwSubnet) -> ControlResult<HwSubnet> {
        let v = self.visible_vpc(caller, &new.vpc_id).await?;
        check_name(codes::SUBNET_INVALID, &new.name)?;
        let block = vpc::block(codes::SUBNET_INVALID, &new.cidr)?;
        if new
            .gateway_ip
            .parse()
            .ok()
            .and_then(|g| block.offset(g).or((g == block.gateway()).then_some(0)))
            .is_none()
        {
            return Err(vpc::invalid(
                codes::SUBNET_INVALID,
                format!(
                    "Invalid input for gateway_ip. Reason: {} is not a host of {}.",
                    new.gateway_ip, new.cidr
                ),
            ));
        }
        let network = self
            .new_network(
                caller,
                NewNetwork {
                    name: new.name.clone(),
                    description: new.description.clone(),
                    admin_state_up: true,
                    mtu: None,
                    vpc_id: Some(v.id.clone()),
                },
            )
            .await?;
        let subnet = self
            .new_subnet(
                caller,
                &network,
                NewSubnet {
                    network_id: network.id.clone(),
                    name: new.name,
                    description: new.description,
                    cidr: new.cidr,
                    gateway_ip: Some(Some(new.gateway_ip)),
                    allocation_pools: Vec::new(),
                    enable_dhcp: new.dhcp_enable,
                    dns_nameservers: new.dns_nameservers,
                },
            )
            .await;
        match subnet {
            Ok(subnet) => Ok(HwSubnet { network, subnet }),
            Err(e) => {
                self.store.delete_network(&network.id).await?;
                Err(e)
            }
        }
    }

    pub async fn hw_subnet(&self, caller: &Caller, id: &str) -> ControlResult<HwSubnet> {
        let network = self.visible_network(caller, id).await?;
        self.hw_subnet_of(network)
            .await?
            .ok_or_else(|| vpc::network_not_found(id))
    }

    /// Every network of a VPC with its subnet, optionally of one VPC.
    pub async fn hw_subnets(&self, caller: &Caller, vpc_id: Option<&str>) -> ControlResult<Vec<HwSubnet>> {
        let mut out = Vec::new();
        for n in self.store.list_networks(&caller.project_id).await? {
            if n.vpc_id.is_none() || (vpc_id.is_some() && n.vpc_id.as_deref() != vpc_id) {
                continue;
            }
            if let Some(s) = self.hw_subnet_of(n).await? {
                out.push(s);
            }
        }
        Ok(out)
    }

    pub async fn update_hw_subnet(
        &self,
        caller: &Caller,
        vpc_id: &str,
        id: &str,
        change: SubnetChange,
    ) -> ControlResult<HwSubnet> {
        let mut network = self.owned_network(caller, id).await?;
        if network.vpc_id.as_deref() != Some(vpc_id) {
            return Err(vpc::network_not_found(id));
        }
        let Some(HwSubnet { subnet: mut s, .. }) = self.hw_subnet_of(network.clone()).await? else {
            return Err(vpc::network_not_found(id));
        };
        if let Some(name) = &change.name {
            check_name(codes::SUBNET_INVALID, name)?;
            network.name = name.clone();
        }
        if let Some(d) = &change.description {
            network.description = d.clone();
        }
        apply_subnet_change(&mut s, change)?;
        network.updated = Utc::now();
        self.store.put_network(&network).await?;
        self.store.update_subnet(&s).await?;
        Ok(HwSubnet { network, subnet: s })
    }

    pub async fn delete_hw_subnet(&self, caller: &Caller, vpc_id: &str, id: &str) -> ControlResult<()> {
        let network = self.owned_network(caller, id).await?;
        if network.vpc_id.as_deref() != Some(vpc_id) {
            return Err(vpc::network_not_found(id));
        }
        self.remove_network(&network).await
    }

    async fn hw_subnet_of(&self, network: Network) -> ControlResult<Option<HwSubnet>> {
        let subnet = self.store.subnets_of(&network.id).await?.into_iter().next();
        Ok(subnet.map(|subnet| HwSubnet { network, subnet }))
    }
}
