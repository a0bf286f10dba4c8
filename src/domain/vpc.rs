//! Virtual networks as records both dialects serve: Huawei's VPCs and
//! subnets, Neutron's networks and subnets, security groups and rules.
//!
//! The two models meet as Huawei's do: a Huawei subnet is one Neutron
//! network with one IPv4 subnet, and its Huawei id is the network's id
//! (the id an ECS NIC and a Nova `networks[].uuid` both name). A VPC groups
//! networks; a network Neutron creates on its own belongs to none.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use std::net::Ipv4Addr;

use super::error::{ControlError, ControlResult};
use super::network::AddressRange;

/// A Huawei VPC: an address space its subnets are carved from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vpc {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub cidr: String,
    /// Every project may use it (the region's default VPC).
    pub shared: bool,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A Neutron network; with a VPC and a subnet it is a Huawei subnet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Network {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub vpc_id: Option<String>,
    pub admin_state_up: bool,
    pub shared: bool,
    /// An external network (`router:external`): floating IPs come from it.
    #[serde(default)]
    pub external: bool,
    pub mtu: i64,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A floating IP: an address of an external network, held by a project
/// and mapped to one port's fixed address when associated. Its address is
/// a port of the external network that no project lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloatingIp {
    pub id: String,
    pub project_id: String,
    pub floating_network_id: String,
    pub floating_ip_address: String,
    /// The external network's port that holds the address.
    pub address_port_id: String,
    pub port_id: Option<String>,
    pub fixed_ip_address: Option<String>,
    pub description: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// Huawei EIP: its alias and the dedicated (PER) bandwidth made with it.
    #[serde(default)]
    pub alias: String,
    #[serde(default)]
    pub bandwidth: Option<Bandwidth>,
}

/// The bandwidth of an elastic IP (Huawei): made with it and named by it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bandwidth {
    pub id: String,
    pub name: String,
    /// Mbit/s.
    pub size: i64,
    /// `PER` (dedicated); shared (`WHOLE`) bandwidths are not modelled.
    pub share_type: String,
    /// `bandwidth` or `traffic`.
    pub charge_mode: String,
}

/// An address pool of a subnet: the hosts handed out automatically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllocationPool {
    pub start: String,
    pub end: String,
}

/// A Neutron (IPv4) subnet of a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subnet {
    pub id: String,
    pub network_id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub cidr: String,
    pub gateway_ip: Option<String>,
    pub allocation_pools: Vec<AllocationPool>,
    pub enable_dhcp: bool,
    pub dns_nameservers: Vec<String>,
    pub shared: bool,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

impl Subnet {
    /// The subnet's block; every stored subnet has a valid one.
    pub fn range(&self) -> Option<AddressRange> {
        AddressRange::parse(&self.cidr)
    }

    /// The offsets (within [`Subnet::range`]) addresses are handed out
    /// from: the single allocation pool.
    pub fn pool_offsets(&self) -> Option<(u32, u32)> {
        let range = self.range()?;
        let pool = self.allocation_pools.first()?;
        let first = range.offset(pool.start.parse().ok()?)?;
        let last = range.offset(pool.end.parse().ok()?)?;
        Some((first, last))
    }
}

/// A security group: rules that filter a port's traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// One rule of a security group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroupRule {
    pub id: String,
    pub security_group_id: String,
    pub project_id: String,
    /// `ingress` or `egress`.
    pub direction: String,
    /// `IPv4` or `IPv6`.
    pub ethertype: String,
    /// `tcp`, `udp`, `icmp`... or `None` for any.
    pub protocol: Option<String>,
    pub port_range_min: Option<i64>,
    pub port_range_max: Option<i64>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub description: String,
    pub created: DateTime<Utc>,
}

impl SecurityGroupRule {
    /// What makes two rules the same rule (Neutron refuses a duplicate).
    pub fn identity(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.direction,
            self.ethertype,
            self.protocol.as_deref().unwrap_or(""),
            self.port_range_min.map(|p| p.to_string()).unwrap_or_default(),
            self.port_range_max.map(|p| p.to_string()).unwrap_or_default(),
            self.remote_ip_prefix.as_deref().unwrap_or(""),
            self.remote_group_id.as_deref().unwrap_or(""),
        )
    }
}

/// What became of a delete the store guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Deleted,
    NotFound,
    /// Something still uses it (a VPC's subnets, a subnet's ports...).
    InUse,
}

// ---- the errors, with Huawei VPC codes; the Neutron dialect maps each code
// to its exception type (`api::errors::neutron_type`) ----

/// Huawei VPC error codes. Confirmed in Huawei's VPC error-code reference:
/// VPC.0003, VPC.0101, VPC.0114, VPC.2201. The others follow its
/// numbering (VPC 01xx, subnet 02xx, security group 06xx, rule 07xx) and
/// are UNCONFIRMED.
pub mod codes {
    pub const VPC_NOT_FOUND: &str = "VPC.0003";
    pub const VPC_INVALID: &str = "VPC.0101";
    pub const VPC_QUOTA: &str = "VPC.0114";
    /// UNCONFIRMED.
    pub const VPC_IN_USE: &str = "VPC.0104";
    /// UNCONFIRMED (subnet = Neutron network).
    pub const SUBNET_INVALID: &str = "VPC.0201";
    /// UNCONFIRMED.
    pub const SUBNET_NOT_FOUND: &str = "VPC.0202";
    /// UNCONFIRMED; Neutron's own subnet, which Huawei's API never names.
    pub const NEUTRON_SUBNET_NOT_FOUND: &str = "VPC.0203";
    /// UNCONFIRMED.
    pub const SUBNET_IN_USE: &str = "VPC.0204";
    /// UNCONFIRMED.
    pub const SUBNET_OVERLAP: &str = "VPC.0205";
    /// UNCONFIRMED.
    pub const SUBNET_QUOTA: &str = "VPC.0206";
    /// Ports (VPC.25xx, as the reference numbers its port errors):
    /// VPC.2500 is confirmed, the others UNCONFIRMED.
    pub const PORT_INVALID: &str = "VPC.2500";
    pub const PORT_NOT_FOUND: &str = "VPC.2501";
    pub const PORT_IN_USE: &str = "VPC.2502";
    pub const ADDRESS_IN_USE: &str = "VPC.2503";
    /// Floating IPs and EIPs, as Huawei's EIP error reference numbers them.
    pub const FLOATING_INVALID: &str = "VPC.0501";
    pub const FLOATING_NOT_FOUND: &str = "VPC.0504";
    /// The port already has a floating IP.
    pub const FLOATING_IN_USE: &str = "VPC.0511";
    /// The EIP is already bound to a port.
    pub const FLOATING_BOUND: &str = "VPC.0510";
    /// A bound EIP cannot be deleted.
    pub const FLOATING_DELETE_BOUND: &str = "VPC.0517";
    /// Bandwidth name or share type invalid.
    pub const BANDWIDTH_INVALID: &str = "VPC.0301";
    /// UNCONFIRMED.
    pub const GROUP_INVALID: &str = "VPC.0601";
    /// UNCONFIRMED.
    pub const GROUP_NOT_FOUND: &str = "VPC.0602";
    /// UNCONFIRMED.
    pub const GROUP_IN_USE: &str = "VPC.0603";
    /// UNCONFIRMED.
    pub const GROUP_QUOTA: &str = "VPC.0604";
    /// UNCONFIRMED.
    pub const RULE_INVALID: &str = "VPC.0701";
    /// UNCONFIRMED.
    pub const RULE_NOT_FOUND: &str = "VPC.0702";
    /// UNCONFIRMED.
    pub const RULE_EXISTS: &str = "VPC.0703";
}

pub fn vpc_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: codes::VPC_NOT_FOUND,
        message: format!("VPC {id} does not exist."),
    }
}

pub fn network_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: codes::SUBNET_NOT_FOUND,
        message: format!("Network {id} could not be found."),
    }
}

pub fn subnet_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: codes::NEUTRON_SUBNET_NOT_FOUND,
        message: format!("Subnet {id} could not be found."),
    }
}

pub fn floating_ip_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: codes::FLOATING_NOT_FOUND,
        message: format!("Floating IP {id} could not be found"),
    }
}

pub fn port_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: codes::PORT_NOT_FOUND,
        message: format!("Port {id} could not be found."),
    }
}

pub fn port_in_use(id: &str) -> ControlError {
    ControlError::Conflict {
        code: codes::PORT_IN_USE,
        message: format!("Port {id} is still in use."),
    }
}

pub fn security_group_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: codes::GROUP_NOT_FOUND,
        message: format!("Security group {id} does not exist"),
    }
}

pub fn rule_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: codes::RULE_NOT_FOUND,
        message: format!("Security group rule {id} does not exist"),
    }
}

/// Bad input for a kind, with the kind's own code.
pub fn invalid(code: &'static str, message: impl Into<String>) -> ControlError {
    ControlError::bad_request_code(code, message)
}

pub fn invalid_cidr(code: &'static str, cidr: &str) -> ControlError {
    invalid(
        code,
        format!("Invalid input for cidr. Reason: '{cidr}' is not a valid IPv4 block a.b.c.d/n with host bits zero."),
    )
}

pub fn subnet_overlaps(cidr: &str) -> ControlError {
    invalid(
        codes::SUBNET_OVERLAP,
        format!("Invalid input for operation: Requested subnet with cidr: {cidr} overlaps with another subnet."),
    )
}

pub fn in_use(code: &'static str, message: String) -> ControlError {
    ControlError::Conflict { code, message }
}

/// A quota reached (409, as Huawei's VPC.0114 and Neutron's OverQuota).
pub fn over_quota(code: &'static str, resource: &str) -> ControlError {
    ControlError::Conflict {
        code,
        message: format!("Quota exceeded for resources: ['{resource}']."),
    }
}

// ---- address blocks ----

/// The private blocks a VPC may take (RFC 1918), as Huawei Cloud allows.
const PRIVATE_BLOCKS: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
];

/// Smallest VPC block (largest prefix) Huawei Cloud takes.
pub const VPC_MAX_PREFIX: u8 = 24;

/// Parses a CIDR into a block, or the kind's bad-input error.
pub fn block(code: &'static str, cidr: &str) -> ControlResult<AddressRange> {
    AddressRange::parse(cidr).ok_or_else(|| invalid_cidr(code, cidr))
}

/// A VPC's block: within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16,
/// and no smaller than a /24.
pub fn vpc_block(cidr: &str) -> ControlResult<AddressRange> {
    let b = block(codes::VPC_INVALID, cidr)?;
    let private = PRIVATE_BLOCKS
        .iter()
        .filter_map(|(n, p)| AddressRange::new(*n, *p))
        .any(|outer| outer.contains(&b));
    if !private || b.prefix() > VPC_MAX_PREFIX {
        return Err(invalid(
            codes::VPC_INVALID,
            format!(
                "Invalid input for cidr. Reason: {cidr} must lie within 10.0.0.0/8, 172.16.0.0/12 or \
                 192.168.0.0/16 with a prefix of at most /{VPC_MAX_PREFIX}."
            ),
        ));
    }
    Ok(b)
}
