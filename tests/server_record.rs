//! A server's own record through the router: Nova's update and metadata
//! calls, Huawei's update and metadata, each refused while an operation
//! holds the server, the metadata ones while it is locked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use axum::http::StatusCode;
use common::{admin_token, call, delete, get, kit, post, put, with_microversion};
use serde_json::json;

#[tokio::test]
async fn nova_renames_and_keeps_metadata() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    let path = format!("/v2.1/{p}/servers/{}", s.id);

    let r = call(
        &k,
        with_microversion(
            put(&path, &t, r#"{"server": {"name": "web-2", "description": "front"}}"#),
            "compute 2.19",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["server"]["name"], "web-2");
    assert_eq!(r.body["server"]["description"], "front");
    let r = call(&k, put(&path, &t, r#"{"server": {"description": "x"}}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "description needs 2.19: {}", r.body);

    let md = format!("{path}/metadata");
    let r = call(&k, post(&md, &t, r#"{"metadata": {"role": "web", "tier": "1"}}"#)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["metadata"]["role"], "web");
    let r = call(&k, put(&format!("{md}/tier"), &t, r#"{"meta": {"tier": "2"}}"#)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["meta"], json!({"tier": "2"}));
    let r = call(&k, put(&format!("{md}/tier"), &t, r#"{"meta": {"other": "2"}}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = call(&k, get(&format!("{md}/tier"), &t)).await;
    assert_eq!(r.body["meta"]["tier"], "2");
    let r = call(&k, delete(&format!("{md}/role"), &t)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = call(&k, delete(&format!("{md}/role"), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = call(&k, put(&md, &t, r#"{"metadata": {"only": "this"}}"#)).await;
    assert_eq!(r.body["metadata"], json!({"only": "this"}));
    let shown = call(&k, get(&path, &t)).await;
    assert_eq!(shown.body["server"]["metadata"], json!({"only": "this"}));
    let r = call(&k, post(&md, &t, r#"{"metadata": {"bad": 7}}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // Locked: metadata is refused, a rename is not.
    k.act(
        ecsd::catalog::OpId::NovaLock,
        &s.id,
        ecsd::control::workflows::WorkInput::Lock(Default::default()),
    )
    .await;
    let r = call(&k, post(&md, &t, r#"{"metadata": {"a": "b"}}"#)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = call(&k, put(&path, &t, r#"{"server": {"name": "web-3"}}"#)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn an_operation_in_flight_keeps_the_record_as_it_is() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    // Accepted, not yet run: the create holds the server.
    let id = k.create_server("s6.small.1").await;
    let r = call(
        &k,
        put(&format!("/v2.1/{p}/servers/{id}"), &t, r#"{"server": {"name": "x"}}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    k.run().await;
    let s = k.server(&id).await;
    assert_eq!((s.name.as_str(), s.task_state), ("t", None));
    let before = s.generation;
    let r = call(
        &k,
        put(&format!("/v2.1/{p}/servers/{id}"), &t, r#"{"server": {"name": "x"}}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        k.server(&id).await.generation,
        before + 1,
        "the write moves the generation"
    );
}

#[tokio::test]
async fn huawei_updates_a_server_and_its_metadata() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    let path = format!("/v1/{p}/cloudservers/{}", s.id);
    let r = call(
        &k,
        put(&path, &t, r#"{"server": {"name": "hw-2", "description": "db"}}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["server"]["name"], "hw-2");
    assert_eq!(r.body["server"]["description"], "db");
    let r = call(
        &k,
        post(&format!("{path}/metadata"), &t, r#"{"metadata": {"env": "prod"}}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["metadata"]["env"], "prod");
    let r = call(&k, delete(&format!("{path}/metadata/env"), &t)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = call(&k, delete(&format!("{path}/metadata/env"), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = call(&k, put(&path, &t, r#"{"server": {"name": ""}}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "Ecs.0005");
}
