//! Security groups and their rules for both dialects. Every project has a
//! group named `default`, made on first need with Neutron's four rules:
//! traffic in from members of the group, and all traffic out.

use chrono::Utc;

use super::Service;
use crate::domain::quota::Resource;
use crate::domain::vpc::{self, codes};
use crate::domain::{uuid_id, Caller, ControlError, ControlResult, Removal, SecurityGroup, SecurityGroupRule};

/// The group every project has.
pub const DEFAULT_GROUP: &str = "default";

/// A new rule, as either dialect asks for it.
#[derive(Debug, Clone, Default)]
pub struct NewRule {
    pub security_group_id: String,
    pub direction: String,
    pub ethertype: Option<String>,
    pub protocol: Option<String>,
    pub port_range_min: Option<i64>,
    pub port_range_max: Option<i64>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub description: String,
}

/// IP protocol names Neutron takes, besides numbers 0-255.
const PROTOCOLS: &[&str] = &[
    "ah",
    "dccp",
    "egp",
    "esp",
    "gre",
    "icmp",
    "icmpv6",
    "igmp",
    "ipip",
    "ipv6-encap",
    "ipv6-frag",
    "ipv6-icmp",
    "ipv6-nonxt",
    "ipv6-opts",
    "ipv6-route",
    "ospf",
    "pgm",
    "rsvp",
    "sctp",
    "tcp",
    "udp",
    "udplite",
    "vrrp",
];

impl Service {
    pub async fn create_security_group(
        &self,
        caller: &Caller,
        name: String,
        description: String,
    ) -> ControlResult<SecurityGroup> {
        // The default group exists first (and counts against the quota).
        self.default_group_and_list(caller).await?;
        if name == DEFAULT_GROUP {
            return Err(vpc::in_use(
                codes::GROUP_IN_USE,
                "Default security group already exists.".to_string(),
            ));
        }
        if name.chars().count() > 255 {
            return Err(vpc::invalid(
                codes::GROUP_INVALID,
                "Invalid input for name. Reason: longer than 255 characters.",
            ));
        }
        let _quota = self
            .reserve_quota(&caller.project_id, &[(Resource::SecurityGroups, 1)])
            .await?;
        let now = Utc::now();
        let g = SecurityGroup {
            id: uuid_id(),
            project_id: caller.project_id.clone(),
            name,
            description,
            created: now,
            updated: now,
        };
        self.store.put_security_group(&g).await?;
        // Neutron gives every new group the two egress rules.
        for ethertype in ["IPv4", "IPv6"] {
            self.store.create_rule(&rule(&g, "egress", ethertype, None)).await?;
        }
        Ok(g)
    }

    pub async fn security_group(&self, caller: &Caller, id: &str) -> ControlResult<SecurityGroup> {
        let g = self.own_group(caller, id).await?;
        Ok(g)
    }

    pub async fn security_groups(&self, caller: &Caller) -> ControlResult<Vec<SecurityGroup>> {
        self.default_group_and_list(caller).await
    }

    pub async fn update_security_group(
        &self,
        caller: &Caller,
        id: &str,
        name: Option<String>,
        description: Option<String>,
    ) -> ControlResult<SecurityGroup> {
        let mut g = self.own_group(caller, id).await?;
        if let Some(name) = name {
            if g.name == DEFAULT_GROUP && name != DEFAULT_GROUP {
                return Err(vpc::in_use(
                    codes::GROUP_IN_USE,
                    "Insufficient rights for renaming the default security group.".to_string(),
                ));
            }
            g.name = name;
        }
        if let Some(d) = description {
            g.description = d;
        }
        g.updated = Utc::now();
        self.store.put_security_group(&g).await?;
        Ok(g)
    }

    pub async fn delete_security_group(&self, caller: &Caller, id: &str) -> ControlResult<()> {
        let g = self.own_group(caller, id).await?;
        if g.name == DEFAULT_GROUP {
            return Err(vpc::in_use(
                codes::GROUP_IN_USE,
                "Insufficient rights for removing the default security group.".to_string(),
            ));
        }
        // A port still in the group keeps it (checked before the delete,
        // not in its transaction: a port made meanwhile may still name it).
        if self
            .store
            .list_ports(&caller.project_id)
            .await?
            .iter()
            .any(|p| p.security_groups.iter().any(|g| g == id))
        {
            return Err(vpc::in_use(
                codes::GROUP_IN_USE,
                format!("Security Group {id} in use: a port is in it."),
            ));
        }
        match self.store.delete_security_group(id).await? {
            Removal::Deleted => Ok(()),
            Removal::NotFound => Err(vpc::security_group_not_found(id)),
            Removal::InUse => Err(vpc::in_use(
                codes::GROUP_IN_USE,
                format!("Security Group {id} in use: another group's rule names it as its remote group."),
            )),
        }
    }

    /// The rules of a group the caller may see.
    pub async fn group_rules(&self, group: &SecurityGroup) -> ControlResult<Vec<SecurityGroupRule>> {
        self.store.rules_of(&group.id).await
    }

    pub async fn create_rule(&self, caller: &Caller, new: NewRule) -> ControlResult<SecurityGroupRule> {
        let g = self.own_group(caller, &new.security_group_id).await?;
        if let Some(remote) = &new.remote_group_id {
            self.own_group(caller, remote).await?;
        }
        let r = checked_rule(&g, new)?;
        let _quota = self
            .reserve_quota(&caller.project_id, &[(Resource::SecurityGroupRules, 1)])
            .await?;
        if !self.store.create_rule(&r).await? {
            let same = self.store.rules_of(&g.id).await?;
            let id = same
                .iter()
                .find(|o| o.identity() == r.identity())
                .map(|o| o.id.clone())
                .unwrap_or_default();
            return Err(vpc::in_use(
                codes::RULE_EXISTS,
                format!("Security group rule already exists. Rule id is {id}."),
            ));
        }
        Ok(r)
    }

    pub async fn rule(&self, caller: &Caller, id: &str) -> ControlResult<SecurityGroupRule> {
        let r = self.own_rule(caller, id).await?;
        Ok(r)
    }

    pub async fn rules(&self, caller: &Caller) -> ControlResult<Vec<SecurityGroupRule>> {
        self.default_group_and_list(caller).await?;
        self.store.list_rules(&caller.project_id).await
    }

    pub async fn delete_rule(&self, caller: &Caller, id: &str) -> ControlResult<()> {
        self.own_rule(caller, id).await?;
        match self.store.delete_rule(id).await? {
            Removal::Deleted | Removal::InUse => Ok(()),
            Removal::NotFound => Err(vpc::rule_not_found(id)),
        }
    }

    /// The project's `default` group, made on first need. Read first, so
    /// a server create (which joins it) goes to the writer only once per
    /// project for it.
    pub async fn default_group(&self, caller: &Caller) -> ControlResult<SecurityGroup> {
        if let Some(g) = self
            .store
            .security_group_named(&caller.project_id, DEFAULT_GROUP)
            .await?
        {
            return Ok(g);
        }
        let now = Utc::now();
        let g = SecurityGroup {
            id: uuid_id(),
            project_id: caller.project_id.clone(),
            name: DEFAULT_GROUP.to_string(),
            description: "Default security group".to_string(),
            created: now,
            updated: now,
        };
        let rules = [
            rule(&g, "ingress", "IPv4", Some(&g.id)),
            rule(&g, "ingress", "IPv6", Some(&g.id)),
            rule(&g, "egress", "IPv4", None),
            rule(&g, "egress", "IPv6", None),
        ];
        self.store.ensure_security_group(&g, &rules).await
    }

    async fn default_group_and_list(&self, caller: &Caller) -> ControlResult<Vec<SecurityGroup>> {
        let groups = self.store.list_security_groups(&caller.project_id).await?;
        if groups.iter().any(|g| g.name == DEFAULT_GROUP) {
            return Ok(groups);
        }
        self.default_group(caller).await?;
        self.store.list_security_groups(&caller.project_id).await
    }

    /// A group of the caller's project, found by id (or, for Nova's
    /// server create, by name).
    pub(super) async fn own_group(&self, caller: &Caller, id: &str) -> ControlResult<SecurityGroup> {
        match self.store.get_security_group(id).await? {
            Some(g) if g.project_id == caller.project_id => Ok(g),
            _ => Err(vpc::security_group_not_found(id)),
        }
    }

    async fn own_rule(&self, caller: &Caller, id: &str) -> ControlResult<SecurityGroupRule> {
        match self.store.get_rule(id).await? {
            Some(r) if r.project_id == caller.project_id => Ok(r),
            _ => Err(vpc::rule_not_found(id)),
        }
    }
}

fn rule(g: &SecurityGroup, direction: &str, ethertype: &str, remote_group: Option<&str>) -> SecurityGroupRule {
    SecurityGroupRule {
        id: uuid_id(),
        security_group_id: g.id.clone(),
        project_id: g.project_id.clone(),
        direction: direction.to_string(),
        ethertype: ethertype.to_string(),
        protocol: None,
        port_range_min: None,
        port_range_max: None,
        remote_ip_prefix: None,
        remote_group_id: remote_group.map(str::to_string),
        description: String::new(),
        created: Utc::now(),
    }
}

fn bad(message: impl Into<String>) -> ControlError {
    vpc::invalid(codes::RULE_INVALID, message)
}

/// A rule as Neutron validates it: direction, ethertype, protocol, a port
/// range only with a protocol that has ports (or ICMP type and code), and
/// at most one of remote prefix and remote group.
fn checked_rule(g: &SecurityGroup, new: NewRule) -> ControlResult<SecurityGroupRule> {
    if new.direction != "ingress" && new.direction != "egress" {
        return Err(bad(format!(
            "Invalid input for direction. Reason: {} is not in [ingress, egress].",
            new.direction
        )));
    }
    let ethertype = match new.ethertype.as_deref() {
        None => "IPv4",
        Some(e) if e.eq_ignore_ascii_case("ipv4") => "IPv4",
        Some(e) if e.eq_ignore_ascii_case("ipv6") => "IPv6",
        Some(e) => {
            return Err(bad(format!(
                "Invalid input for ethertype. Reason: {e} is not in [IPv4, IPv6]."
            )))
        }
    };
    let protocol = match new.protocol.as_deref().map(str::to_ascii_lowercase) {
        None => None,
        Some(p) if p.is_empty() || p == "any" => None,
        Some(p) if PROTOCOLS.contains(&p.as_str()) => Some(p),
        Some(p) if p.parse::<u8>().is_ok() => Some(p),
        Some(p) => {
            return Err(bad(format!(
                "Security group rule protocol {p} not supported. Only protocol values {} and integer \
                 representations [0 to 255] are supported.",
                PROTOCOLS.join(", ")
            )))
        }
    };
    let (min, max) = (new.port_range_min, new.port_range_max);
    match protocol.as_deref() {
        Some("tcp" | "udp" | "sctp" | "udplite" | "dccp" | "6" | "17" | "132") => {
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi {
                    return Err(bad("For TCP/UDP protocols, port_range_min must be <= port_range_max"));
                }
            }
            for p in [min, max].into_iter().flatten() {
                if !(1..=65535).contains(&p) {
                    return Err(bad(format!("Invalid value for port {p}.")));
                }
            }
            if min.is_some() != max.is_some() {
                return Err(bad("port_range_min and port_range_max must be given together."));
            }
        }
        Some("icmp" | "icmpv6" | "ipv6-icmp" | "1" | "58") => {
            for (what, v) in [("type", min), ("code", max)] {
                if let Some(v) = v {
                    if !(0..=255).contains(&v) {
                        return Err(bad(format!("Invalid value for ICMP {what} {v}: it must be 0 to 255.")));
                    }
                }
            }
            if min.is_none() && max.is_some() {
                return Err(bad(
                    "ICMP code (port-range-max) is given without an ICMP type (port-range-min).",
                ));
            }
        }
        _ if min.is_some() || max.is_some() => {
            return Err(bad("Port ranges need a protocol with ports (tcp, udp...) or icmp."));
        }
        _ => {}
    }
    if new.remote_ip_prefix.is_some() && new.remote_group_id.is_some() {
        return Err(bad("Only remote_ip_prefix or remote_group_id may be provided."));
    }
    let remote_ip_prefix = new
        .remote_ip_prefix
        .as_deref()
        .map(|p| normalize_prefix(p, ethertype))
        .transpose()?;
    if new.description.chars().count() > 255 {
        return Err(bad(
            "Invalid input for description. Reason: longer than 255 characters.",
        ));
    }
    Ok(SecurityGroupRule {
        id: uuid_id(),
        security_group_id: g.id.clone(),
        project_id: g.project_id.clone(),
        direction: new.direction,
        ethertype: ethertype.to_string(),
        protocol,
        port_range_min: min,
        port_range_max: max,
        remote_ip_prefix,
        remote_group_id: new.remote_group_id,
        description: new.description,
        created: Utc::now(),
    })
}

/// A remote prefix in canonical form (host bits cleared, as Neutron
/// stores it); its family must be the rule's ethertype.
fn normalize_prefix(prefix: &str, ethertype: &str) -> ControlResult<String> {
    let invalid = || {
        bad(format!(
            "Invalid input for remote_ip_prefix. Reason: '{prefix}' is not a valid IP prefix."
        ))
    };
    let (addr, len) = match prefix.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().map_err(|_| invalid())?)),
        None => (prefix, None),
    };
    let family_mismatch = || bad(format!("Conflicting value ethertype {ethertype} for CIDR {prefix}"));
    if let Ok(v4) = addr.parse::<std::net::Ipv4Addr>() {
        if ethertype != "IPv4" {
            return Err(family_mismatch());
        }
        let len = len.unwrap_or(32);
        if len > 32 {
            return Err(invalid());
        }
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        return Ok(format!("{}/{len}", std::net::Ipv4Addr::from(u32::from(v4) & mask)));
    }
    if let Ok(v6) = addr.parse::<std::net::Ipv6Addr>() {
        if ethertype != "IPv6" {
            return Err(family_mismatch());
        }
        let len = len.unwrap_or(128);
        if len > 128 {
            return Err(invalid());
        }
        let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
        return Ok(format!("{}/{len}", std::net::Ipv6Addr::from(u128::from(v6) & mask)));
    }
    Err(invalid())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn group() -> SecurityGroup {
        SecurityGroup {
            id: "g".into(),
            project_id: "p".into(),
            name: "web".into(),
            description: String::new(),
            created: Utc::now(),
            updated: Utc::now(),
        }
    }

    fn new(protocol: Option<&str>, min: Option<i64>, max: Option<i64>) -> NewRule {
        NewRule {
            security_group_id: "g".into(),
            direction: "ingress".into(),
            protocol: protocol.map(str::to_string),
            port_range_min: min,
            port_range_max: max,
            ..NewRule::default()
        }
    }

    #[test]
    fn rules_are_checked_as_neutron_checks_them() {
        let g = group();
        assert!(checked_rule(&g, new(Some("tcp"), Some(22), Some(22))).is_ok());
        assert!(checked_rule(&g, new(Some("TCP"), Some(80), Some(443))).is_ok());
        assert!(checked_rule(&g, new(Some("tcp"), Some(443), Some(80))).is_err());
        assert!(checked_rule(&g, new(Some("tcp"), Some(0), Some(80))).is_err());
        assert!(checked_rule(&g, new(None, Some(22), Some(22))).is_err());
        assert!(checked_rule(&g, new(Some("icmp"), Some(8), Some(0))).is_ok());
        assert!(checked_rule(&g, new(Some("icmp"), Some(256), None)).is_err());
        assert!(checked_rule(&g, new(Some("bogus"), None, None)).is_err());
        assert!(checked_rule(&g, new(Some("47"), None, None)).is_ok());
        let mut both = new(None, None, None);
        both.remote_ip_prefix = Some("0.0.0.0/0".into());
        both.remote_group_id = Some("g".into());
        assert!(checked_rule(&g, both).is_err());
        let mut wrong_direction = new(None, None, None);
        wrong_direction.direction = "inbound".into();
        assert!(checked_rule(&g, wrong_direction).is_err());
    }

    #[test]
    fn remote_prefixes_are_canonical_and_of_the_rules_family() {
        assert_eq!(normalize_prefix("10.1.2.3/16", "IPv4").unwrap(), "10.1.0.0/16");
        assert_eq!(normalize_prefix("0.0.0.0/0", "IPv4").unwrap(), "0.0.0.0/0");
        assert_eq!(normalize_prefix("10.1.2.3", "IPv4").unwrap(), "10.1.2.3/32");
        assert_eq!(normalize_prefix("::/0", "IPv6").unwrap(), "::/0");
        assert!(normalize_prefix("10.0.0.0/8", "IPv6").is_err());
        assert!(normalize_prefix("10.0.0.0/33", "IPv4").is_err());
        assert!(normalize_prefix("nonsense", "IPv4").is_err());
    }
}
