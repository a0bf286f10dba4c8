//! The Huawei views: the v1 server object, the flavor and the job, with the
//! time formats the SDKs parse.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use crate::api::{AppState, Req};
use crate::domain::AVAILABILITY_ZONE;
use crate::domain::{Flavor, Job, Port, Server, Volume};

fn hw_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn iso_seconds(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn usage_time(t: Option<DateTime<Utc>>) -> Value {
    t.map(|t| Value::String(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()))
        .unwrap_or(Value::Null)
}

pub fn job_view(job: &Job, subs: Option<&[Job]>) -> Value {
    let mut entities = Map::new();
    let is_parent = job.params.get("sub_jobs_total").is_some();
    match subs {
        Some(subs) if is_parent => {
            entities.insert("sub_jobs_total".into(), json!(subs.len()));
            entities.insert(
                "sub_jobs".into(),
                Value::Array(subs.iter().map(|j| job_view(j, None)).collect()),
            );
        }
        _ => {
            if let Some(id) = &job.server_id {
                entities.insert("server_id".into(), json!(id));
            }
            // An image made from a server names the image.
            if let Some(input) = job.params.get("input").filter(|i| i["kind"] == "create_image") {
                entities.insert("image_id".into(), input["image_id"].clone());
                entities.insert("image_name".into(), input["name"].clone());
            }
            // A volume's job (EVS, or a disk attached to a server) names it.
            for key in ["volume_id", "volume_type", "size", "name"] {
                if let Some(v) = job.params.get(key) {
                    entities.insert(key.into(), v.clone());
                }
            }
            if job.parent_id.is_some() && job.error_code.is_some() {
                entities.insert("errorcode_message".into(), json!(job.fail_reason));
            }
        }
    }
    json!({
        "status": job.status.as_str(),
        "job_id": job.id,
        "job_type": job.job_type,
        "begin_time": hw_time(job.begin_time),
        "end_time": job.end_time.map(hw_time).unwrap_or_default(),
        "error_code": job.error_code,
        "fail_reason": job.fail_reason,
        "entities": entities,
    })
}

pub fn flavor_view(st: &AppState, req: &Req, f: &Flavor, specs_key: &str) -> Value {
    let href = format!("{}/v1/{}/flavors/{}", st.public_url, req.caller.project_id, f.id);
    json!({
        "id": f.id,
        "name": f.name,
        "vcpus": f.vcpus.to_string(),
        "ram": f.ram_mb,
        "disk": f.disk_gb.to_string(),
        "swap": "",
        "OS-FLV-EXT-DATA:ephemeral": 0,
        "OS-FLV-DISABLED:disabled": f.disabled,
        "rxtx_factor": 1.0,
        "rxtx_quota": null,
        "rxtx_cap": null,
        "os-flavor-access:is_public": true,
        "links": [
            {"rel": "self", "href": href, "type": null},
            {"rel": "bookmark", "href": href, "type": null},
        ],
        specs_key: {
            "ecs:performancetype": f.performance_type,
            "ecs:generation": f.family(),
            "ecs:virtualization_env_types": "CloudCompute",
            "ecs:instance_architecture": f.arch,
            "resource_type": "IES",
            "cond:operation:status": f.sale_status,
            "cond:operation:az": format!("{AVAILABILITY_ZONE}({})", f.sale_status),
            "quota:max_rate": "1000",
        },
        "attachableQuantity": {"free_scsi": 59, "free_blk": 23, "free_disk": 23, "free_nic": 11},
    })
}

/// The v1 server object (spec huawei-ecs section 3.1), types as the SDKs model them.
pub fn server_view(st: &AppState, s: &Server, vols: &[Volume], ports: &[Port]) -> Value {
    let inv = st.service.as_ref();
    let flavor = inv.flavor(&s.flavor_id);
    let mut addresses: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in ports {
        // Huawei names a server's addresses by VPC; ports written before
        // networks were records kept the VPC in `network_id`.
        let key = p.vpc_id.as_ref().unwrap_or(&p.network_id);
        let entry = addresses.entry(key.clone()).or_default();
        entry.push(json!({
            "version": "4",
            "addr": p.ip_address,
            "OS-EXT-IPS:type": "fixed",
            "OS-EXT-IPS-MAC:mac_addr": p.mac_address,
            "OS-EXT-IPS:port_id": p.id,
            "primary": p.primary,
        }));
        if let Some(floating) = &p.floating_ip {
            entry.push(json!({
                "version": "4",
                "addr": floating,
                "OS-EXT-IPS:type": "floating",
                "OS-EXT-IPS-MAC:mac_addr": p.mac_address,
                "OS-EXT-IPS:port_id": p.id,
                "primary": false,
            }));
        }
    }
    let volumes: Vec<Value> = vols
        .iter()
        .map(|v| {
            json!({
                "id": v.id,
                "device": v.device,
                "bootIndex": if v.bootable { "0" } else { "-1" },
                "delete_on_termination": v.delete_on_termination.to_string(),
            })
        })
        .collect();
    let mut hints = Map::new();
    if let Some(d) = &s.dedicated_host_id {
        hints.insert("dedicated_host_id".into(), json!([d]));
        hints.insert("tenancy".into(), json!(["dedicated"]));
    }
    let host_name = s
        .host
        .as_ref()
        .and_then(|h| inv.host(h))
        .map(|h| h.name.clone())
        .unwrap_or_default();
    let mut v = json!({
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "status": s.status(),
        "OS-EXT-STS:vm_state": s.vm_state.as_str(),
        "OS-EXT-STS:task_state": s.task_state.map(|t| t.as_str()),
        "OS-EXT-STS:power_state": s.power_state.code(),
        "locked": s.locked,
        "flavor": {
            "id": s.flavor_id,
            "name": flavor.map(|f| f.name.clone()).unwrap_or(s.flavor_id.clone()),
            "vcpus": flavor.map(|f| f.vcpus).unwrap_or(0).to_string(),
            "ram": flavor.map(|f| f.ram_mb).unwrap_or(0).to_string(),
            "disk": flavor.map(|f| f.disk_gb).unwrap_or(0).to_string(),
        },
        "image": {"id": s.image_id},
        "metadata": s.metadata,
        "addresses": addresses,
        "os-extended-volumes:volumes_attached": volumes,
        "security_groups": crate::domain::server_groups(ports).into_iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
        "key_name": s.key_name.clone().unwrap_or_default(),
        "user_id": s.user_id,
        "tenant_id": s.project_id,
        "created": iso_seconds(s.created),
        "updated": iso_seconds(s.updated),
        "OS-SRV-USG:launched_at": usage_time(s.launched_at),
        "OS-SRV-USG:terminated_at": usage_time(s.terminated_at),
        "OS-EXT-AZ:availability_zone": s.availability_zone,
        "hostId": s.host_id_hash(),
        "OS-EXT-SRV-ATTR:host": host_name,
        "OS-EXT-SRV-ATTR:hypervisor_hostname": host_name,
        "OS-EXT-SRV-ATTR:instance_name": format!("instance-{:08x}", s.seq),
        "OS-EXT-SRV-ATTR:hostname": s.name.to_lowercase(),
        "OS-EXT-SRV-ATTR:reservation_id": format!("r-{}", &s.id[..8]),
        "OS-EXT-SRV-ATTR:launch_index": 0,
        "OS-EXT-SRV-ATTR:kernel_id": "",
        "OS-EXT-SRV-ATTR:ramdisk_id": "",
        "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
        "OS-EXT-SRV-ATTR:user_data": s.user_data,
        "OS-DCF:diskConfig": "MANUAL",
        "accessIPv4": "",
        "accessIPv6": "",
        "config_drive": "",
        "progress": 0,
        "host_status": if s.host.is_some() { "UP" } else { "" },
        "tags": s.tags,
        "sys_tags": [{"key": "_sys_enterprise_project_id", "value": "0"}],
        "enterprise_project_id": "0",
        "os:scheduler_hints": hints,
    });
    if let (Some(f), Value::Object(m)) = (&s.fault, &mut v) {
        m.insert(
            "fault".into(),
            json!({"code": f.code, "created": iso_seconds(f.created), "message": f.message, "details": f.details}),
        );
    }
    v
}
