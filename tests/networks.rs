//! Networks through the router: isolation between accounts, the shared
//! default network, the VPC system policies, and each dialect's errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use axum::http::StatusCode;
use common::{admin_token, call, delete, get, kit, post, put, token_for, user_token};
use ecsd::domain::DEFAULT_SUBNET_ID;
use serde_json::Value;

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn another_accounts_network_is_not_found_and_the_default_is_shared() {
    let k = kit().await;
    let mine = admin_token(&k).await;
    let (domain, project) = k.add_account("other", "boss", "Other-pass-1").await;
    let theirs = token_for(&k, "boss", "Other-pass-1", &domain.name, &project.id).await;

    let r = call(
        &k,
        post("/network/v2.0/networks", &theirs, r#"{"network": {"name": "hidden"}}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let hidden = r.body["network"]["id"].as_str().unwrap().to_string();

    let listed = call(&k, get("/network/v2.0/networks", &mine)).await;
    assert!(!ids(&listed.body, "networks").contains(&hidden));
    assert!(ids(&listed.body, "networks").contains(&DEFAULT_SUBNET_ID.to_string()));
    for r in [
        call(&k, get(&format!("/network/v2.0/networks/{hidden}"), &mine)).await,
        call(&k, delete(&format!("/network/v2.0/networks/{hidden}"), &mine)).await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(r.body["NeutronError"]["type"], "NetworkNotFound");
    }
    // The other account sees the default network but may not remove it.
    let theirs_listed = call(&k, get("/network/v2.0/networks?name=private", &theirs)).await;
    assert_eq!(ids(&theirs_listed.body, "networks"), [DEFAULT_SUBNET_ID]);
    let r = call(
        &k,
        delete(&format!("/network/v2.0/networks/{DEFAULT_SUBNET_ID}"), &theirs),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Each project has its own default security group.
    let a = call(&k, get("/network/v2.0/security-groups?name=default", &mine)).await;
    let b = call(&k, get("/network/v2.0/security-groups?name=default", &theirs)).await;
    assert_eq!(ids(&a.body, "security_groups").len(), 1);
    assert_ne!(ids(&a.body, "security_groups"), ids(&b.body, "security_groups"));
}

#[tokio::test]
async fn vpc_read_only_access_reads_and_is_refused_writes_in_both_dialects() {
    let k = kit().await;
    k.user_with("viewer", &["VPC ReadOnlyAccess"], &[]).await;
    let token = user_token(&k, "viewer").await;
    let p = k.caller.project_id.clone();
    for path in [
        "/network/v2.0/networks".to_string(),
        "/network/v2.0/subnets".to_string(),
        format!("/v1/{p}/vpcs"),
        format!("/v1/{p}/subnets"),
    ] {
        let r = call(&k, get(&path, &token)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    }
    let r = call(
        &k,
        post("/network/v2.0/networks", &token, r#"{"network": {"name": "x"}}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["NeutronError"]["type"], "PolicyNotAuthorized");
    assert!(r.body["NeutronError"]["message"]
        .as_str()
        .unwrap()
        .contains("vpc:networks:create"));
    let r = call(
        &k,
        post(
            &format!("/v1/{p}/vpcs"),
            &token,
            r#"{"vpc": {"name": "x", "cidr": "192.168.0.0/16"}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["code"], "VPC.2201");
    assert!(r.body["message"].as_str().unwrap().contains("vpc:vpcs:create"));
}

#[tokio::test]
async fn bad_input_is_answered_in_each_dialects_format() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let vpcs = format!("/v1/{p}/vpcs");
    let cases: &[(&str, &str, StatusCode, &str)] = &[
        (
            &vpcs,
            r#"{"vpc": {"cidr": "8.8.8.0/24"}}"#,
            StatusCode::BAD_REQUEST,
            "VPC.0101",
        ),
        (&vpcs, r#"{"vpc": {"cidr": 7}}"#, StatusCode::BAD_REQUEST, "VPC.0101"),
        (&vpcs, r#"{"vpcs": {}}"#, StatusCode::BAD_REQUEST, "VPC.0101"),
        (&vpcs, "not json", StatusCode::BAD_REQUEST, "VPC.0101"),
    ];
    for (path, body, status, code) in cases {
        let r = call(&k, post(path, &t, body)).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (*status, Some(*code)),
            "{body}: {}",
            r.body
        );
    }
    let r = call(&k, get(&format!("/v1/{p}/vpcs/{}", uuid::Uuid::new_v4()), &t)).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("VPC.0003"))
    );
    for body in [
        r#"{"subnet": {"network_id": "x", "ip_version": 4, "cidr": "10.9.0.0/24"}}"#,
        r#"{"subnet": {"network_id": "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a51", "ip_version": 6, "cidr": "::/64"}}"#,
        r#"{"subnet": "x"}"#,
    ] {
        let r = call(&k, post("/network/v2.0/subnets", &t, body)).await;
        assert!(r.status.is_client_error(), "{body}: {}", r.body);
        assert!(r.body["NeutronError"]["type"].is_string(), "{body}: {}", r.body);
    }
    let r = call(&k, get("/network/v2.0/nothing-here", &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body["NeutronError"].is_object(), "{}", r.body);
}

/// A network workflow: network, subnet, group, rule, and a server on them.
/// Returns the status of each call.
async fn network_workflow(k: &common::Kit, token: &str, tag: &str) -> Vec<(String, StatusCode)> {
    let mut out = Vec::new();
    let r = call(
        k,
        post(
            "/network/v2.0/networks",
            token,
            &format!(r#"{{"network": {{"name": "{tag}"}}}}"#),
        ),
    )
    .await;
    out.push(("network".to_string(), r.status));
    let net = r.body["network"]["id"].as_str().unwrap_or_default().to_string();
    let subnet = format!(r#"{{"subnet": {{"network_id": "{net}", "ip_version": 4, "cidr": "192.168.5.0/24"}}}}"#);
    out.push((
        "subnet".into(),
        call(k, post("/network/v2.0/subnets", token, &subnet)).await.status,
    ));
    let r = call(
        k,
        post(
            "/network/v2.0/security-groups",
            token,
            &format!(r#"{{"security_group": {{"name": "{tag}"}}}}"#),
        ),
    )
    .await;
    out.push(("group".into(), r.status));
    let group = r.body["security_group"]["id"].as_str().unwrap_or_default().to_string();
    let rule = format!(
        r#"{{"security_group_rule": {{"security_group_id": "{group}", "direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}}}}"#
    );
    out.push((
        "rule".into(),
        call(k, post("/network/v2.0/security-group-rules", token, &rule))
            .await
            .status,
    ));
    let server = format!(
        r#"{{"server": {{"name": "{tag}", "imageRef": "{}", "flavorRef": "s6.small.1", "networks": [{{"uuid": "{net}"}}], "security_groups": [{{"name": "{tag}"}}]}}}}"#,
        common::IMAGE
    );
    let r = call(k, post("/v2.1/servers", token, &server)).await;
    out.push(("server".into(), r.status));
    let server_id = r.body["server"]["id"].as_str().unwrap_or_default().to_string();
    k.run().await;
    // Block storage and images beside it: a volume attached, an image taken.
    let p = &k.caller.project_id;
    let r = call(
        k,
        post(&format!("/volume/v3/{p}/volumes"), token, r#"{"volume": {"size": 1}}"#),
    )
    .await;
    out.push(("volume".into(), r.status));
    let volume = r.body["volume"]["id"].as_str().unwrap_or_default().to_string();
    let attach = format!(r#"{{"volumeAttachment": {{"volumeId": "{volume}"}}}}"#);
    let path = format!("/v2.1/servers/{server_id}/os-volume_attachments");
    out.push(("attach".into(), call(k, post(&path, token, &attach)).await.status));
    let path = format!("/v2.1/servers/{server_id}/action");
    let snap = format!(r#"{{"createImage": {{"name": "{tag}"}}}}"#);
    out.push(("image".into(), call(k, post(&path, token, &snap)).await.status));
    k.run().await;
    out
}

#[tokio::test]
async fn the_suggested_policy_spans_services_and_is_exactly_enough() {
    let k = kit().await;
    let admin = admin_token(&k).await;
    let uid = k.user_with("broad", &["member"], &[]).await;
    let broad = user_token(&k, "broad").await;
    let done = network_workflow(&k, &broad, "first").await;
    assert!(done.iter().all(|(_, s)| s.is_success()), "{done:?}");

    let r = call(&k, get(&format!("/ecsd/v1/iam/suggest?user_id={uid}"), &admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let policy = r.body["policy"].clone();
    let actions: Vec<String> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    for want in [
        "vpc:networks:create",
        "vpc:subnets:create",
        "vpc:securityGroups:create",
        "vpc:securityGroupRules:create",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }
    assert!(actions.iter().any(|a| a.starts_with("ecs:")), "{actions:?}");
    for want in [
        "evs:volumes:create",
        "ecs:serverVolumeAttachments:create",
        "evs:volumes:attach",
        "ecs:servers:createImage",
        "ims:images:create",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }

    // Exactly that policy suffices for the same workflow...
    k.user_with("least", &[], std::slice::from_ref(&policy)).await;
    let least = user_token(&k, "least").await;
    let again = network_workflow(&k, &least, "second").await;
    assert!(again.iter().all(|(_, s)| s.is_success()), "{again:?}");
    // ...and without the rule action, the rule is what fails, naming it.
    let mut fewer = policy;
    fewer["Statement"][0]["Action"] = serde_json::json!(actions
        .iter()
        .filter(|a| *a != "vpc:securityGroupRules:create")
        .collect::<Vec<_>>());
    k.user_with("fewer", &[], &[fewer]).await;
    let t = user_token(&k, "fewer").await;
    let partial = network_workflow(&k, &t, "third").await;
    let refused: Vec<&str> = partial
        .iter()
        .filter(|(_, s)| *s == StatusCode::FORBIDDEN)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(refused, ["rule"], "{partial:?}");
}

#[tokio::test]
async fn an_elastic_ip_is_a_floating_ip_bound_and_released_the_huawei_way() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    let port = k.service().store.ports_of(&s.id).await.unwrap().remove(0);
    let body = r#"{"publicip": {"type": "5_bgp", "alias": "web"},
                   "bandwidth": {"name": "bw", "size": 5, "share_type": "PER", "charge_mode": "traffic"}}"#;
    let r = call(&k, post(&format!("/v1/{p}/publicips"), &t, body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let eip = r.body["publicip"]["id"].as_str().unwrap().to_string();
    let address = r.body["publicip"]["public_ip_address"].as_str().unwrap().to_string();
    assert!(address.starts_with("172.24.4."), "{address}");
    assert_eq!(r.body["publicip"]["status"], "DOWN");
    assert!(
        r.body["publicip"].get("bandwidth_id").is_none(),
        "not in the create answer"
    );

    // Neutron sees the same record.
    let f = call(&k, get(&format!("/network/v2.0/floatingips/{eip}"), &t)).await;
    assert_eq!(f.body["floatingip"]["floating_ip_address"], address.as_str());

    let path = format!("/v1/{p}/publicips/{eip}");
    let bind = format!(r#"{{"publicip": {{"port_id": "{}"}}}}"#, port.id);
    let r = call(&k, put(&path, &t, &bind)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["publicip"]["status"], "ACTIVE");
    assert_eq!(r.body["publicip"]["port_id"], port.id.as_str());
    assert_eq!(r.body["publicip"]["private_ip_address"], port.ip_address.as_str());
    let shown = call(&k, get(&format!("/v1/{p}/cloudservers/{}", s.id), &t)).await;
    assert!(shown.body.to_string().contains(&address), "{}", shown.body);

    // A second EIP on the same port, and releasing a bound one, are refused.
    let r = call(&k, post(&format!("/v1/{p}/publicips"), &t, body)).await;
    let other = r.body["publicip"]["id"].as_str().unwrap().to_string();
    let r = call(&k, put(&format!("/v1/{p}/publicips/{other}"), &t, &bind)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["code"], "VPC.0511");
    let r = call(&k, delete(&path, &t)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["code"], "VPC.0517");
    // Bound elsewhere already: VPC.0510.
    let s2 = k.active_server("s6.small.1").await;
    let port2 = k.service().store.ports_of(&s2.id).await.unwrap().remove(0);
    let r = call(
        &k,
        put(&path, &t, &format!(r#"{{"publicip": {{"port_id": "{}"}}}}"#, port2.id)),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.body["code"], "VPC.0510");

    // Unbind (v3), then release.
    let r = call(
        &k,
        post(&format!("/v3/{p}/eip/publicips/{eip}/disassociate-instance"), &t, "{}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["publicip"]["status"], "DOWN");
    let r = call(&k, delete(&path, &t)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = call(&k, get(&path, &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(r.body["code"], "VPC.0504");

    // Bad input in VPC's format.
    for bad in [
        r#"{"publicip": {"type": "5_bgp"}}"#,
        r#"{"publicip": {"type": "5_bgp"}, "bandwidth": {"name": "b", "size": 5, "share_type": "WHOLE"}}"#,
        r#"{"publicip": {"type": "5_bgp"}, "bandwidth": {"name": "b", "size": 0, "share_type": "PER"}}"#,
        r#"{"publicip": {"type": "nope"}, "bandwidth": {"name": "b", "size": 5, "share_type": "PER"}}"#,
    ] {
        let r = call(&k, post(&format!("/v1/{p}/publicips"), &t, bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert!(r.body["code"].as_str().unwrap().starts_with("VPC."), "{}", r.body);
    }
}

#[tokio::test]
async fn interfaces_attach_and_detach_in_both_dialects() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    let r = call(
        &k,
        post("/network/v2.0/networks", &t, r#"{"network": {"name": "side"}}"#),
    )
    .await;
    let net = r.body["network"]["id"].as_str().unwrap().to_string();
    let sub = format!(r#"{{"subnet": {{"network_id": "{net}", "cidr": "192.168.77.0/24", "ip_version": 4}}}}"#);
    assert_eq!(
        call(&k, post("/network/v2.0/subnets", &t, &sub)).await.status,
        StatusCode::CREATED
    );
    let nova = format!("/v2.1/{p}/servers/{}/os-interface", s.id);

    // A new port on the network, made by the attach and removed by the detach.
    let body =
        format!(r#"{{"interfaceAttachment": {{"net_id": "{net}", "fixed_ips": [{{"ip_address": "192.168.77.9"}}]}}}}"#);
    let r = call(&k, post(&nova, &t, &body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let made = r.body["interfaceAttachment"]["port_id"].as_str().unwrap().to_string();
    assert_eq!(
        r.body["interfaceAttachment"]["fixed_ips"][0]["ip_address"],
        "192.168.77.9"
    );
    let listed = call(&k, get(&nova, &t)).await;
    assert_eq!(
        listed.body["interfaceAttachments"].as_array().unwrap().len(),
        2,
        "{}",
        listed.body
    );
    let shown = call(&k, get(&format!("/v2.1/{p}/servers/{}", s.id), &t)).await;
    assert!(shown.body["server"]["addresses"]["side"].is_array(), "{}", shown.body);
    let r = call(&k, delete(&format!("{nova}/{made}"), &t)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let r = call(&k, get(&format!("/network/v2.0/ports/{made}"), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // A port made first is bound, then only unbound; another server cannot take it meanwhile.
    let r = call(
        &k,
        post(
            "/network/v2.0/ports",
            &t,
            &format!(r#"{{"port": {{"network_id": "{net}"}}}}"#),
        ),
    )
    .await;
    let port = r.body["port"]["id"].as_str().unwrap().to_string();
    let body = format!(r#"{{"interfaceAttachment": {{"port_id": "{port}"}}}}"#);
    assert_eq!(call(&k, post(&nova, &t, &body)).await.status, StatusCode::OK);
    let other = k.active_server("s6.small.1").await;
    let r = call(
        &k,
        post(&format!("/v2.1/{p}/servers/{}/os-interface", other.id), &t, &body),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        call(&k, delete(&format!("{nova}/{port}"), &t)).await.status,
        StatusCode::ACCEPTED
    );
    let r = call(&k, get(&format!("/network/v2.0/ports/{port}"), &t)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["port"]["device_id"], "", "unbound: {}", r.body);

    // Huawei: a NIC outside the server's VPC is refused; one on a subnet of
    // its VPC is added (a job with a sub-job), listed and deleted; the
    // primary NIC stays.
    let nics_path = format!("/v1/{p}/cloudservers/{}/nics", s.id);
    let r = call(
        &k,
        post(&nics_path, &t, &format!(r#"{{"nics": [{{"subnet_id": "{net}"}}]}}"#)),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let hw_sub = format!(
        r#"{{"subnet": {{"name": "nic", "cidr": "10.200.5.0/24", "gateway_ip": "10.200.5.1", "vpc_id": "{}"}}}}"#,
        ecsd::domain::DEFAULT_VPC_ID
    );
    let r = call(&k, post(&format!("/v1/{p}/subnets"), &t, &hw_sub)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let net = r.body["subnet"]["id"].as_str().unwrap().to_string();
    let r = call(
        &k,
        post(&nics_path, &t, &format!(r#"{{"nics": [{{"subnet_id": "{net}"}}]}}"#)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let job = call(
        &k,
        get(&format!("/v1/{p}/jobs/{}", r.body["job_id"].as_str().unwrap()), &t),
    )
    .await;
    assert_eq!(job.body["status"], "SUCCESS", "{}", job.body);
    assert_eq!(
        job.body["entities"]["sub_jobs"].as_array().unwrap().len(),
        1,
        "{}",
        job.body
    );
    let nics = call(&k, get(&format!("/v1/{p}/cloudservers/{}/os-interface", s.id), &t)).await;
    let all: Vec<(String, String)> = nics.body["interfaceAttachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["port_id"].as_str().unwrap().to_string(),
                n["net_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(all.len(), 2, "{}", nics.body);
    let added = all.iter().find(|(_, n)| n == &net).unwrap().0.clone();
    let primary = all.iter().find(|(_, n)| n != &net).unwrap().0.clone();
    let remove = |id: &str| format!(r#"{{"nics": [{{"id": "{id}"}}]}}"#);
    let path = format!("/v1/{p}/cloudservers/{}/nics/delete", s.id);
    let r = call(&k, post(&path, &t, &remove(&primary))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = call(&k, post(&path, &t, &remove(&added))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let nics = call(&k, get(&format!("/v1/{p}/cloudservers/{}/os-interface", s.id), &t)).await;
    assert_eq!(nics.body["interfaceAttachments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_default_subnet_block_is_configurable_at_the_first_start() {
    let file = ecsd::app::config::FileConfig {
        default_subnet: Some("10.200.0.0/16".into()),
        ..Default::default()
    };
    let k = common::kit_file(ecsd::control::authz::EnforcementMode::Enforce, 0, file).await;
    let t = admin_token(&k).await;
    let r = call(&k, get("/network/v2.0/subnets?name=private-subnet", &t)).await;
    assert_eq!(r.body["subnets"][0]["cidr"], "10.200.0.0/16", "{}", r.body);
    let s = k.active_server("s6.small.1").await;
    let port = k.service().store.ports_of(&s.id).await.unwrap().remove(0);
    assert!(port.ip_address.starts_with("10.200."), "{}", port.ip_address);
    for bad in ["192.168.0.0/16", "10.0.0.0/30", "nonsense"] {
        let file = ecsd::app::config::FileConfig {
            default_subnet: Some(bad.into()),
            ..Default::default()
        };
        assert!(file.default_subnet().is_err(), "{bad}");
    }
}
