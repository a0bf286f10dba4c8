//! Virtual networks as records both dialects serve: Huawei's VPCs and
//! subnets, Neutron's networks and subnets, security groups and rules.
//!
//! The two models meet as Huawei's do: a Huawei subnet is one Neutron
//! network with one IPv4 subnet, and its Huawei id is the network's id
//! (the id an ECS NIC and a Nova `networks[].uuid` both name). A VPC groups
//! networks; a network Neutron creates on its own belongs to none.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::ControlError;
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
    pub mtu: i64,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
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
// to its exception type ----

pub fn vpc_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: "VPC.0202",
        message: format!("VPC {id} could not be found."),
    }
}

pub fn network_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: "VPC.0402",
        message: format!("Network {id} could not be found."),
    }
}

pub fn subnet_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: "VPC.0403",
        message: format!("Subnet {id} could not be found."),
    }
}

pub fn security_group_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: "VPC.0602",
        message: format!("Security group {id} does not exist"),
    }
}

pub fn rule_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: "VPC.0604",
        message: format!("Security group rule {id} does not exist"),
    }
}

pub fn invalid_cidr(cidr: &str) -> ControlError {
    ControlError::bad_request_code(
        "VPC.0101",
        format!("Invalid CIDR {cidr}: an IPv4 block a.b.c.d/n with host bits zero."),
    )
}

pub fn subnet_overlaps(cidr: &str) -> ControlError {
    ControlError::bad_request_code(
        "VPC.0405",
        format!("Invalid input for operation: Requested subnet with cidr: {cidr} overlaps with another subnet."),
    )
}

pub fn in_use(code: &'static str, message: String) -> ControlError {
    ControlError::Conflict { code, message }
}
