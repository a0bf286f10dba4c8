//! Per-project quotas: what each kind of resource may reach, the region's
//! defaults (OpenStack's stock defaults unless the configuration says
//! otherwise) and a project's overrides, set by the account administrator.
//! `-1` means unlimited.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A resource a quota limits. The names are Nova's and Cinder's keys;
/// each dialect renders its own (Neutron's `port`, Huawei's `maxTotalInstances`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Instances,
    Cores,
    /// MB of RAM.
    Ram,
    Volumes,
    /// GB of volume size.
    Gigabytes,
    Networks,
    Subnets,
    Ports,
    SecurityGroups,
    SecurityGroupRules,
    FloatingIps,
}

impl Resource {
    pub const ALL: [Resource; 11] = [
        Resource::Instances,
        Resource::Cores,
        Resource::Ram,
        Resource::Volumes,
        Resource::Gigabytes,
        Resource::Networks,
        Resource::Subnets,
        Resource::Ports,
        Resource::SecurityGroups,
        Resource::SecurityGroupRules,
        Resource::FloatingIps,
    ];

    /// The stored and configured name (Nova's and Cinder's key).
    pub fn key(self) -> &'static str {
        match self {
            Resource::Instances => "instances",
            Resource::Cores => "cores",
            Resource::Ram => "ram",
            Resource::Volumes => "volumes",
            Resource::Gigabytes => "gigabytes",
            Resource::Networks => "networks",
            Resource::Subnets => "subnets",
            Resource::Ports => "ports",
            Resource::SecurityGroups => "security_groups",
            Resource::SecurityGroupRules => "security_group_rules",
            Resource::FloatingIps => "floating_ips",
        }
    }

    /// Neutron's name for it (`port`, `floatingip`...), where Neutron has one.
    pub fn neutron_key(self) -> Option<&'static str> {
        Some(match self {
            Resource::Networks => "network",
            Resource::Subnets => "subnet",
            Resource::Ports => "port",
            Resource::SecurityGroups => "security_group",
            Resource::SecurityGroupRules => "security_group_rule",
            Resource::FloatingIps => "floatingip",
            _ => return None,
        })
    }

    pub fn parse(key: &str) -> Option<Resource> {
        Resource::ALL
            .into_iter()
            .find(|r| r.key() == key || r.neutron_key() == Some(key))
    }

    /// OpenStack's stock default (Nova, Cinder, Neutron).
    pub fn stock_default(self) -> i64 {
        match self {
            Resource::Instances => 10,
            Resource::Cores => 20,
            Resource::Ram => 51_200,
            Resource::Volumes => 10,
            Resource::Gigabytes => 1_000,
            Resource::Networks => 100,
            Resource::Subnets => 100,
            Resource::Ports => 500,
            Resource::SecurityGroups => 10,
            Resource::SecurityGroupRules => 100,
            Resource::FloatingIps => 50,
        }
    }
}

/// Limits by resource; a missing resource takes the default.
pub type QuotaSet = BTreeMap<Resource, i64>;

/// The defaults with a project's overrides applied.
pub fn effective(defaults: &QuotaSet, overrides: &QuotaSet) -> QuotaSet {
    Resource::ALL
        .into_iter()
        .map(|r| {
            let limit = overrides
                .get(&r)
                .or_else(|| defaults.get(&r))
                .copied()
                .unwrap_or_else(|| r.stock_default());
            (r, limit)
        })
        .collect()
}

/// Whether `used + requested` stays within `limit` (-1: unlimited).
pub fn fits(limit: i64, used: i64, requested: i64) -> bool {
    limit < 0 || used.saturating_add(requested) <= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_then_defaults_then_stock() {
        let defaults = QuotaSet::from([(Resource::Instances, 50)]);
        let overrides = QuotaSet::from([(Resource::Cores, -1)]);
        let q = effective(&defaults, &overrides);
        assert_eq!(q[&Resource::Instances], 50);
        assert_eq!(q[&Resource::Cores], -1);
        assert_eq!(q[&Resource::Ram], 51_200);
        assert!(fits(-1, 1_000_000, 1));
        assert!(fits(10, 9, 1));
        assert!(!fits(10, 10, 1));
    }

    #[test]
    fn names_round_trip() {
        for r in Resource::ALL {
            assert_eq!(Resource::parse(r.key()), Some(r));
            if let Some(n) = r.neutron_key() {
                assert_eq!(Resource::parse(n), Some(r));
            }
        }
    }
}
