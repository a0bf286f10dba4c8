//! Quotas through the router: the region's defaults, the administrator's
//! overrides, usage in every dialect's quota view, and each create refused
//! in its own API's format once its quota is used up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use axum::http::StatusCode;
use common::{admin_token, call, delete, get, kit_file, post, put_json as put, Kit};
use ecsd::app::config::FileConfig;
use ecsd::control::authz::EnforcementMode;
use serde_json::json;

/// A kit on the region's stock defaults (no `[quotas]` in the file).
async fn stock() -> Kit {
    kit_file(EnforcementMode::Enforce, 0, FileConfig::default()).await
}

fn nova_server(name: &str, flavor: &str) -> String {
    json!({"server": {"name": name, "imageRef": common::IMAGE, "flavorRef": flavor, "networks": "auto"}}).to_string()
}

#[tokio::test]
async fn nova_and_huawei_show_the_defaults_and_refuse_servers_over_quota() {
    let k = stock().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let limits = call(&k, get(&format!("/v2.1/{p}/limits"), &t)).await;
    let abs = &limits.body["limits"]["absolute"];
    assert_eq!(
        (abs["maxTotalInstances"].as_i64(), abs["maxTotalCores"].as_i64()),
        (Some(10), Some(20))
    );
    assert_eq!(abs["maxTotalRAMSize"], 51_200);
    assert_eq!(abs["maxSecurityGroups"], -1, "nova-network's leftovers before 2.36");

    // The administrator lowers the project's instances to 2.
    let r = call(
        &k,
        put(
            &format!("/v2.1/{p}/os-quota-sets/{p}"),
            &t,
            &json!({"quota_set": {"instances": 2}}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["quota_set"]["instances"], 2);
    assert!(
        r.body["quota_set"].get("id").is_none(),
        "Nova's update answer has no id"
    );
    for n in 0..2 {
        let r = call(
            &k,
            post(
                &format!("/v2.1/{p}/servers"),
                &t,
                &nova_server(&format!("q{n}"), "s6.small.1"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    }
    let r = call(
        &k,
        post(&format!("/v2.1/{p}/servers"), &t, &nova_server("q2", "s6.small.1")),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        r.body["forbidden"]["message"],
        "Quota exceeded for instances: Requested 1, but already used 2 of 2 instances"
    );
    // Huawei's create: 400 Ecs.0001.
    let hw = json!({"server": {"name": "hw", "imageRef": common::IMAGE, "flavorRef": "s6.small.1",
        "vpcid": ecsd::domain::DEFAULT_VPC_ID, "nics": [{"subnet_id": ecsd::domain::DEFAULT_SUBNET_ID}],
        "root_volume": {"volumetype": "SSD"}}});
    let r = call(&k, post(&format!("/v1/{p}/cloudservers"), &t, &hw.to_string())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "Ecs.0001");

    // Usage in Nova's detail and Huawei's limits.
    let detail = call(&k, get(&format!("/v2.1/{p}/os-quota-sets/{p}/detail"), &t)).await;
    assert_eq!(
        detail.body["quota_set"]["instances"],
        json!({"in_use": 2, "limit": 2, "reserved": 0})
    );
    let hw_limits = call(&k, get(&format!("/v1/{p}/cloudservers/limits"), &t)).await;
    assert_eq!(
        hw_limits.body["absolute"]["totalInstancesUsed"], 2,
        "{}",
        hw_limits.body
    );
    assert_eq!(hw_limits.body["absolute"]["totalCoresUsed"], 2);

    // Below what is used: refused; reset: back on the defaults.
    let r = call(
        &k,
        put(
            &format!("/v2.1/{p}/os-quota-sets/{p}"),
            &t,
            &json!({"quota_set": {"instances": 1}}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = call(&k, delete(&format!("/v2.1/{p}/os-quota-sets/{p}"), &t)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let shown = call(&k, get(&format!("/v2.1/{p}/os-quota-sets/{p}"), &t)).await;
    assert_eq!(shown.body["quota_set"]["instances"], 10);
}

#[tokio::test]
async fn a_resize_needs_room_for_the_bigger_flavor() {
    let k = stock().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    call(
        &k,
        put(
            &format!("/v2.1/{p}/os-quota-sets/{p}"),
            &t,
            &json!({"quota_set": {"cores": 1}}),
        ),
    )
    .await;
    let r = call(
        &k,
        post(
            &format!("/v2.1/{p}/servers/{}/action", s.id),
            &t,
            r#"{"resize": {"flavorRef": "s6.large.2"}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.to_string().contains("Quota exceeded for cores"), "{}", r.body);
    // The same cores (s6.medium.2 has 1 vCPU) fit.
    let r = call(
        &k,
        post(
            &format!("/v2.1/{p}/servers/{}/action", s.id),
            &t,
            r#"{"resize": {"flavorRef": "s6.medium.2"}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
}

#[tokio::test]
async fn block_storage_refuses_over_quota_in_cinders_and_evs_formats() {
    let k = stock().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    // The project has no volumes yet: one more is allowed, then none.
    let r = call(
        &k,
        put(
            &format!("/volume/v3/{p}/os-quota-sets/{p}"),
            &t,
            &json!({"quota_set": {"volumes": 1, "gigabytes": 15}}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(
        &k,
        post(&format!("/volume/v3/{p}/volumes"), &t, r#"{"volume": {"size": 10}}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let r = call(
        &k,
        post(&format!("/volume/v3/{p}/volumes"), &t, r#"{"volume": {"size": 1}}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.headers["retry-after"], "0");
    assert_eq!(
        r.body["overLimit"]["message"],
        "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes'."
    );
    let evs = json!({"volume": {"availability_zone": "local-1a", "volume_type": "SSD", "size": 1}});
    let r = call(&k, post(&format!("/v2/{p}/cloudvolumes"), &t, &evs.to_string())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body["error"]["code"].as_str().unwrap().starts_with("EVS."),
        "{}",
        r.body
    );

    // Gigabytes: raise volumes, and 10 + 10 is over 15.
    call(
        &k,
        put(
            &format!("/volume/v3/{p}/os-quota-sets/{p}"),
            &t,
            &json!({"quota_set": {"volumes": 5}}),
        ),
    )
    .await;
    let r = call(
        &k,
        post(&format!("/volume/v3/{p}/volumes"), &t, r#"{"volume": {"size": 10}}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body["overLimit"]["message"]
        .as_str()
        .unwrap()
        .starts_with("VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 10G, quota is 15G and 10G has been consumed."));

    let usage = call(&k, get(&format!("/volume/v3/{p}/os-quota-sets/{p}?usage=true"), &t)).await;
    assert_eq!(usage.body["quota_set"]["volumes"]["in_use"], 1, "{}", usage.body);
    assert_eq!(usage.body["quota_set"]["gigabytes"]["limit"], 15);
    let evs_q = call(&k, get(&format!("/v2/{p}/os-quota-sets/{p}?usage=True"), &t)).await;
    assert_eq!(evs_q.body["quota_set"]["gigabytes"]["in_use"], 10, "{}", evs_q.body);
    let limits = call(&k, get(&format!("/volume/v3/{p}/limits"), &t)).await;
    assert_eq!(
        limits.body["limits"]["absolute"]["totalGigabytesUsed"], 10,
        "{}",
        limits.body
    );
}

#[tokio::test]
async fn networks_refuse_over_quota_in_neutrons_and_vpcs_formats() {
    let k = stock().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let r = call(
        &k,
        put(
            &format!("/network/v2.0/quotas/{p}"),
            &t,
            &json!({"quota": {"security_group": 2, "floatingip": 1, "check_limit": true}}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["quota"]["security_group"], 2);
    // The default group is one of the two.
    let r = call(
        &k,
        post(
            "/network/v2.0/security-groups",
            &t,
            r#"{"security_group": {"name": "a"}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = call(
        &k,
        post(
            "/network/v2.0/security-groups",
            &t,
            r#"{"security_group": {"name": "b"}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        r.body["NeutronError"],
        json!({"type": "OverQuota", "message": "Quota exceeded for resources: ['security_group'].", "detail": ""})
    );
    let r = call(
        &k,
        post(
            &format!("/v1/{p}/security-groups"),
            &t,
            r#"{"security_group": {"name": "c"}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["code"], "VPC.0114");

    let eip = r#"{"publicip": {"type": "5_bgp"}, "bandwidth": {"name": "b", "size": 1, "share_type": "PER"}}"#;
    let r = call(&k, post(&format!("/v1/{p}/publicips"), &t, eip)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&k, post(&format!("/v1/{p}/publicips"), &t, eip)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["code"], "VPC.0521");
    assert_eq!(r.body["message"], "Quota exceeded for resources: ['floatingip'].");

    let details = call(&k, get(&format!("/network/v2.0/quotas/{p}/details"), &t)).await;
    assert_eq!(
        details.body["quota"]["security_group"],
        json!({"limit": 2, "used": 2, "reserved": 0})
    );
    let vpc = call(&k, get(&format!("/v1/{p}/quotas?type=publicIp"), &t)).await;
    assert_eq!(
        vpc.body["quotas"]["resources"],
        json!([{"type": "publicIp", "used": 1, "quota": 1, "min": 0}])
    );
    let r = call(&k, delete(&format!("/network/v2.0/quotas/{p}"), &t)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let shown = call(&k, get(&format!("/network/v2.0/quotas/{p}"), &t)).await;
    assert_eq!(shown.body["quota"]["security_group"], 10);
}

#[tokio::test]
async fn only_the_account_administrator_sets_quotas_and_only_in_its_account() {
    let k = stock().await;
    let p = k.caller.project_id.clone();
    k.user_with("member", &["ECS FullAccess"], &[]).await;
    let member = common::user_token(&k, "member").await;
    let r = call(
        &k,
        put(
            &format!("/v2.1/{p}/os-quota-sets/{p}"),
            &member,
            &json!({"quota_set": {"instances": 100}}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = call(&k, get(&format!("/v2.1/{p}/os-quota-sets/{p}"), &member)).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a reader with the action sees its quotas: {}",
        r.body
    );
    let t = admin_token(&k).await;
    let (_, elsewhere) = k.add_account("other", "boss", "Other-pass-1").await;
    let r = call(&k, get(&format!("/v2.1/{p}/os-quota-sets/{}", elsewhere.id), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = call(
        &k,
        put(
            &format!("/v2.1/{p}/os-quota-sets/{p}"),
            &t,
            &json!({"quota_set": {"key_pairs": 5}}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}
