//! Neutron v2.0: networks, subnets, security groups and rules, with
//! Neutron's bodies, filters (`?name=private`), `fields`, paging links and
//! `NeutronError` bodies.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use super::neutron_bodies::{bad, fixed_ip, neutron_address_errors, new_rule, own_project, pools, strings};
use super::neutron_views::{floating_view, group_view, network_view, port_view, rule_view, subnet_view};
use super::{filtered, flag, int, known_keys, no_content, ok, page, required, text, wrapped};
use crate::api::{errors, ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::{NetworkChange, NewFloatingIp, NewNetwork, NewPortSpec, NewSubnet, SubnetChange};
use crate::domain::vpc::codes;
use crate::domain::ControlError;

/// The codes bad Neutron input carries (any maps to `HTTPBadRequest`).
pub(super) const BAD: &str = codes::SUBNET_INVALID;
pub(super) const BAD_RULE: &str = codes::RULE_INVALID;

/// Query keys that page or shape a list rather than filter it.
const NOT_FILTERS: &[&str] = &["limit", "marker", "fields", "sort_key", "sort_dir", "page_reverse"];

/// The extensions served (aliases clients probe for).
const EXTENSIONS: &[(&str, &str)] = &[
    ("security-group", "Security group"),
    ("net-mtu", "Network MTU"),
    ("standard-attr-description", "standard-attr-description"),
    ("standard-attr-timestamp", "Resource timestamps"),
    ("project-id", "project_id field enabled"),
    ("external-net", "Neutron external network"),
];

pub async fn handle(st: &Arc<AppState>, op: OpId, req: &Req) -> ApiResult {
    let svc = &st.service;
    let c = &req.caller;
    // The row's actions before anything else: no body check, no lookup.
    svc.authorize(c, op, None).await?;
    match op {
        OpId::NeutronQuotaShow | OpId::NeutronQuotaUpdate | OpId::NeutronQuotaDelete => {
            crate::api::quotas::neutron(st, op, req).await
        }
        OpId::NeutronExtensions => {
            let items: Vec<Value> = EXTENSIONS
                .iter()
                .map(|(alias, name)| json!({"alias": alias, "name": name, "description": name, "links": [], "updated": "2024-01-01T00:00:00-00:00"}))
                .collect();
            ok(json!({ "extensions": items }))
        }
        OpId::NeutronNetworkCreate => {
            let b = wrapped(req, "network", BAD)?;
            known_keys(
                &b,
                &[
                    "name",
                    "description",
                    "admin_state_up",
                    "mtu",
                    "shared",
                    "tenant_id",
                    "project_id",
                    "port_security_enabled",
                    "availability_zone_hints",
                    "router:external",
                ],
                BAD,
            )?;
            own_project(&b, req)?;
            if flag(&b, "shared", BAD)? == Some(true) || flag(&b, "router:external", BAD)? == Some(true) {
                return Err(ControlError::Forbidden {
                    missing: vec!["create_network:shared".into()],
                });
            }
            let n = svc
                .create_network(
                    c,
                    NewNetwork {
                        name: text(&b, "name", BAD)?.unwrap_or_default(),
                        description: text(&b, "description", BAD)?.unwrap_or_default(),
                        admin_state_up: flag(&b, "admin_state_up", BAD)?.unwrap_or(true),
                        mtu: int(&b, "mtu", BAD)?,
                        vpc_id: None,
                    },
                )
                .await?;
            created(json!({ "network": network_view(&n, &[]) }))
        }
        OpId::NeutronNetworkList => {
            let mut items = Vec::new();
            for n in svc.networks(c).await? {
                let subnets = svc.store.subnets_of(&n.id).await?;
                items.push(network_view(&n, &subnets));
            }
            list(st, req, "networks", items)
        }
        OpId::NeutronNetworkShow => {
            let n = svc.network(c, req.param("network_id")).await?;
            let subnets = svc.store.subnets_of(&n.id).await?;
            ok(json!({ "network": shaped(req, network_view(&n, &subnets)) }))
        }
        OpId::NeutronNetworkUpdate => {
            let b = wrapped(req, "network", BAD)?;
            known_keys(
                &b,
                &["name", "description", "admin_state_up", "mtu", "port_security_enabled"],
                BAD,
            )?;
            let change = NetworkChange {
                name: text(&b, "name", BAD)?,
                description: text(&b, "description", BAD)?,
                admin_state_up: flag(&b, "admin_state_up", BAD)?,
                mtu: int(&b, "mtu", BAD)?,
            };
            let n = svc.update_network(c, req.param("network_id"), change).await?;
            let subnets = svc.store.subnets_of(&n.id).await?;
            ok(json!({ "network": network_view(&n, &subnets) }))
        }
        OpId::NeutronNetworkDelete => {
            svc.delete_network(c, req.param("network_id")).await?;
            no_content()
        }
        OpId::NeutronSubnetCreate => {
            let b = wrapped(req, "subnet", BAD)?;
            known_keys(
                &b,
                &[
                    "name",
                    "description",
                    "network_id",
                    "cidr",
                    "ip_version",
                    "gateway_ip",
                    "allocation_pools",
                    "enable_dhcp",
                    "dns_nameservers",
                    "host_routes",
                    "tenant_id",
                    "project_id",
                    "subnetpool_id",
                    "prefixlen",
                    "ipv6_ra_mode",
                    "ipv6_address_mode",
                    "service_types",
                    "segment_id",
                ],
                BAD,
            )?;
            own_project(&b, req)?;
            match int(&b, "ip_version", BAD)? {
                Some(4) => {}
                Some(6) => return Err(bad("IPv6 subnets are not supported; ip_version must be 4.")),
                Some(v) => {
                    return Err(bad(&format!(
                        "Invalid input for ip_version. Reason: {v} is not in [4, 6]."
                    )))
                }
                None => return Err(bad("Invalid input for ip_version. Reason: 'ip_version' is required.")),
            }
            if b.get("subnetpool_id").is_some_and(|v| !v.is_null()) {
                return Err(bad("Subnet pools are not supported; give a cidr."));
            }
            let gateway_ip = match b.get("gateway_ip") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(Value::String(g)) => Some(Some(g.clone())),
                Some(v) => {
                    return Err(bad(&format!(
                        "Invalid input for gateway_ip. Reason: '{v}' is not a valid IP address."
                    )))
                }
            };
            let s = svc
                .create_subnet(
                    c,
                    NewSubnet {
                        network_id: required(&b, "network_id", BAD)?,
                        name: text(&b, "name", BAD)?.unwrap_or_default(),
                        description: text(&b, "description", BAD)?.unwrap_or_default(),
                        cidr: required(&b, "cidr", BAD)?,
                        gateway_ip,
                        allocation_pools: pools(&b)?,
                        enable_dhcp: flag(&b, "enable_dhcp", BAD)?.unwrap_or(true),
                        dns_nameservers: strings(&b, "dns_nameservers")?.unwrap_or_default(),
                    },
                )
                .await?;
            created(json!({ "subnet": subnet_view(&s) }))
        }
        OpId::NeutronSubnetList => {
            let items = svc.subnets(c).await?.iter().map(subnet_view).collect();
            list(st, req, "subnets", items)
        }
        OpId::NeutronSubnetShow => {
            let s = svc.subnet(c, req.param("subnet_id")).await?;
            ok(json!({ "subnet": shaped(req, subnet_view(&s)) }))
        }
        OpId::NeutronSubnetUpdate => {
            let b = wrapped(req, "subnet", BAD)?;
            known_keys(
                &b,
                &["name", "description", "enable_dhcp", "dns_nameservers", "host_routes"],
                BAD,
            )?;
            let change = SubnetChange {
                name: text(&b, "name", BAD)?,
                description: text(&b, "description", BAD)?,
                enable_dhcp: flag(&b, "enable_dhcp", BAD)?,
                dns_nameservers: strings(&b, "dns_nameservers")?,
            };
            let s = svc.update_subnet(c, req.param("subnet_id"), change).await?;
            ok(json!({ "subnet": subnet_view(&s) }))
        }
        OpId::NeutronSubnetDelete => {
            svc.delete_subnet(c, req.param("subnet_id")).await?;
            no_content()
        }
        OpId::NeutronPortCreate => {
            let b = wrapped(req, "port", codes::PORT_INVALID)?;
            known_keys(
                &b,
                &[
                    "network_id",
                    "name",
                    "description",
                    "fixed_ips",
                    "security_groups",
                    "admin_state_up",
                    "tenant_id",
                    "project_id",
                    "device_id",
                    "device_owner",
                    "binding:vnic_type",
                    "port_security_enabled",
                    "allowed_address_pairs",
                ],
                codes::PORT_INVALID,
            )?;
            own_project(&b, req)?;
            if b.get("device_id")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.is_empty())
            {
                return Err(ControlError::bad_request_code(
                    codes::PORT_INVALID,
                    "Ports are bound by a server create (networks[].port), not by device_id.",
                ));
            }
            let (subnet_id, ip_address) = fixed_ip(&b)?;
            let p = svc
                .create_port(
                    c,
                    NewPortSpec {
                        network_id: required(&b, "network_id", codes::PORT_INVALID)?,
                        subnet_id,
                        ip_address,
                        name: text(&b, "name", codes::PORT_INVALID)?.unwrap_or_default(),
                        security_groups: strings(&b, "security_groups")?,
                    },
                )
                .await
                .map_err(neutron_address_errors)?;
            created(json!({ "port": port_view(&p) }))
        }
        OpId::NeutronPortList => {
            let items = svc.ports(c).await?.iter().map(port_view).collect();
            list(st, req, "ports", items)
        }
        OpId::NeutronPortShow => {
            let p = svc.port(c, req.param("port_id")).await?;
            ok(json!({ "port": shaped(req, port_view(&p)) }))
        }
        OpId::NeutronPortUpdate => {
            let b = wrapped(req, "port", codes::PORT_INVALID)?;
            known_keys(
                &b,
                &["name", "description", "security_groups", "admin_state_up"],
                codes::PORT_INVALID,
            )?;
            let p = svc
                .update_port(
                    c,
                    req.param("port_id"),
                    text(&b, "name", codes::PORT_INVALID)?,
                    strings(&b, "security_groups")?,
                )
                .await?;
            ok(json!({ "port": port_view(&p) }))
        }
        OpId::NeutronPortDelete => {
            svc.delete_port(c, req.param("port_id")).await?;
            no_content()
        }
        OpId::NeutronFloatingIpCreate => {
            let code = codes::FLOATING_INVALID;
            let b = wrapped(req, "floatingip", code)?;
            known_keys(
                &b,
                &[
                    "floating_network_id",
                    "port_id",
                    "fixed_ip_address",
                    "floating_ip_address",
                    "description",
                    "tenant_id",
                    "project_id",
                    "subnet_id",
                    "dns_name",
                    "dns_domain",
                ],
                code,
            )?;
            own_project(&b, req)?;
            let f = svc
                .create_floating_ip(
                    c,
                    NewFloatingIp {
                        floating_network_id: required(&b, "floating_network_id", code)?,
                        floating_ip_address: text(&b, "floating_ip_address", code)?,
                        port_id: text(&b, "port_id", code)?,
                        description: text(&b, "description", code)?.unwrap_or_default(),
                        ..NewFloatingIp::default()
                    },
                )
                .await
                .map_err(neutron_address_errors)?;
            created(json!({ "floatingip": floating_view(&f) }))
        }
        OpId::NeutronFloatingIpList => {
            let items = svc.floating_ips(c).await?.iter().map(floating_view).collect();
            list(st, req, "floatingips", items)
        }
        OpId::NeutronFloatingIpShow => {
            let f = svc.floating_ip(c, req.param("floatingip_id")).await?;
            ok(json!({ "floatingip": shaped(req, floating_view(&f)) }))
        }
        OpId::NeutronFloatingIpUpdate => {
            let code = codes::FLOATING_INVALID;
            let b = wrapped(req, "floatingip", code)?;
            known_keys(&b, &["port_id", "fixed_ip_address", "description"], code)?;
            let id = req.param("floatingip_id");
            let f = match b.get("port_id") {
                None => svc.floating_ip(c, id).await?,
                Some(Value::Null) => svc.map_floating_ip(c, id, None).await?,
                Some(Value::String(p)) => svc.map_floating_ip(c, id, Some(p)).await?,
                Some(v) => {
                    return Err(ControlError::bad_request_code(
                        code,
                        format!("Invalid input for port_id. Reason: '{v}' is not a port id."),
                    ))
                }
            };
            ok(json!({ "floatingip": floating_view(&f) }))
        }
        OpId::NeutronFloatingIpDelete => {
            svc.delete_floating_ip(c, req.param("floatingip_id")).await?;
            no_content()
        }
        OpId::NeutronSecurityGroupCreate => {
            let b = wrapped(req, "security_group", codes::GROUP_INVALID)?;
            known_keys(
                &b,
                &["name", "description", "tenant_id", "project_id", "stateful"],
                codes::GROUP_INVALID,
            )?;
            own_project(&b, req)?;
            let name = text(&b, "name", codes::GROUP_INVALID)?.unwrap_or_default();
            let description = text(&b, "description", codes::GROUP_INVALID)?.unwrap_or_default();
            let g = svc.create_security_group(c, name, description).await?;
            let rules = svc.group_rules(&g).await?;
            created(json!({ "security_group": group_view(&g, &rules) }))
        }
        OpId::NeutronSecurityGroupList => {
            let mut items = Vec::new();
            for g in svc.security_groups(c).await? {
                let rules = svc.group_rules(&g).await?;
                items.push(group_view(&g, &rules));
            }
            list(st, req, "security_groups", items)
        }
        OpId::NeutronSecurityGroupShow => {
            let g = svc.security_group(c, req.param("security_group_id")).await?;
            let rules = svc.group_rules(&g).await?;
            ok(json!({ "security_group": shaped(req, group_view(&g, &rules)) }))
        }
        OpId::NeutronSecurityGroupUpdate => {
            let b = wrapped(req, "security_group", codes::GROUP_INVALID)?;
            known_keys(&b, &["name", "description", "stateful"], codes::GROUP_INVALID)?;
            let g = svc
                .update_security_group(
                    c,
                    req.param("security_group_id"),
                    text(&b, "name", codes::GROUP_INVALID)?,
                    text(&b, "description", codes::GROUP_INVALID)?,
                )
                .await?;
            let rules = svc.group_rules(&g).await?;
            ok(json!({ "security_group": group_view(&g, &rules) }))
        }
        OpId::NeutronSecurityGroupDelete => {
            svc.delete_security_group(c, req.param("security_group_id")).await?;
            no_content()
        }
        OpId::NeutronRuleCreate => {
            let b = wrapped(req, "security_group_rule", BAD_RULE)?;
            known_keys(
                &b,
                &[
                    "security_group_id",
                    "direction",
                    "ethertype",
                    "protocol",
                    "port_range_min",
                    "port_range_max",
                    "remote_ip_prefix",
                    "remote_group_id",
                    "remote_address_group_id",
                    "description",
                    "tenant_id",
                    "project_id",
                ],
                BAD_RULE,
            )?;
            own_project(&b, req)?;
            let r = svc.create_rule(c, new_rule(&b)?).await?;
            created(json!({ "security_group_rule": rule_view(&r) }))
        }
        OpId::NeutronRuleList => {
            let items = svc.rules(c).await?.iter().map(rule_view).collect();
            list(st, req, "security_group_rules", items)
        }
        OpId::NeutronRuleShow => {
            let r = svc.rule(c, req.param("security_group_rule_id")).await?;
            ok(json!({ "security_group_rule": shaped(req, rule_view(&r)) }))
        }
        OpId::NeutronRuleDelete => {
            svc.delete_rule(c, req.param("security_group_rule_id")).await?;
            no_content()
        }
        other => Err(ControlError::internal(format!(
            "{} is not a Neutron operation",
            other.name()
        ))),
    }
}

fn created(body: Value) -> ApiResult {
    Ok(errors::json_response(StatusCode::CREATED, body))
}

/// Only the `fields` asked for, if any were.
fn shaped(req: &Req, item: Value) -> Value {
    let fields: Vec<String> = req
        .query_pairs()
        .into_iter()
        .filter(|(k, _)| k == "fields")
        .map(|(_, v)| v)
        .collect();
    match item {
        Value::Object(m) if !fields.is_empty() => {
            Value::Object(m.into_iter().filter(|(k, _)| fields.contains(k)).collect())
        }
        other => other,
    }
}

/// A filtered, paged list under `key`, with a `next` link when more follow.
fn list(st: &AppState, req: &Req, key: &str, items: Vec<Value>) -> ApiResult {
    let query = req.query_pairs();
    let items = filtered(items, &query, NOT_FILTERS);
    let (items, more) = page(items, &query, BAD)?;
    let mut body = Map::new();
    if more {
        if let Some(last) = items.last().and_then(|i| i.get("id")).and_then(Value::as_str) {
            let kept: Vec<String> = query
                .iter()
                .filter(|(k, _)| k != "marker")
                .map(|(k, v)| format!("{k}={v}"))
                .chain(std::iter::once(format!("marker={last}")))
                .collect();
            body.insert(
                format!("{key}_links"),
                json!([{"rel": "next", "href": format!("{}{}?{}", st.public_url, req.path, kept.join("&"))}]),
            );
        }
    }
    let items: Vec<Value> = items.into_iter().map(|i| shaped(req, i)).collect();
    body.insert(key.to_string(), Value::Array(items));
    ok(Value::Object(body))
}
