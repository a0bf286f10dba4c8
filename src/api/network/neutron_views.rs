//! Neutron's view of each record: the attributes Neutron returns, with
//! the ones ecsd does not model at their Neutron defaults.

use serde_json::{json, Value};

use super::stamp;
use crate::domain::{FloatingIp, Network, Port, SecurityGroup, SecurityGroupRule, Subnet};

pub(super) fn network_view(n: &Network, subnets: &[Subnet]) -> Value {
    json!({
        "id": n.id,
        "name": n.name,
        "description": n.description,
        "tenant_id": n.project_id,
        "project_id": n.project_id,
        "admin_state_up": n.admin_state_up,
        "status": "ACTIVE",
        "subnets": subnets.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        "shared": n.shared,
        "mtu": n.mtu,
        "router:external": n.external,
        "port_security_enabled": true,
        "availability_zone_hints": [],
        "availability_zones": [crate::domain::AVAILABILITY_ZONE],
        "ipv4_address_scope": null,
        "ipv6_address_scope": null,
        "l2_adjacency": true,
        "is_default": n.shared,
        "tags": [],
        "created_at": stamp(n.created),
        "updated_at": stamp(n.updated),
        "revision_number": 1,
    })
}

pub(super) fn subnet_view(s: &Subnet) -> Value {
    json!({
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "network_id": s.network_id,
        "tenant_id": s.project_id,
        "project_id": s.project_id,
        "ip_version": 4,
        "cidr": s.cidr,
        "gateway_ip": s.gateway_ip,
        "allocation_pools": s.allocation_pools.iter().map(|p| json!({"start": p.start, "end": p.end})).collect::<Vec<_>>(),
        "enable_dhcp": s.enable_dhcp,
        "dns_nameservers": s.dns_nameservers,
        "host_routes": [],
        "ipv6_ra_mode": null,
        "ipv6_address_mode": null,
        "subnetpool_id": null,
        "segment_id": null,
        "service_types": [],
        "shared": s.shared,
        "tags": [],
        "created_at": stamp(s.created),
        "updated_at": stamp(s.updated),
        "revision_number": 0,
    })
}

pub(super) fn port_view(p: &Port) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "description": "",
        "network_id": p.network_id,
        "tenant_id": p.project_id,
        "project_id": p.project_id,
        "mac_address": p.mac_address,
        "admin_state_up": true,
        "status": p.status,
        "device_id": p.server_id.clone().unwrap_or_default(),
        "device_owner": if p.server_id.is_some() { format!("compute:{}", crate::domain::AVAILABILITY_ZONE) } else { String::new() },
        "fixed_ips": [{"subnet_id": p.subnet_id, "ip_address": p.ip_address}],
        "security_groups": p.security_groups,
        "allowed_address_pairs": [],
        "extra_dhcp_opts": [],
        "binding:vnic_type": "normal",
        "binding:host_id": p.binding_host.clone().unwrap_or_default(),
        "port_security_enabled": true,
        "tags": [],
        "revision_number": 1,
    })
}

pub(super) fn floating_view(f: &FloatingIp) -> Value {
    json!({
        "id": f.id,
        "floating_ip_address": f.floating_ip_address,
        "floating_network_id": f.floating_network_id,
        "router_id": null,
        "port_id": f.port_id,
        "fixed_ip_address": f.fixed_ip_address,
        "status": if f.port_id.is_some() { "ACTIVE" } else { "DOWN" },
        "tenant_id": f.project_id,
        "project_id": f.project_id,
        "description": f.description,
        "dns_name": "",
        "dns_domain": "",
        "port_forwardings": [],
        "tags": [],
        "created_at": stamp(f.created),
        "updated_at": stamp(f.updated),
        "revision_number": 1,
    })
}

pub(super) fn group_view(g: &SecurityGroup, rules: &[SecurityGroupRule]) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "tenant_id": g.project_id,
        "project_id": g.project_id,
        "security_group_rules": rules.iter().map(rule_view).collect::<Vec<_>>(),
        "stateful": true,
        "shared": false,
        "tags": [],
        "created_at": stamp(g.created),
        "updated_at": stamp(g.updated),
        "revision_number": 1,
    })
}

pub(super) fn rule_view(r: &SecurityGroupRule) -> Value {
    json!({
        "id": r.id,
        "security_group_id": r.security_group_id,
        "tenant_id": r.project_id,
        "project_id": r.project_id,
        "direction": r.direction,
        "ethertype": r.ethertype,
        "protocol": r.protocol,
        "port_range_min": r.port_range_min,
        "port_range_max": r.port_range_max,
        "remote_ip_prefix": r.remote_ip_prefix,
        "normalized_cidr": r.remote_ip_prefix,
        "remote_group_id": r.remote_group_id,
        "remote_address_group_id": null,
        "description": r.description,
        "created_at": stamp(r.created),
        "updated_at": stamp(r.created),
        "revision_number": 0,
    })
}
