//! Huawei VPC v1: VPCs, subnets (a network with its one subnet), security
//! groups and rules, with Huawei's bodies and `{"code","message"}` errors.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::neutron_bodies::{fixed_ip, neutron_address_errors, new_rule, strings};
use super::neutron_views::{port_view, rule_view as neutron_rule_view};
use super::{filtered, flag, known_keys, no_content, ok, page, required, stamp, text, wrapped};
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::{HwSubnet, NewHwSubnet, NewPortSpec, NewVpc, SubnetChange, VpcChange};
use crate::domain::vpc::codes;
use crate::domain::{ControlError, ControlResult, Port, SecurityGroup, SecurityGroupRule, Vpc, AVAILABILITY_ZONE};

/// Query keys that page a list; the rest filter it.
const NOT_FILTERS: &[&str] = &["limit", "marker", "enterprise_project_id"];

pub async fn handle(st: &Arc<AppState>, op: OpId, req: &Req) -> ApiResult {
    let svc = &st.service;
    let c = &req.caller;
    // The row's actions before anything else: no body check, no lookup.
    svc.authorize(c, op, None).await?;
    match op {
        OpId::EipCreate
        | OpId::EipList
        | OpId::EipShow
        | OpId::EipUpdate
        | OpId::EipDelete
        | OpId::EipAssociate
        | OpId::EipDisassociate => super::eip::handle(st, op, req).await,
        OpId::VpcQuotas => crate::api::quotas::vpc(st, req).await,
        OpId::VpcV3GroupCreate
        | OpId::VpcV3GroupList
        | OpId::VpcV3GroupShow
        | OpId::VpcV3GroupUpdate
        | OpId::VpcV3GroupDelete
        | OpId::VpcV3RuleCreate
        | OpId::VpcV3RuleList
        | OpId::VpcV3RuleShow
        | OpId::VpcV3RuleDelete => super::vpc_v3::handle(st, op, req).await,
        OpId::VpcCreate => {
            let b = wrapped(req, "vpc", codes::VPC_INVALID)?;
            known_keys(
                &b,
                &[
                    "name",
                    "description",
                    "cidr",
                    "enterprise_project_id",
                    "tags",
                    "block_service_endpoint_states",
                    "enable_network_address_usage_metrics",
                ],
                codes::VPC_INVALID,
            )?;
            let v = svc
                .create_vpc(
                    c,
                    NewVpc {
                        name: text(&b, "name", codes::VPC_INVALID)?.unwrap_or_default(),
                        description: text(&b, "description", codes::VPC_INVALID)?.unwrap_or_default(),
                        cidr: text(&b, "cidr", codes::VPC_INVALID)?,
                    },
                )
                .await?;
            ok(json!({ "vpc": vpc_view(&v) }))
        }
        OpId::VpcList => {
            let items = svc.vpcs(c).await?.iter().map(vpc_view).collect();
            list(req, "vpcs", items, codes::VPC_INVALID)
        }
        OpId::VpcShow => ok(json!({ "vpc": vpc_view(&svc.vpc(c, req.param("vpc_id")).await?) })),
        OpId::VpcUpdate => {
            let b = wrapped(req, "vpc", codes::VPC_INVALID)?;
            known_keys(
                &b,
                &[
                    "name",
                    "description",
                    "cidr",
                    "routes",
                    "enable_network_address_usage_metrics",
                ],
                codes::VPC_INVALID,
            )?;
            let change = VpcChange {
                name: text(&b, "name", codes::VPC_INVALID)?,
                description: text(&b, "description", codes::VPC_INVALID)?,
                cidr: text(&b, "cidr", codes::VPC_INVALID)?,
            };
            let v = svc.update_vpc(c, req.param("vpc_id"), change).await?;
            ok(json!({ "vpc": vpc_view(&v) }))
        }
        OpId::VpcDelete => {
            svc.delete_vpc(c, req.param("vpc_id")).await?;
            no_content()
        }
        OpId::VpcSubnetCreate => {
            let code = codes::SUBNET_INVALID;
            let b = wrapped(req, "subnet", code)?;
            known_keys(
                &b,
                &[
                    "name",
                    "description",
                    "cidr",
                    "vpc_id",
                    "gateway_ip",
                    "ipv6_enable",
                    "dhcp_enable",
                    "primary_dns",
                    "secondary_dns",
                    "dnsList",
                    "availability_zone",
                    "extra_dhcp_opts",
                    "tags",
                    "enable_network_address_usage_metrics",
                ],
                code,
            )?;
            if flag(&b, "ipv6_enable", code)? == Some(true) {
                return Err(ControlError::bad_request_code(code, "IPv6 subnets are not supported."));
            }
            if let Some(az) = text(&b, "availability_zone", code)? {
                if az != AVAILABILITY_ZONE {
                    return Err(ControlError::bad_request_code(
                        code,
                        format!("Availability zone {az} does not exist."),
                    ));
                }
            }
            let s = svc
                .create_hw_subnet(
                    c,
                    NewHwSubnet {
                        vpc_id: required(&b, "vpc_id", code)?,
                        name: required(&b, "name", code)?,
                        description: text(&b, "description", code)?.unwrap_or_default(),
                        cidr: required(&b, "cidr", code)?,
                        gateway_ip: required(&b, "gateway_ip", code)?,
                        dhcp_enable: flag(&b, "dhcp_enable", code)?.unwrap_or(true),
                        dns_nameservers: dns(&b)?,
                    },
                )
                .await?;
            ok(json!({ "subnet": subnet_view(&s) }))
        }
        OpId::VpcSubnetList => {
            let items = svc.hw_subnets(c, None).await?.iter().map(subnet_view).collect();
            list(req, "subnets", items, codes::SUBNET_INVALID)
        }
        OpId::VpcSubnetShow => {
            let s = svc.hw_subnet(c, req.param("subnet_id")).await?;
            ok(json!({ "subnet": subnet_view(&s) }))
        }
        OpId::VpcSubnetUpdate => {
            let code = codes::SUBNET_INVALID;
            let b = wrapped(req, "subnet", code)?;
            known_keys(
                &b,
                &[
                    "name",
                    "description",
                    "ipv6_enable",
                    "dhcp_enable",
                    "primary_dns",
                    "secondary_dns",
                    "dnsList",
                    "extra_dhcp_opts",
                    "enable_network_address_usage_metrics",
                ],
                code,
            )?;
            let has_dns = ["primary_dns", "secondary_dns", "dnsList"]
                .iter()
                .any(|k| b.contains_key(*k));
            let change = SubnetChange {
                name: text(&b, "name", code)?,
                description: text(&b, "description", code)?,
                enable_dhcp: flag(&b, "dhcp_enable", code)?,
                dns_nameservers: if has_dns { Some(dns(&b)?) } else { None },
            };
            let s = svc
                .update_hw_subnet(c, req.param("vpc_id"), req.param("subnet_id"), change)
                .await?;
            ok(json!({ "subnet": {"id": s.network.id, "status": "ACTIVE"} }))
        }
        OpId::VpcSubnetDelete => {
            svc.delete_hw_subnet(c, req.param("vpc_id"), req.param("subnet_id"))
                .await?;
            no_content()
        }
        OpId::VpcPortCreate => {
            let code = codes::PORT_INVALID;
            let b = wrapped(req, "port", code)?;
            known_keys(
                &b,
                &[
                    "name",
                    "network_id",
                    "fixed_ips",
                    "device_owner",
                    "security_groups",
                    "admin_state_up",
                    "allowed_address_pairs",
                    "extra_dhcp_opts",
                    "tenant_id",
                ],
                code,
            )?;
            let (subnet_id, ip_address) = fixed_ip(&b)?;
            let p = svc
                .create_port(
                    c,
                    NewPortSpec {
                        network_id: required(&b, "network_id", code)?,
                        subnet_id,
                        ip_address,
                        name: text(&b, "name", code)?.unwrap_or_default(),
                        security_groups: strings(&b, "security_groups")?,
                    },
                )
                .await
                .map_err(neutron_address_errors)?;
            ok(json!({ "port": hw_port_view(&p) }))
        }
        OpId::VpcPortList => {
            let items = svc.ports(c).await?.iter().map(hw_port_view).collect();
            list(req, "ports", items, codes::PORT_INVALID)
        }
        OpId::VpcPortShow => ok(json!({ "port": hw_port_view(&svc.port(c, req.param("port_id")).await?) })),
        OpId::VpcPortUpdate => {
            let code = codes::PORT_INVALID;
            let b = wrapped(req, "port", code)?;
            known_keys(
                &b,
                &["name", "security_groups", "allowed_address_pairs", "extra_dhcp_opts"],
                code,
            )?;
            let p = svc
                .update_port(
                    c,
                    req.param("port_id"),
                    text(&b, "name", code)?,
                    strings(&b, "security_groups")?,
                )
                .await?;
            ok(json!({ "port": hw_port_view(&p) }))
        }
        OpId::VpcPortDelete => {
            svc.delete_port(c, req.param("port_id")).await?;
            no_content()
        }
        OpId::VpcSecurityGroupCreate => {
            let code = codes::GROUP_INVALID;
            let b = wrapped(req, "security_group", code)?;
            known_keys(&b, &["name", "vpc_id", "enterprise_project_id", "description"], code)?;
            if let Some(vpc_id) = text(&b, "vpc_id", code)? {
                svc.visible_vpc(c, &vpc_id).await?;
            }
            let g = svc
                .create_security_group(
                    c,
                    required(&b, "name", code)?,
                    text(&b, "description", code)?.unwrap_or_default(),
                )
                .await?;
            let rules = svc.group_rules(&g).await?;
            ok(json!({ "security_group": group_view(&g, &rules) }))
        }
        OpId::VpcSecurityGroupList => {
            let mut items = Vec::new();
            for g in svc.security_groups(c).await? {
                let rules = svc.group_rules(&g).await?;
                items.push(group_view(&g, &rules));
            }
            let items = items
                .into_iter()
                .map(|mut i| {
                    // `vpc_id` filters nothing out: groups belong to no VPC.
                    if let Some(o) = i.as_object_mut() {
                        o.remove("vpc_id");
                    }
                    i
                })
                .collect();
            let query: Vec<(String, String)> = req.query_pairs().into_iter().filter(|(k, _)| k != "vpc_id").collect();
            list_with(&query, "security_groups", items, codes::GROUP_INVALID)
        }
        OpId::VpcSecurityGroupShow => {
            let g = svc.security_group(c, req.param("security_group_id")).await?;
            let rules = svc.group_rules(&g).await?;
            ok(json!({ "security_group": group_view(&g, &rules) }))
        }
        OpId::VpcSecurityGroupDelete => {
            svc.delete_security_group(c, req.param("security_group_id")).await?;
            no_content()
        }
        OpId::VpcRuleCreate => {
            let code = codes::RULE_INVALID;
            let b = wrapped(req, "security_group_rule", code)?;
            known_keys(
                &b,
                &[
                    "security_group_id",
                    "description",
                    "direction",
                    "ethertype",
                    "protocol",
                    "port_range_min",
                    "port_range_max",
                    "remote_ip_prefix",
                    "remote_group_id",
                    "remote_address_group_id",
                ],
                code,
            )?;
            let r = svc.create_rule(c, new_rule(&b)?).await?;
            ok(json!({ "security_group_rule": rule_view(&r) }))
        }
        OpId::VpcRuleList => {
            let items = svc.rules(c).await?.iter().map(rule_view).collect();
            list(req, "security_group_rules", items, codes::RULE_INVALID)
        }
        OpId::VpcRuleShow => {
            let r = svc.rule(c, req.param("security_group_rule_id")).await?;
            ok(json!({ "security_group_rule": rule_view(&r) }))
        }
        OpId::VpcRuleDelete => {
            svc.delete_rule(c, req.param("security_group_rule_id")).await?;
            no_content()
        }
        other => Err(ControlError::internal(format!(
            "{} is not a VPC operation",
            other.name()
        ))),
    }
}

/// `primary_dns`, `secondary_dns` and `dnsList`, as one list.
fn dns(b: &Map<String, Value>) -> ControlResult<Vec<String>> {
    let code = codes::SUBNET_INVALID;
    let mut out: Vec<String> = Vec::new();
    for key in ["primary_dns", "secondary_dns"] {
        if let Some(d) = text(b, key, code)? {
            out.push(d);
        }
    }
    if let Some(list) = b.get("dnsList") {
        let Value::Array(items) = list else {
            return Err(ControlError::bad_request_code(
                code,
                "dnsList must be a list of addresses.",
            ));
        };
        for d in items {
            match d.as_str() {
                Some(d) if !out.iter().any(|o| o == d) => out.push(d.to_string()),
                Some(_) => {}
                None => {
                    return Err(ControlError::bad_request_code(
                        code,
                        "dnsList must be a list of addresses.",
                    ))
                }
            }
        }
    }
    Ok(out)
}

/// Huawei's port: Neutron's, with the server it is bound to.
fn hw_port_view(p: &Port) -> Value {
    let mut v = port_view(p);
    if let Some(o) = v.as_object_mut() {
        o.insert("instance_id".into(), json!(p.server_id.clone().unwrap_or_default()));
        o.insert(
            "instance_type".into(),
            json!(if p.server_id.is_some() { "ecs" } else { "" }),
        );
        o.insert("zone_id".into(), json!(AVAILABILITY_ZONE));
    }
    v
}

fn vpc_view(v: &Vpc) -> Value {
    json!({
        "id": v.id,
        "name": v.name,
        "description": v.description,
        "cidr": v.cidr,
        "status": "OK",
        "routes": [],
        "enterprise_project_id": "0",
        "tenant_id": v.project_id,
        "created_at": stamp(v.created),
        "updated_at": stamp(v.updated),
    })
}

fn subnet_view(s: &HwSubnet) -> Value {
    let dns = &s.subnet.dns_nameservers;
    json!({
        "id": s.network.id,
        "name": s.network.name,
        "description": s.network.description,
        "cidr": s.subnet.cidr,
        "gateway_ip": s.subnet.gateway_ip.clone().unwrap_or_default(),
        "ipv6_enable": false,
        "dhcp_enable": s.subnet.enable_dhcp,
        "primary_dns": dns.first(),
        "secondary_dns": dns.get(1),
        "dnsList": dns,
        "availability_zone": AVAILABILITY_ZONE,
        "vpc_id": s.network.vpc_id,
        "status": "ACTIVE",
        "neutron_network_id": s.network.id,
        "neutron_subnet_id": s.subnet.id,
        "extra_dhcp_opts": [],
        "scope": "center",
        "tenant_id": s.network.project_id,
        "created_at": stamp(s.network.created),
        "updated_at": stamp(s.network.updated),
    })
}

fn group_view(g: &SecurityGroup, rules: &[SecurityGroupRule]) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "vpc_id": "",
        "enterprise_project_id": "0",
        "security_group_rules": rules.iter().map(rule_view).collect::<Vec<_>>(),
    })
}

/// Huawei's rule: Neutron's, less the attributes Huawei's v1 API lacks.
fn rule_view(r: &SecurityGroupRule) -> Value {
    const HUAWEI: &[&str] = &[
        "id",
        "description",
        "security_group_id",
        "direction",
        "ethertype",
        "protocol",
        "port_range_min",
        "port_range_max",
        "remote_ip_prefix",
        "remote_group_id",
        "remote_address_group_id",
        "tenant_id",
    ];
    let mut v = neutron_rule_view(r);
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| HUAWEI.contains(&k.as_str()));
    }
    v
}

fn list(req: &Req, key: &str, items: Vec<Value>, code: &'static str) -> ApiResult {
    list_with(&req.query_pairs(), key, items, code)
}

fn list_with(query: &[(String, String)], key: &str, items: Vec<Value>, code: &'static str) -> ApiResult {
    let items = filtered(items, query, NOT_FILTERS);
    let (items, _) = page(items, query, code)?;
    ok(json!({ key: items }))
}
