//! Quotas and limits in each dialect over one model: Nova's `limits` and
//! `os-quota-sets`, Huawei ECS's `cloudservers/limits`, Neutron's `quotas`,
//! Huawei VPC's `quotas`, Cinder's `limits` and `os-quota-sets`, and EVS's
//! quota query. Reads show the project's limits (defaults with its
//! overrides) and usage; changes are the account administrator's.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Map, Value};

use super::{body, errors, ApiResult, AppState, Req};
use crate::catalog::OpId;
use crate::control::service::VOLUME_TYPES;
use crate::domain::quota::{QuotaSet, Resource};
use crate::domain::{ControlError, ControlResult};

/// Nova's quotas ecsd does not model: fixed at Nova's defaults.
const NOVA_FIXED: &[(&str, i64)] = &[
    ("metadata_items", 128),
    ("key_pairs", 100),
    ("server_groups", 10),
    ("server_group_members", 10),
];
/// Dropped at 2.57.
const NOVA_FILES: &[(&str, i64)] = &[
    ("injected_files", 5),
    ("injected_file_content_bytes", 10_240),
    ("injected_file_path_bytes", 255),
];
/// nova-network's leftovers, dropped at 2.36: unlimited, never used.
const NOVA_NETWORK: &[&str] = &["fixed_ips", "floating_ips", "security_groups", "security_group_rules"];
const NOVA_MODELLED: &[Resource] = &[Resource::Instances, Resource::Cores, Resource::Ram];

type Usage = BTreeMap<Resource, i64>;

async fn limits_and_usage(st: &AppState, project_id: &str) -> ControlResult<(QuotaSet, Usage)> {
    let limits = st.service.quotas(project_id).await?;
    let usage = st.service.usage(project_id, &Resource::ALL).await?;
    Ok((limits, usage))
}

fn used(u: &Usage, r: Resource) -> i64 {
    u.get(&r).copied().unwrap_or(0)
}

// ---------------------------------------------------------------- Nova

pub async fn nova_limits(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let c = &req.caller;
    st.service.authorize(c, OpId::NovaLimits, None).await?;
    let (q, u) = limits_and_usage(st, &c.project_id).await?;
    let mut abs = json!({
        "maxTotalInstances": q[&Resource::Instances],
        "maxTotalCores": q[&Resource::Cores],
        "maxTotalRAMSize": q[&Resource::Ram],
        "maxServerMeta": 128,
        "maxTotalKeypairs": 100,
        "maxServerGroups": 10,
        "maxServerGroupMembers": 10,
        "totalInstancesUsed": used(&u, Resource::Instances),
        "totalCoresUsed": used(&u, Resource::Cores),
        "totalRAMUsed": used(&u, Resource::Ram),
        "totalServerGroupsUsed": 0,
    });
    let m = abs
        .as_object_mut()
        .ok_or_else(|| ControlError::internal("limits are an object"))?;
    if !req.mv.at_least(36) {
        for k in ["maxSecurityGroups", "maxSecurityGroupRules", "maxTotalFloatingIps"] {
            m.insert(k.into(), json!(-1));
        }
        m.insert("totalFloatingIpsUsed".into(), json!(0));
        m.insert("totalSecurityGroupsUsed".into(), json!(0));
    }
    if !req.mv.at_least(39) {
        m.insert("maxImageMeta".into(), json!(128));
    }
    if !req.mv.at_least(57) {
        m.insert("maxPersonality".into(), json!(5));
        m.insert("maxPersonalitySize".into(), json!(10_240));
    }
    Ok(Json(json!({"limits": {"rate": [], "absolute": abs}})).into_response())
}

pub async fn nova_quota_sets(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let c = &req.caller;
    let svc = &st.service;
    let target = req.param("tenant_id");
    match req.method {
        Method::PUT => {
            svc.authorize(c, OpId::NovaQuotaUpdate, None).await?;
            let (limits, force) = nova_body(req)?;
            if !force {
                below_usage(st, target, &limits).await?;
            }
            let q = svc.set_project_quotas(c, OpId::NovaQuotaUpdate, target, limits).await?;
            Ok(Json(json!({ "quota_set": nova_set(&q, None, None, req) })).into_response())
        }
        Method::DELETE => {
            svc.reset_project_quotas(c, OpId::NovaQuotaDelete, target).await?;
            Ok(StatusCode::ACCEPTED.into_response())
        }
        _ if req.path.ends_with("/defaults") => {
            svc.project_quotas(c, OpId::NovaQuotaDefaults, target).await?;
            let q = svc.default_quotas();
            Ok(Json(json!({ "quota_set": nova_set(&q, None, Some(target), req) })).into_response())
        }
        _ => {
            let q = svc.project_quotas(c, OpId::NovaQuotaShow, target).await?;
            let usage = if req.path.ends_with("/detail") {
                Some(svc.usage(target, NOVA_MODELLED).await?)
            } else {
                None
            };
            Ok(Json(json!({ "quota_set": nova_set(&q, usage.as_ref(), Some(target), req) })).into_response())
        }
    }
}

/// Nova's quota set at the request's microversion; with `usage`, each value
/// is `{"in_use", "limit", "reserved"}`.
fn nova_set(q: &QuotaSet, usage: Option<&Usage>, id: Option<&str>, req: &Req) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, limit: i64, in_use: i64| {
        let v = match usage {
            Some(_) => json!({"in_use": in_use, "limit": limit, "reserved": 0}),
            None => json!(limit),
        };
        m.insert(k.to_string(), v);
    };
    for r in NOVA_MODELLED {
        put(r.key(), q[r], usage.map(|u| used(u, *r)).unwrap_or(0));
    }
    for (k, v) in NOVA_FIXED {
        put(k, *v, 0);
    }
    if !req.mv.at_least(57) {
        for (k, v) in NOVA_FILES {
            put(k, *v, 0);
        }
    }
    if !req.mv.at_least(36) {
        for k in NOVA_NETWORK {
            put(k, -1, 0);
        }
    }
    if let Some(id) = id {
        m.insert("id".into(), json!(id));
    }
    Value::Object(m)
}

/// `{"quota_set": {...}}` for Nova: the modelled keys, `force`, and Nova's
/// other keys refused as not adjustable here.
fn nova_body(req: &Req) -> ControlResult<(QuotaSet, bool)> {
    let outer = body::json_object(req)?;
    let set = match outer.get("quota_set") {
        Some(Value::Object(m)) => m,
        _ => return Err(body::missing("quota_set", &Value::Object(outer.clone()), "quota_set")),
    };
    let mut limits = QuotaSet::new();
    let mut force = false;
    for (k, v) in set {
        if k == "force" {
            force = body::opt_bool(set, "force")?.unwrap_or(false);
            continue;
        }
        let r = Resource::parse(k)
            .filter(|r| NOVA_MODELLED.contains(r))
            .ok_or_else(|| {
                ControlError::bad_request(format!(
                    "Quota {k} cannot be changed here; the adjustable ones are instances, cores and ram."
                ))
            })?;
        limits.insert(r, limit_value(k, v)?);
    }
    Ok((limits, force))
}

fn limit_value(key: &str, v: &Value) -> ControlResult<i64> {
    let n = v
        .as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .ok_or_else(|| body::invalid(key, v, &format!("{} is not of type 'integer'", body::py(v))))?;
    if n < -1 {
        return Err(body::invalid(key, v, &format!("{n} is less than the minimum of -1")));
    }
    Ok(n)
}

/// Nova, Neutron and Cinder refuse a limit below what is in use (without `force`).
async fn below_usage(st: &AppState, project_id: &str, limits: &QuotaSet) -> ControlResult<()> {
    let kinds: Vec<Resource> = limits.keys().copied().collect();
    let usage = st.service.usage(project_id, &kinds).await?;
    for (r, limit) in limits {
        let in_use = used(&usage, *r);
        if *limit >= 0 && *limit < in_use {
            return Err(ControlError::bad_request(format!(
                "Quota limit {limit} for {} must be greater than or equal to already used and reserved {in_use}.",
                r.key()
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- Huawei ECS

pub async fn huawei_limits(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let c = &req.caller;
    st.service.authorize(c, OpId::HwShowLimits, None).await?;
    let (q, u) = limits_and_usage(st, &c.project_id).await?;
    Ok(Json(json!({"absolute": {
        "maxTotalInstances": q[&Resource::Instances],
        "maxTotalCores": q[&Resource::Cores],
        "maxTotalRAMSize": q[&Resource::Ram],
        "maxServerMeta": 128,
        "maxImageMeta": 128,
        "maxPersonality": 5,
        "maxPersonalitySize": 10_240,
        "maxTotalKeypairs": 100,
        "maxServerGroups": 10,
        "maxServerGroupMembers": 10,
        "maxSecurityGroups": q[&Resource::SecurityGroups],
        "maxSecurityGroupRules": q[&Resource::SecurityGroupRules],
        "maxTotalFloatingIps": q[&Resource::FloatingIps],
        "totalInstancesUsed": used(&u, Resource::Instances),
        "totalCoresUsed": used(&u, Resource::Cores),
        "totalRAMUsed": used(&u, Resource::Ram),
        "totalServerGroupsUsed": 0,
        "totalSecurityGroupsUsed": used(&u, Resource::SecurityGroups),
        "totalFloatingIpsUsed": used(&u, Resource::FloatingIps),
        "maxTotalSpotInstances": -1,
        "maxTotalSpotCores": -1,
        "maxTotalSpotRAMSize": -1,
        "totalSpotInstancesUsed": 0,
        "totalSpotCoresUsed": 0,
        "totalSpotRAMUsed": 0,
        "limit_by_flavor": [],
    }}))
    .into_response())
}

// ---------------------------------------------------------------- Neutron and VPC

const NEUTRON_KINDS: &[Resource] = &[
    Resource::Networks,
    Resource::Subnets,
    Resource::Ports,
    Resource::SecurityGroups,
    Resource::SecurityGroupRules,
    Resource::FloatingIps,
];

/// Neutron's quotas: `{"quota": {"network": 100, ...}}`, or with usage
/// `{"limit", "used", "reserved"}` each (`/details`).
pub async fn neutron(st: &Arc<AppState>, op: OpId, req: &Req) -> ApiResult {
    let c = &req.caller;
    let svc = &st.service;
    let target = req.param("quota_project_id");
    let neutron_set = |q: &QuotaSet, usage: Option<&Usage>| -> Value {
        let mut m = Map::new();
        for r in NEUTRON_KINDS {
            let key = r.neutron_key().unwrap_or(r.key());
            let v = match usage {
                Some(u) => json!({"limit": q[r], "used": used(u, *r), "reserved": 0}),
                None => json!(q[r]),
            };
            m.insert(key.into(), v);
        }
        // Neutron's router and RBAC quotas: ecsd has no routers.
        for (k, v) in [("router", 10), ("rbac_policy", 10)] {
            let v = match usage {
                Some(_) => json!({"limit": v, "used": 0, "reserved": 0}),
                None => json!(v),
            };
            m.insert(k.into(), v);
        }
        Value::Object(m)
    };
    match op {
        OpId::NeutronQuotaUpdate => {
            let outer = body::json_object(req).map_err(|e| ControlError::bad_request(e.to_string()))?;
            let Some(Value::Object(set)) = outer.get("quota") else {
                return Err(ControlError::bad_request("Missing 'quota' in the request body."));
            };
            let mut limits = QuotaSet::new();
            let mut check = true;
            for (k, v) in set {
                match k.as_str() {
                    "force" => check = !v.as_bool().unwrap_or(false),
                    "check_limit" => check = v.as_bool().unwrap_or(true),
                    _ => {
                        let r = Resource::parse(k)
                            .filter(|r| NEUTRON_KINDS.contains(r))
                            .ok_or_else(|| ControlError::bad_request(format!("Unrecognized attribute(s) '{k}'")))?;
                        limits.insert(r, limit_value(k, v)?);
                    }
                }
            }
            if check {
                below_usage(st, target, &limits).await?;
            }
            let q = svc.set_project_quotas(c, op, target, limits).await?;
            Ok(errors::json_response(
                StatusCode::OK,
                json!({ "quota": neutron_set(&q, None) }),
            ))
        }
        OpId::NeutronQuotaDelete => {
            svc.reset_project_quotas(c, op, target).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => {
            let q = svc.project_quotas(c, op, target).await?;
            if req.path.ends_with("/default") {
                return Ok(Json(json!({ "quota": neutron_set(&svc.default_quotas(), None) })).into_response());
            }
            let usage = if req.path.ends_with("/details") {
                Some(svc.usage(target, NEUTRON_KINDS).await?)
            } else {
                None
            };
            Ok(Json(json!({ "quota": neutron_set(&q, usage.as_ref()) })).into_response())
        }
    }
}

/// Huawei VPC's `{"quotas": {"resources": [{"type", "used", "quota", "min"}]}}`,
/// optionally of one `type`.
pub async fn vpc(st: &Arc<AppState>, req: &Req) -> ApiResult {
    let c = &req.caller;
    let (q, u) = limits_and_usage(st, &c.project_id).await?;
    let vpcs = st
        .service
        .vpcs(c)
        .await?
        .iter()
        .filter(|v| v.project_id == c.project_id)
        .count();
    let rows = [
        ("vpc", crate::control::service::MAX_PER_PROJECT as i64, vpcs as i64),
        ("subnet", q[&Resource::Subnets], used(&u, Resource::Subnets)),
        (
            "securityGroup",
            q[&Resource::SecurityGroups],
            used(&u, Resource::SecurityGroups),
        ),
        (
            "securityGroupRule",
            q[&Resource::SecurityGroupRules],
            used(&u, Resource::SecurityGroupRules),
        ),
        ("publicIp", q[&Resource::FloatingIps], used(&u, Resource::FloatingIps)),
    ];
    let want = req.query_pairs().into_iter().find(|(k, _)| k == "type").map(|(_, v)| v);
    let resources: Vec<Value> = rows
        .iter()
        .filter(|(t, _, _)| want.as_deref().is_none_or(|w| w == *t))
        .map(|(t, quota, used)| json!({"type": t, "used": used, "quota": quota, "min": 0}))
        .collect();
    Ok(errors::json_response(
        StatusCode::OK,
        json!({"quotas": {"resources": resources}}),
    ))
}

// ---------------------------------------------------------------- Cinder and EVS

/// Cinder's quota set (per volume type too, as EVS spells them); with usage,
/// `{"limit", "in_use", "reserved"}` each.
fn cinder_set(q: &QuotaSet, usage: Option<&Usage>, id: Option<&str>) -> Value {
    let mut m = Map::new();
    let mut put = |k: String, limit: i64, in_use: i64| {
        let v = match usage {
            Some(_) => json!({"limit": limit, "in_use": in_use, "reserved": 0, "allocated": 0}),
            None => json!(limit),
        };
        m.insert(k, v);
    };
    put(
        "volumes".into(),
        q[&Resource::Volumes],
        usage.map(|u| used(u, Resource::Volumes)).unwrap_or(0),
    );
    put(
        "gigabytes".into(),
        q[&Resource::Gigabytes],
        usage.map(|u| used(u, Resource::Gigabytes)).unwrap_or(0),
    );
    for (k, v) in [
        ("snapshots", 10),
        ("backups", 10),
        ("backup_gigabytes", 1000),
        ("groups", 10),
    ] {
        put(k.into(), v, 0);
    }
    put("per_volume_gigabytes".into(), crate::control::service::MAX_VOLUME_GB, 0);
    // Per-type quotas are not kept apart: each type may use the whole quota.
    for t in VOLUME_TYPES {
        for key in ["volumes", "gigabytes", "snapshots"] {
            put(format!("{key}_{t}"), -1, 0);
        }
    }
    if let Some(id) = id {
        m.insert("id".into(), json!(id));
    }
    Value::Object(m)
}

fn wants_usage(req: &Req) -> bool {
    req.query_pairs()
        .iter()
        .any(|(k, v)| k == "usage" && v.eq_ignore_ascii_case("true"))
}

pub async fn cinder(st: &Arc<AppState>, op: OpId, req: &Req) -> ApiResult {
    let c = &req.caller;
    let svc = &st.service;
    let target = req.param("target_project_id");
    match op {
        OpId::CinderLimits => {
            let (q, u) = limits_and_usage(st, &c.project_id).await?;
            Ok(Json(json!({"limits": {"rate": [], "absolute": {
                "maxTotalVolumes": q[&Resource::Volumes],
                "maxTotalVolumeGigabytes": q[&Resource::Gigabytes],
                "maxTotalSnapshots": 10,
                "maxTotalBackups": 10,
                "maxTotalBackupGigabytes": 1000,
                "totalVolumesUsed": used(&u, Resource::Volumes),
                "totalGigabytesUsed": used(&u, Resource::Gigabytes),
                "totalSnapshotsUsed": 0,
                "totalBackupsUsed": 0,
                "totalBackupGigabytesUsed": 0,
            }}}))
            .into_response())
        }
        OpId::CinderQuotaDefaults => {
            svc.project_quotas(c, op, target).await?;
            Ok(Json(json!({ "quota_set": cinder_set(&svc.default_quotas(), None, Some(target)) })).into_response())
        }
        OpId::CinderQuotaUpdate => {
            let outer = body::json_object(req)?;
            let Some(Value::Object(set)) = outer.get("quota_set") else {
                return Err(ControlError::bad_request(
                    "Missing required element 'quota_set' in request body.",
                ));
            };
            let mut limits = QuotaSet::new();
            for (k, v) in set {
                match Resource::parse(k).filter(|r| matches!(r, Resource::Volumes | Resource::Gigabytes)) {
                    Some(r) => {
                        limits.insert(r, limit_value(k, v)?);
                    }
                    None => {
                        return Err(ControlError::bad_request(format!(
                            "Bad key(s) in quota set: {k} (the adjustable ones are volumes and gigabytes)"
                        )))
                    }
                }
            }
            below_usage(st, target, &limits).await?;
            let q = svc.set_project_quotas(c, op, target, limits).await?;
            Ok(Json(json!({ "quota_set": cinder_set(&q, None, None) })).into_response())
        }
        OpId::CinderQuotaDelete => {
            svc.reset_project_quotas(c, op, target).await?;
            Ok(StatusCode::OK.into_response())
        }
        // Cinder's show and EVS's query.
        _ => {
            let q = svc.project_quotas(c, op, target).await?;
            let usage = if wants_usage(req) {
                Some(svc.usage(target, &[Resource::Volumes, Resource::Gigabytes]).await?)
            } else {
                None
            };
            Ok(Json(json!({ "quota_set": cinder_set(&q, usage.as_ref(), Some(target)) })).into_response())
        }
    }
}
