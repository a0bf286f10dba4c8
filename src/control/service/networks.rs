//! VPCs, networks and subnets for both dialects. The dialects authorize
//! the operation's row first (so a caller without the action learns
//! nothing of what exists); here each record is looked up within what the
//! caller may see (another project's is not found), the input checked,
//! then written.
//!
//! Neutron sees the records as networks and subnets; Huawei's subnets
//! (a network with one subnet) are in `hw_subnets.rs`.

use chrono::Utc;

use crate::domain::quota::Resource;

use super::Service;
use crate::domain::vpc::{self, codes};
use crate::domain::{uuid_id, AddressRange, AllocationPool, Caller, ControlResult, Network, Removal, Subnet, Vpc};

/// Most records of one kind a project may hold where no quota says
/// otherwise; lists are bounded by it too.
pub const MAX_PER_PROJECT: usize = 1_000;

/// A new VPC.
#[derive(Debug, Clone, Default)]
pub struct NewVpc {
    pub name: String,
    pub description: String,
    pub cidr: Option<String>,
}

/// What an update may change; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct VpcChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub cidr: Option<String>,
}

/// A new Neutron network.
#[derive(Debug, Clone, Default)]
pub struct NewNetwork {
    pub name: String,
    pub description: String,
    pub admin_state_up: bool,
    pub mtu: Option<i64>,
    pub vpc_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NetworkChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub admin_state_up: Option<bool>,
    pub mtu: Option<i64>,
}

/// A new Neutron subnet. `gateway_ip`: `None` = the block's first host,
/// `Some(None)` = no gateway (Neutron's explicit null).
#[derive(Debug, Clone, Default)]
pub struct NewSubnet {
    pub network_id: String,
    pub name: String,
    pub description: String,
    pub cidr: String,
    pub gateway_ip: Option<Option<String>>,
    pub allocation_pools: Vec<AllocationPool>,
    pub enable_dhcp: bool,
    pub dns_nameservers: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SubnetChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enable_dhcp: Option<bool>,
    pub dns_nameservers: Option<Vec<String>>,
}

/// Neutron's default MTU.
const DEFAULT_MTU: i64 = 1500;

impl Service {
    // ---------------------------------------------------------------- VPCs

    pub async fn create_vpc(&self, caller: &Caller, new: NewVpc) -> ControlResult<Vpc> {
        let cidr = new.cidr.unwrap_or_else(|| "192.168.0.0/16".to_string());
        let block = vpc::vpc_block(&cidr)?;
        check_name(codes::VPC_INVALID, &new.name)?;
        if self
            .store
            .list_vpcs(&caller.project_id)
            .await?
            .iter()
            .filter(|v| v.project_id == caller.project_id)
            .count()
            >= MAX_PER_PROJECT
        {
            return Err(vpc::over_quota(codes::VPC_QUOTA, "router"));
        }
        let now = Utc::now();
        let v = Vpc {
            id: uuid_id(),
            project_id: caller.project_id.clone(),
            name: new.name,
            description: new.description,
            cidr: block.to_string(),
            shared: false,
            created: now,
            updated: now,
        };
        self.store.put_vpc(&v).await?;
        Ok(v)
    }

    /// A VPC the caller may see (its project's or a shared one).
    pub async fn vpc(&self, caller: &Caller, id: &str) -> ControlResult<Vpc> {
        let v = self.visible_vpc(caller, id).await?;
        Ok(v)
    }

    pub async fn vpcs(&self, caller: &Caller) -> ControlResult<Vec<Vpc>> {
        self.store.list_vpcs(&caller.project_id).await
    }

    pub async fn update_vpc(&self, caller: &Caller, id: &str, change: VpcChange) -> ControlResult<Vpc> {
        let mut v = self.owned_vpc(caller, id).await?;
        if let Some(name) = change.name {
            check_name(codes::VPC_INVALID, &name)?;
            v.name = name;
        }
        if let Some(d) = change.description {
            v.description = d;
        }
        if let Some(cidr) = change.cidr {
            let block = vpc::vpc_block(&cidr)?;
            // A VPC's block may change only so that its subnets stay inside.
            for n in self.networks_of_vpc(caller, &v.id).await? {
                for s in self.store.subnets_of(&n.id).await? {
                    if !s.range().is_some_and(|r| block.contains(&r)) {
                        return Err(vpc::invalid(
                            codes::VPC_INVALID,
                            format!(
                                "Invalid input for cidr. Reason: subnet {} ({}) would lie outside {cidr}.",
                                s.id, s.cidr
                            ),
                        ));
                    }
                }
            }
            v.cidr = block.to_string();
        }
        v.updated = Utc::now();
        self.store.put_vpc(&v).await?;
        Ok(v)
    }

    pub async fn delete_vpc(&self, caller: &Caller, id: &str) -> ControlResult<()> {
        let v = self.owned_vpc(caller, id).await?;
        match self.store.delete_vpc(&v.id).await? {
            Removal::Deleted => Ok(()),
            Removal::NotFound => Err(vpc::vpc_not_found(id)),
            Removal::InUse => Err(vpc::in_use(
                codes::VPC_IN_USE,
                format!("VPC {id} still has subnets; delete them first."),
            )),
        }
    }

    pub async fn visible_vpc(&self, caller: &Caller, id: &str) -> ControlResult<Vpc> {
        match self.store.get_vpc(id).await? {
            Some(v) if v.project_id == caller.project_id || v.shared => Ok(v),
            _ => Err(vpc::vpc_not_found(id)),
        }
    }

    async fn owned_vpc(&self, caller: &Caller, id: &str) -> ControlResult<Vpc> {
        match self.store.get_vpc(id).await? {
            Some(v) if v.project_id == caller.project_id => Ok(v),
            _ => Err(vpc::vpc_not_found(id)),
        }
    }

    async fn networks_of_vpc(&self, caller: &Caller, vpc_id: &str) -> ControlResult<Vec<Network>> {
        Ok(self
            .store
            .list_networks(&caller.project_id)
            .await?
            .into_iter()
            .filter(|n| n.vpc_id.as_deref() == Some(vpc_id))
            .collect())
    }

    // ------------------------------------------------------------ networks

    pub async fn create_network(&self, caller: &Caller, new: NewNetwork) -> ControlResult<Network> {
        self.new_network(caller, new).await
    }

    pub(super) async fn new_network(&self, caller: &Caller, new: NewNetwork) -> ControlResult<Network> {
        if let Some(vpc_id) = &new.vpc_id {
            self.visible_vpc(caller, vpc_id).await?;
        }
        let mtu = new.mtu.unwrap_or(DEFAULT_MTU);
        if !(68..=9000).contains(&mtu) {
            return Err(vpc::invalid(
                codes::SUBNET_INVALID,
                format!("Invalid input for mtu. Reason: {mtu} is not in the range 68 to 9000."),
            ));
        }
        let _quota = self
            .reserve_quota(&caller.project_id, &[(Resource::Networks, 1)])
            .await?;
        let now = Utc::now();
        let n = Network {
            id: uuid_id(),
            project_id: caller.project_id.clone(),
            name: new.name,
            description: new.description,
            vpc_id: new.vpc_id,
            admin_state_up: new.admin_state_up,
            shared: false,
            external: false,
            mtu,
            created: now,
            updated: now,
        };
        self.store.put_network(&n).await?;
        Ok(n)
    }

    pub async fn network(&self, caller: &Caller, id: &str) -> ControlResult<Network> {
        let n = self.visible_network(caller, id).await?;
        Ok(n)
    }

    pub async fn networks(&self, caller: &Caller) -> ControlResult<Vec<Network>> {
        self.store.list_networks(&caller.project_id).await
    }

    pub async fn update_network(&self, caller: &Caller, id: &str, change: NetworkChange) -> ControlResult<Network> {
        let mut n = self.owned_network(caller, id).await?;
        if let Some(name) = change.name {
            n.name = name;
        }
        if let Some(d) = change.description {
            n.description = d;
        }
        if let Some(a) = change.admin_state_up {
            n.admin_state_up = a;
        }
        if let Some(mtu) = change.mtu {
            n.mtu = mtu;
        }
        n.updated = Utc::now();
        self.store.put_network(&n).await?;
        Ok(n)
    }

    pub async fn delete_network(&self, caller: &Caller, id: &str) -> ControlResult<()> {
        let n = self.owned_network(caller, id).await?;
        self.remove_network(&n).await
    }

    pub(super) async fn remove_network(&self, n: &Network) -> ControlResult<()> {
        match self.store.delete_network(&n.id).await? {
            Removal::Deleted => Ok(()),
            Removal::NotFound => Err(vpc::network_not_found(&n.id)),
            Removal::InUse => Err(vpc::in_use(
                codes::SUBNET_IN_USE,
                format!(
                    "Unable to complete operation on network {}. There are one or more ports still in use on the network.",
                    n.id
                ),
            )),
        }
    }

    pub(super) async fn visible_network(&self, caller: &Caller, id: &str) -> ControlResult<Network> {
        match self.store.get_network(id).await? {
            Some(n) if n.project_id == caller.project_id || n.shared => Ok(n),
            _ => Err(vpc::network_not_found(id)),
        }
    }

    pub(super) async fn owned_network(&self, caller: &Caller, id: &str) -> ControlResult<Network> {
        match self.store.get_network(id).await? {
            Some(n) if n.project_id == caller.project_id => Ok(n),
            _ => Err(vpc::network_not_found(id)),
        }
    }

    // ------------------------------------------------------------- subnets

    pub async fn create_subnet(&self, caller: &Caller, new: NewSubnet) -> ControlResult<Subnet> {
        let network = self.visible_network(caller, &new.network_id).await?;
        if network.project_id != caller.project_id {
            // Subnets of a shared network are its owner's to make.
            return Err(vpc::network_not_found(&new.network_id));
        }
        self.new_subnet(caller, &network, new).await
    }

    pub(super) async fn new_subnet(&self, caller: &Caller, network: &Network, new: NewSubnet) -> ControlResult<Subnet> {
        let block = vpc::block(codes::SUBNET_INVALID, &new.cidr)?;
        let _quota = self
            .reserve_quota(&caller.project_id, &[(Resource::Subnets, 1)])
            .await?;
        if let Some(vpc_id) = &network.vpc_id {
            let v = self.visible_vpc(caller, vpc_id).await?;
            if !vpc::block(codes::VPC_INVALID, &v.cidr)?.contains(&block) {
                return Err(vpc::invalid(
                    codes::SUBNET_INVALID,
                    format!(
                        "Invalid input for cidr. Reason: {} is not within the VPC's block {}.",
                        new.cidr, v.cidr
                    ),
                ));
            }
        }
        let gateway = match new.gateway_ip {
            None => Some(block.gateway()),
            Some(None) => None,
            Some(Some(g)) => Some(host_of(&block, "gateway_ip", &g)?),
        };
        let pools = pools_for(&block, gateway, &new.allocation_pools)?;
        for dns in &new.dns_nameservers {
            if dns.parse::<std::net::Ipv4Addr>().is_err() {
                return Err(vpc::invalid(
                    codes::SUBNET_INVALID,
                    format!("Invalid input for dns_nameservers. Reason: '{dns}' is not a valid nameserver."),
                ));
            }
        }
        let now = Utc::now();
        let s = Subnet {
            id: uuid_id(),
            network_id: network.id.clone(),
            project_id: caller.project_id.clone(),
            name: new.name,
            description: new.description,
            cidr: block.to_string(),
            gateway_ip: gateway.map(|g| g.to_string()),
            allocation_pools: pools,
            enable_dhcp: new.enable_dhcp,
            dns_nameservers: new.dns_nameservers,
            shared: network.shared,
            created: now,
            updated: now,
        };
        let scope = network.vpc_id.clone().unwrap_or_else(|| network.id.clone());
        if !self.store.create_subnet(&s, &scope).await? {
            return Err(vpc::subnet_overlaps(&s.cidr));
        }
        Ok(s)
    }

    pub async fn subnet(&self, caller: &Caller, id: &str) -> ControlResult<Subnet> {
        let s = self.visible_subnet(caller, id).await?;
        Ok(s)
    }

    pub async fn subnets(&self, caller: &Caller) -> ControlResult<Vec<Subnet>> {
        self.store.list_subnets(&caller.project_id).await
    }

    pub async fn update_subnet(&self, caller: &Caller, id: &str, change: SubnetChange) -> ControlResult<Subnet> {
        let mut s = match self.store.get_subnet(id).await? {
            Some(s) if s.project_id == caller.project_id => s,
            _ => return Err(vpc::subnet_not_found(id)),
        };
        apply_subnet_change(&mut s, change)?;
        self.store.update_subnet(&s).await?;
        Ok(s)
    }

    pub async fn delete_subnet(&self, caller: &Caller, id: &str) -> ControlResult<()> {
        match self.store.get_subnet(id).await? {
            Some(s) if s.project_id == caller.project_id => {}
            _ => return Err(vpc::subnet_not_found(id)),
        }
        match self.store.delete_subnet(id).await? {
            Removal::Deleted => Ok(()),
            Removal::NotFound => Err(vpc::subnet_not_found(id)),
            Removal::InUse => Err(vpc::in_use(
                codes::SUBNET_IN_USE,
                format!("Unable to complete operation on subnet {id}: One or more ports have an IP allocation from this subnet."),
            )),
        }
    }

    pub(super) async fn visible_subnet(&self, caller: &Caller, id: &str) -> ControlResult<Subnet> {
        match self.store.get_subnet(id).await? {
            Some(s) if s.project_id == caller.project_id || s.shared => Ok(s),
            _ => Err(vpc::subnet_not_found(id)),
        }
    }
}

/// Names: up to 64 characters (Huawei's limit for VPCs and subnets).
pub(super) fn check_name(code: &'static str, name: &str) -> ControlResult<()> {
    if name.chars().count() > 64 {
        return Err(vpc::invalid(
            code,
            "Invalid input for name. Reason: the name is longer than 64 characters.",
        ));
    }
    Ok(())
}

pub(super) fn apply_subnet_change(s: &mut Subnet, change: SubnetChange) -> ControlResult<()> {
    if let Some(name) = change.name {
        s.name = name;
    }
    if let Some(d) = change.description {
        s.description = d;
    }
    if let Some(dhcp) = change.enable_dhcp {
        s.enable_dhcp = dhcp;
    }
    if let Some(dns) = change.dns_nameservers {
        s.dns_nameservers = dns;
    }
    s.updated = Utc::now();
    Ok(())
}

/// An address of the block that may be a gateway or pool bound: inside it
/// and neither its network nor its broadcast address.
fn host_of(block: &AddressRange, field: &str, addr: &str) -> ControlResult<std::net::Ipv4Addr> {
    let ip: std::net::Ipv4Addr = addr.parse().map_err(|_| {
        vpc::invalid(
            codes::SUBNET_INVALID,
            format!("Invalid input for {field}. Reason: '{addr}' is not a valid IP address."),
        )
    })?;
    if !block.holds(ip) || ip == block.network() || ip == block.broadcast() {
        return Err(vpc::invalid(
            codes::SUBNET_INVALID,
            format!("Invalid input for {field}. Reason: {addr} is not a host of {block}."),
        ));
    }
    Ok(ip)
}

/// The allocation pool: the one given (a single range within the block
/// that leaves out the gateway), or every host after the gateway.
fn pools_for(
    block: &AddressRange,
    gateway: Option<std::net::Ipv4Addr>,
    given: &[AllocationPool],
) -> ControlResult<Vec<AllocationPool>> {
    match given {
        [] => {
            // Every host, less a gateway inside them (one pool per subnet:
            // the larger side of it).
            let (first, last) = (u32::from(block.first_host()), u32::from(block.last_host()));
            let (start, end) = match gateway.map(u32::from) {
                Some(g) if (first..=last).contains(&g) && g - first >= last - g => (first, g - 1),
                Some(g) if (first..=last).contains(&g) => (g + 1, last),
                _ => (first, last),
            };
            if start > end {
                return Err(vpc::invalid(
                    codes::SUBNET_INVALID,
                    format!("The subnet {block} has no address left for hosts beside its gateway."),
                ));
            }
            Ok(vec![AllocationPool {
                start: std::net::Ipv4Addr::from(start).to_string(),
                end: std::net::Ipv4Addr::from(end).to_string(),
            }])
        }
        [pool] => {
            let start = host_of(block, "allocation_pools", &pool.start)?;
            let end = host_of(block, "allocation_pools", &pool.end)?;
            if let Some(g) = gateway {
                if (u32::from(start)..=u32::from(end)).contains(&u32::from(g)) {
                    return Err(vpc::invalid(
                        codes::SUBNET_INVALID,
                        format!(
                            "Gateway ip {g} conflicts with allocation pool {}-{}.",
                            pool.start, pool.end
                        ),
                    ));
                }
            }
            if u32::from(start) > u32::from(end) || block.offset(start).is_none() || block.offset(end).is_none() {
                return Err(vpc::invalid(
                    codes::SUBNET_INVALID,
                    format!(
                        "The allocation pool {}-{} spans beyond the subnet cidr {block}.",
                        pool.start, pool.end
                    ),
                ));
            }
            Ok(vec![pool.clone()])
        }
        _ => Err(vpc::invalid(
            codes::SUBNET_INVALID,
            "Invalid input for allocation_pools. Reason: ecsd takes one allocation pool per subnet.",
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn block(c: &str) -> AddressRange {
        AddressRange::parse(c).unwrap()
    }

    #[test]
    fn a_pool_must_lie_in_the_block_and_leave_out_the_gateway() {
        let b = block("192.168.1.0/24");
        let gw = Some(b.gateway());
        let pool = |s: &str, e: &str| AllocationPool {
            start: s.into(),
            end: e.into(),
        };
        assert_eq!(pools_for(&b, gw, &[]).unwrap()[0].start, "192.168.1.2");
        let high = pools_for(&b, Some("192.168.1.254".parse().unwrap()), &[]).unwrap();
        assert_eq!(
            (high[0].start.as_str(), high[0].end.as_str()),
            ("192.168.1.2", "192.168.1.253")
        );
        let mid = pools_for(&b, Some("192.168.1.100".parse().unwrap()), &[]).unwrap();
        assert_eq!(
            (mid[0].start.as_str(), mid[0].end.as_str()),
            ("192.168.1.101", "192.168.1.254")
        );
        assert!(pools_for(&b, gw, &[pool("192.168.1.10", "192.168.1.20")]).is_ok());
        assert!(pools_for(&b, gw, &[pool("192.168.1.1", "192.168.1.20")]).is_err());
        assert!(pools_for(&b, gw, &[pool("192.168.1.20", "192.168.1.10")]).is_err());
        assert!(pools_for(&b, gw, &[pool("192.168.1.10", "192.168.2.10")]).is_err());
        assert!(pools_for(&b, gw, &[pool("x", "192.168.1.10")]).is_err());
    }

    #[test]
    fn a_vpc_block_is_private_and_no_smaller_than_a_slash_24() {
        assert!(vpc::vpc_block("10.0.0.0/8").is_ok());
        assert!(vpc::vpc_block("172.16.0.0/12").is_ok());
        assert!(vpc::vpc_block("192.168.0.0/24").is_ok());
        assert!(vpc::vpc_block("192.168.0.0/25").is_err());
        assert!(vpc::vpc_block("8.8.0.0/16").is_err());
        assert!(vpc::vpc_block("172.0.0.0/8").is_err());
        assert!(vpc::vpc_block("10.0.0.1/8").is_err());
    }

    #[test]
    fn contains_and_holds() {
        let outer = block("10.0.0.0/8");
        assert!(outer.contains(&block("10.1.0.0/16")));
        assert!(!outer.contains(&block("11.0.0.0/16")));
        assert!(!block("10.1.0.0/16").contains(&outer));
        assert!(outer.holds("10.255.255.255".parse().unwrap()));
        assert!(!outer.holds("11.0.0.0".parse().unwrap()));
    }
}
