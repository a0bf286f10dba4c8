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
