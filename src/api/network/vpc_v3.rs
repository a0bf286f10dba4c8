//! Huawei VPC v3 security groups and rules (`/v3/{project_id}/vpc/...`, what
//! huaweicloudsdkvpc's v3 client calls) over the same records as v1 and
//! Neutron. Answers carry `request_id`; a rule's ports are v3's `multiport`
//! (one port or a range) and its `action` is `allow` (deny rules are not
//! modelled).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::{known_keys, no_content, ok, page, required, stamp, text, wrapped};
use crate::api::{ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::NewRule;
use crate::domain::vpc::codes;
use crate::domain::{ControlError, ControlResult, SecurityGroup, SecurityGroupRule};

pub async fn handle(st: &Arc<AppState>, op: OpId, req: &Req) -> ApiResult {
    let svc = &st.service;
    let c = &req.caller;
    match op {
        OpId::VpcV3GroupCreate => {
            let code = codes::GROUP_INVALID;
            let mut outer = crate::api::body::json_object(req).map_err(|e| super::recode(e, code))?;
            known_keys(&outer, &["security_group", "dry_run"], code)?;
            let b = match outer.remove("security_group") {
                Some(Value::Object(m)) => m,
                _ => {
                    return Err(ControlError::bad_request_code(
                        code,
                        "The security_group object is required.",
                    ))
                }
            };
            known_keys(&b, &["name", "description", "enterprise_project_id", "tags"], code)?;
            let g = svc
                .create_security_group(
                    c,
                    required(&b, "name", code)?,
                    text(&b, "description", code)?.unwrap_or_default(),
                )
                .await?;
            let rules = svc.group_rules(&g).await?;
            ok(json!({"request_id": req.request_id, "security_group": group_view(&g, &rules)}))
        }
        OpId::VpcV3GroupList => {
            let mut items = Vec::new();
            for g in svc.security_groups(c).await? {
                let rules = svc.group_rules(&g).await?;
                items.push(group_view(&g, &rules));
            }
            list(req, "security_groups", items)
        }
        OpId::VpcV3GroupShow => {
            let g = svc.security_group(c, req.param("security_group_id")).await?;
            let rules = svc.group_rules(&g).await?;
            ok(json!({"request_id": req.request_id, "security_group": group_view(&g, &rules)}))
        }
        OpId::VpcV3GroupUpdate => {
            let code = codes::GROUP_INVALID;
            let b = wrapped(req, "security_group", code)?;
            known_keys(&b, &["name", "description"], code)?;
            let g = svc
                .update_security_group(
                    c,
                    req.param("security_group_id"),
                    text(&b, "name", code)?,
                    text(&b, "description", code)?,
                )
                .await?;
            let rules = svc.group_rules(&g).await?;
            ok(json!({"request_id": req.request_id, "security_group": group_view(&g, &rules)}))
        }
        OpId::VpcV3GroupDelete => {
            svc.delete_security_group(c, req.param("security_group_id")).await?;
            no_content()
        }
        OpId::VpcV3RuleCreate => {
            let code = codes::RULE_INVALID;
            let mut outer = crate::api::body::json_object(req).map_err(|e| super::recode(e, code))?;
            known_keys(&outer, &["security_group_rule", "dry_run"], code)?;
            let b = match outer.remove("security_group_rule") {
                Some(Value::Object(m)) => m,
                _ => {
                    return Err(ControlError::bad_request_code(
                        code,
                        "The security_group_rule object is required.",
                    ))
                }
            };
            let r = svc.create_rule(c, v3_rule(&b)?).await?;
            ok(json!({"request_id": req.request_id, "security_group_rule": rule_view(&r)}))
        }
        OpId::VpcV3RuleList => {
            let items = svc.rules(c).await?.iter().map(rule_view).collect();
            list(req, "security_group_rules", items)
        }
        OpId::VpcV3RuleShow => {
            let r = svc.rule(c, req.param("security_group_rule_id")).await?;
            ok(json!({"request_id": req.request_id, "security_group_rule": rule_view(&r)}))
        }
        OpId::VpcV3RuleDelete => {
            svc.delete_rule(c, req.param("security_group_rule_id")).await?;
            no_content()
        }
        other => Err(ControlError::internal(format!(
            "{} is not a VPC v3 operation",
            other.name()
        ))),
    }
}

/// A v3 list: filtered on the rendered items (ids and names repeat), paged
/// with `limit` and `marker`, and `page_info`.
fn list(req: &Req, key: &str, items: Vec<Value>) -> ApiResult {
    let q = req.query_pairs();
    let items = super::filtered(items, &q, &["limit", "marker", "enterprise_project_id"]);
    let (items, more) = page(items, &q, codes::GROUP_INVALID)?;
    let mut page_info = json!({"current_count": items.len()});
    if more {
        if let Some(last) = items.last() {
            page_info["next_marker"] = last["id"].clone();
        }
    }
    ok(json!({"request_id": req.request_id, key: items, "page_info": page_info}))
}

/// v3's rule body: `multiport` is one port or `first-last`; `action` allow.
fn v3_rule(b: &Map<String, Value>) -> ControlResult<NewRule> {
    let code = codes::RULE_INVALID;
    known_keys(
        b,
        &[
            "security_group_id",
            "description",
            "direction",
            "ethertype",
            "protocol",
            "multiport",
            "remote_ip_prefix",
            "remote_group_id",
            "remote_address_group_id",
            "action",
            "priority",
        ],
        code,
    )?;
    let bad = |m: String| ControlError::bad_request_code(code, m);
    match text(b, "action", code)?.as_deref() {
        None | Some("allow") => {}
        Some(other) => {
            return Err(bad(format!(
                "Rule action {other} is not supported; only allow rules are."
            )))
        }
    }
    if text(b, "remote_address_group_id", code)?.is_some() {
        return Err(bad("Remote address groups are not supported.".into()));
    }
    let (min, max) = match text(b, "multiport", code)? {
        None => (None, None),
        Some(m) => {
            let parse = |p: &str| {
                p.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=65535).contains(n))
                    .ok_or_else(|| bad(format!("Invalid multiport {m}: ports are 1 to 65535.")))
            };
            match m.split_once('-') {
                Some((a, z)) => (Some(parse(a)?), Some(parse(z)?)),
                None if m.contains(',') => {
                    return Err(bad(format!("Invalid multiport {m}: lists of ports are not supported.")))
                }
                None => {
                    let p = parse(&m)?;
                    (Some(p), Some(p))
                }
            }
        }
    };
    Ok(NewRule {
        security_group_id: required(b, "security_group_id", code)?,
        direction: required(b, "direction", code)?,
        ethertype: text(b, "ethertype", code)?,
        protocol: text(b, "protocol", code)?,
        port_range_min: min,
        port_range_max: max,
        remote_ip_prefix: text(b, "remote_ip_prefix", code)?,
        remote_group_id: text(b, "remote_group_id", code)?,
        description: text(b, "description", code)?.unwrap_or_default(),
    })
}

fn multiport(r: &SecurityGroupRule) -> Option<String> {
    match (r.port_range_min, r.port_range_max) {
        (Some(a), Some(z)) if a == z => Some(a.to_string()),
        (Some(a), Some(z)) => Some(format!("{a}-{z}")),
        _ => None,
    }
}

fn rule_view(r: &SecurityGroupRule) -> Value {
    json!({
        "id": r.id,
        "description": r.description,
        "security_group_id": r.security_group_id,
        "direction": r.direction,
        "protocol": r.protocol.clone().unwrap_or_default(),
        "ethertype": r.ethertype,
        "multiport": multiport(r),
        "action": "allow",
        "priority": 1,
        "remote_group_id": r.remote_group_id,
        "remote_ip_prefix": r.remote_ip_prefix,
        "remote_address_group_id": null,
        "created_at": stamp(r.created),
        "updated_at": stamp(r.created),
        "project_id": r.project_id,
    })
}

fn group_view(g: &SecurityGroup, rules: &[SecurityGroupRule]) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "project_id": g.project_id,
        "created_at": stamp(g.created),
        "updated_at": stamp(g.updated),
        "enterprise_project_id": "0",
        "security_group_rules": rules.iter().map(rule_view).collect::<Vec<_>>(),
        "tags": [],
    })
}
