//! Calls around the server a client makes on its way: a server's addresses
//! by network, the availability zones, and Keystone's token revocation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{admin_token, call, get, kit, user_token};

fn token_call(method: &str, caller: &str, subject: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri("/v3/auth/tokens")
        .header("x-auth-token", caller)
        .header("x-subject-token", subject)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_servers_addresses_by_network_and_the_zones() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    let port = k.service().store.ports_of(&s.id).await.unwrap().remove(0);
    let r = call(&k, get(&format!("/v2.1/{p}/servers/{}/ips", s.id), &t)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["addresses"]["private"][0]["addr"], port.ip_address.as_str());
    let r = call(&k, get(&format!("/v2.1/{p}/servers/{}/ips/private", s.id), &t)).await;
    assert_eq!(r.body["private"][0]["version"], 4, "{}", r.body);
    let r = call(&k, get(&format!("/v2.1/{p}/servers/{}/ips/elsewhere", s.id), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = call(&k, get(&format!("/v2.1/{p}/os-availability-zone"), &t)).await;
    assert_eq!(r.body["availabilityZoneInfo"][0]["zoneName"], "local-1a", "{}", r.body);
    assert_eq!(r.body["availabilityZoneInfo"][0]["zoneState"]["available"], true);
}

#[tokio::test]
async fn a_revoked_token_no_longer_validates_or_authenticates() {
    let k = kit().await;
    let admin = admin_token(&k).await;
    k.user_with("alice", &["member"], &[]).await;
    k.user_with("bob", &["member"], &[]).await;
    let alice = user_token(&k, "alice").await;
    let bob = user_token(&k, "bob").await;
    let p = k.caller.project_id.clone();

    // Not one's own: refused; one's own: revoked.
    let r = call(&k, token_call("DELETE", &bob, &alice)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = call(&k, token_call("DELETE", &alice, &alice)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = call(&k, token_call("GET", &admin, &alice)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = call(&k, get(&format!("/v2.1/{p}/servers"), &alice)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = call(&k, token_call("DELETE", &bob, &alice)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "gone already: {}", r.body);
    // The account's administrator revokes anyone's.
    let r = call(&k, token_call("DELETE", &admin, &bob)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = call(&k, token_call("HEAD", &admin, &bob)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn key_pairs_are_made_imported_listed_and_named_by_creates() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let kp = format!("/v2.1/{p}/os-keypairs");
    let r = call(
        &k,
        common::with_microversion(common::post(&kp, &t, r#"{"keypair": {"name": "made"}}"#), "compute 2.2"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r.body["keypair"]["private_key"]
        .as_str()
        .unwrap()
        .contains("OPENSSH PRIVATE KEY"));
    assert!(r.body["keypair"]["public_key"]
        .as_str()
        .unwrap()
        .starts_with("ssh-ed25519 "));
    assert_eq!(r.body["keypair"]["type"], "ssh");
    let imported = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGE2bHvCvlB7r06tgUZdmy2z2rq+r0zbP0mbfZ0i5y3F me@host";
    let body = serde_json::json!({"keypair": {"name": "mine", "public_key": imported}}).to_string();
    let r = call(&k, common::post(&kp, &t, &body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body["keypair"].get("private_key").is_none(),
        "an import returns no private key"
    );
    let r = call(&k, common::post(&kp, &t, &body)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = call(
        &k,
        common::post(&kp, &t, r#"{"keypair": {"name": "bad", "public_key": "ssh-rsa nope"}}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = call(
        &k,
        common::with_microversion(common::post(&kp, &t, r#"{"keypair": {"name": "gen"}}"#), "compute 2.92"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "no generated keys from 2.92: {}",
        r.body
    );

    let listed = call(&k, get(&kp, &t)).await;
    let names: Vec<&str> = listed.body["keypairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["keypair"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["made", "mine"]);
    let shown = call(&k, get(&format!("{kp}/mine"), &t)).await;
    assert_eq!(shown.body["keypair"]["public_key"], imported);

    // A create names a key pair of the caller's, or is refused.
    let server = |key: &str| {
        serde_json::json!({"server": {"name": "k", "imageRef": common::IMAGE, "flavorRef": "s6.small.1",
            "networks": "auto", "key_name": key}})
        .to_string()
    };
    let r = call(
        &k,
        common::post(&format!("/v2.1/{p}/servers"), &t, &server("nobody-has-it")),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = call(&k, common::post(&format!("/v2.1/{p}/servers"), &t, &server("mine"))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);

    // Another user has its own key pairs.
    k.user_with("bob", &["member"], &[]).await;
    let bob = user_token(&k, "bob").await;
    let r = call(&k, get(&format!("{kp}/mine"), &bob)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = call(
        &k,
        common::with_microversion(common::delete(&format!("{kp}/mine"), &t), "compute 2.2"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = call(&k, get(&format!("{kp}/mine"), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}
