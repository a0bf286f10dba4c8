//! Images through the router: a server captured into a private image that
//! create and rebuild then accept, Glance and IMS over the same records,
//! isolation between projects, ownership, protection and each format.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{admin_token, call, delete, get, kit, post, put_json, token_for, with_microversion, Kit};
use ecsd::driver::faults::FaultInjection;
use serde_json::{json, Value};

fn patch(path: &str, token: &str, ops: &Value) -> Request<Body> {
    Request::patch(path)
        .header("x-auth-token", token)
        .header("content-type", "application/openstack-images-v2.1-json-patch")
        .body(Body::from(ops.to_string()))
        .unwrap()
}

/// Captures a server through Nova and runs the job; returns the image id.
async fn capture(k: &Kit, token: &str, server_id: &str) -> String {
    let p = &k.caller.project_id;
    let r = call(
        k,
        with_microversion(
            post(
                &format!("/v2.1/{p}/servers/{server_id}/action"),
                token,
                r#"{"createImage": {"name": "golden", "metadata": {"purpose": "ci"}}}"#,
            ),
            "compute 2.45",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["image_id"].as_str().unwrap().to_string();
    assert!(r.headers["location"].to_str().unwrap().ends_with(&id));
    id
}

#[tokio::test]
async fn a_captured_server_image_boots_and_rebuilds_and_stays_private() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    let image = capture(&k, &t, &s.id).await;

    // At once: queued, the server busy with the snapshot.
    let queued = call(&k, get(&format!("/image/v2/images/{image}"), &t)).await;
    assert_eq!(queued.body["status"], "queued", "{}", queued.body);
    assert_eq!(queued.body["visibility"], "private");
    assert_eq!(queued.body["purpose"], "ci");
    assert_eq!(queued.body["instance_uuid"], s.id.as_str());
    let busy = call(&k, get(&format!("/v2.1/{p}/servers/{}", s.id), &t)).await;
    assert_eq!(busy.body["server"]["OS-EXT-STS:task_state"], "image_snapshot");

    k.run().await;
    let active = call(&k, get(&format!("/image/v2/images/{image}"), &t)).await;
    assert_eq!(active.body["status"], "active", "{}", active.body);
    assert_eq!(active.body["min_disk"], 40, "the system disk's size");
    assert_eq!(active.body["__imagetype"], "private");
    let done = k.server(&s.id).await;
    assert_eq!(done.task_state, None);
    assert_eq!(done.vm_state, ecsd::domain::VmState::Active);

    // Rebuild from it, and a new server from it.
    let r = call(
        &k,
        post(
            &format!("/v2.1/{p}/servers/{}/action", s.id),
            &t,
            &json!({"rebuild": {"imageRef": image}}).to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    k.run().await;
    assert_eq!(k.server(&s.id).await.image_id, image);
    let r = call(
        &k,
        post(
            &format!("/v2.1/{p}/servers"),
            &t,
            &json!({"server": {"name": "from-snap", "imageRef": image, "flavorRef": "s6.small.1",
                               "networks": "auto"}})
            .to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);

    // Another account sees nothing of it and cannot boot from it.
    let (domain, other) = k.add_account("other", "boss", "Other-pass-1").await;
    let theirs = token_for(&k, "boss", "Other-pass-1", &domain.name, &other.id).await;
    let r = call(&k, get(&format!("/image/v2/images/{image}"), &theirs)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let listed = call(&k, get("/image/v2/images", &theirs)).await;
    assert!(!listed.body.to_string().contains(&image));
    let r = call(
        &k,
        post(
            &format!("/v2.1/{}/servers", other.id),
            &theirs,
            &json!({"server": {"name": "x", "imageRef": image, "flavorRef": "s6.small.1", "networks": "auto"}})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn a_failed_capture_removes_its_image_and_the_server_rolls_back() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let s = k.active_server("s6.small.1").await;
    k.app.sim.add_fault(ecsd::driver::faults::FaultRule {
        operation: "nova.createImage".into(),
        step: "capture_image".into(),
        times: 1,
        server_id: None,
        code: "Ecs.1000".into(),
        reason: "injected".into(),
    });
    let image = capture(&k, &t, &s.id).await;
    k.run().await;
    let r = call(&k, get(&format!("/image/v2/images/{image}"), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let back = k.server(&s.id).await;
    assert_eq!((back.vm_state, back.task_state), (ecsd::domain::VmState::Active, None));
}

#[tokio::test]
async fn glance_records_are_owned_patched_protected_and_deleted() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let r = call(
        &k,
        post(
            "/image/v2/images",
            &t,
            r#"{"name": "base", "disk_format": "qcow2", "container_format": "bare", "min_ram": 512, "os_distro": "debian"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "queued");
    assert_eq!(r.body["visibility"], "shared");
    assert_eq!(r.body["os_distro"], "debian");
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/image/v2/images/{id}");

    let ops = json!([
        {"op": "replace", "path": "/name", "value": "base-2"},
        {"op": "add", "path": "/min_disk", "value": 20},
        {"op": "add", "path": "/hw_disk_bus", "value": "virtio"},
        {"op": "remove", "path": "/os_distro"},
        {"op": "add", "path": "/protected", "value": true},
    ]);
    let r = call(&k, patch(&path, &t, &ops)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["name"].as_str(), r.body["min_disk"].as_i64()),
        (Some("base-2"), Some(20))
    );
    assert_eq!(r.body["hw_disk_bus"], "virtio");
    assert!(r.body.get("os_distro").is_none());
    let listed = call(&k, get("/image/v2/images?name=base-2", &t)).await;
    assert_eq!(listed.body["images"].as_array().unwrap().len(), 1, "{}", listed.body);

    // Protected: not deleted until unprotected.
    let r = call(&k, delete(&path, &t)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = call(
        &k,
        patch(
            &path,
            &t,
            &json!([{"op": "replace", "path": "/protected", "value": false}]),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&k, delete(&path, &t)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = call(&k, get(&path, &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // The region's images: readable, not the project's to change or delete.
    let seeded = format!("/image/v2/images/{}", common::IMAGE);
    let r = call(
        &k,
        patch(
            &seeded,
            &t,
            &json!([{"op": "replace", "path": "/name", "value": "mine"}]),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = call(&k, delete(&seeded, &t)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Bad input.
    for (body, status) in [
        (r#"{"name": "x", "visibility": "public"}"#, StatusCode::FORBIDDEN),
        (r#"{"name": "x", "disk_format": "floppy"}"#, StatusCode::BAD_REQUEST),
        (r#"{"name": "x", "status": "active"}"#, StatusCode::FORBIDDEN),
        (r#"{"name": "x", "min_disk": -1}"#, StatusCode::BAD_REQUEST),
    ] {
        let r = call(&k, post("/image/v2/images", &t, body)).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
    }
    let r = call(&k, patch(&seeded, &t, &json!({"op": "replace"}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn ims_lists_makes_from_a_server_and_updates() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    let r = call(
        &k,
        post(
            "/v2/cloudimages/action",
            &t,
            &json!({"name": "ims-snap", "instance_id": s.id, "description": "from ci"}).to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let job_id = r.body["job_id"].as_str().unwrap().to_string();
    k.run().await;
    let job = call(&k, get(&format!("/v1/{p}/jobs/{job_id}"), &t)).await;
    assert_eq!(job.body["status"], "SUCCESS", "{}", job.body);
    let image = job.body["entities"]["image_id"].as_str().unwrap().to_string();
    assert_eq!(job.body["entities"]["image_name"], "ims-snap");

    let mine = call(&k, get("/v2/cloudimages?__imagetype=private", &t)).await;
    let ids: Vec<&str> = mine.body["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [image.as_str()]);
    assert_eq!(mine.body["images"][0]["__description"], "from ci");
    assert_eq!(mine.body["images"][0]["min_disk"], 40);
    let gold = call(&k, get("/v2/cloudimages?__imagetype=gold&__platform=Ubuntu", &t)).await;
    assert_eq!(gold.body["images"].as_array().unwrap().len(), 1, "{}", gold.body);

    let r = call(
        &k,
        patch(
            &format!("/v2/cloudimages/{image}"),
            &t,
            &json!([{"op": "replace", "path": "/name", "value": "renamed"}]),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "renamed");
    let missing = "88888888-8888-4888-8888-888888888888";
    let r = call(
        &k,
        patch(
            &format!("/v2/cloudimages/{missing}"),
            &t,
            &json!([{"op": "replace", "path": "/name", "value": "x"}]),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "IMG.0027");
    let r = call(
        &k,
        post(
            "/v2/cloudimages/action",
            &t,
            r#"{"name": "x", "image_url": "obs://bucket/x.qcow2"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn ims_read_only_access_lists_and_is_refused_captures() {
    let k = kit().await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    k.user_with("viewer", &["IMS ReadOnlyAccess"], &[]).await;
    let viewer = common::user_token(&k, "viewer").await;
    let r = call(&k, get("/v2/cloudimages", &viewer)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(
        &k,
        post(
            "/v2/cloudimages/action",
            &viewer,
            &json!({"name": "x", "instance_id": s.id}).to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.to_string().contains("ims:serverImages:create"), "{}", r.body);
    let r = call(
        &k,
        post(
            &format!("/v2.1/{p}/servers/{}/action", s.id),
            &viewer,
            r#"{"createImage": {"name": "x"}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.to_string().contains("ecs:servers:createImage"), "{}", r.body);
}

#[tokio::test]
async fn a_shared_image_is_seen_by_its_members_and_listed_once_accepted() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let (domain, other) = k.add_account("other", "boss", "Other-pass-1").await;
    let theirs = token_for(&k, "boss", "Other-pass-1", &domain.name, &other.id).await;
    let r = call(
        &k,
        post("/image/v2/images", &t, r#"{"name": "golden", "visibility": "shared"}"#),
    )
    .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    let members = format!("/image/v2/images/{id}/members");

    // Not shared yet: invisible to the other project.
    assert_eq!(
        call(&k, get(&format!("/image/v2/images/{id}"), &theirs)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = call(&k, post(&members, &t, &json!({"member": other.id}).to_string())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    let r = call(&k, post(&members, &t, &json!({"member": other.id}).to_string())).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // Pending: readable by id, not listed; only the member answers.
    assert_eq!(
        call(&k, get(&format!("/image/v2/images/{id}"), &theirs)).await.status,
        StatusCode::OK
    );
    let listed = call(&k, get("/image/v2/images", &theirs)).await;
    assert!(!listed.body.to_string().contains(&id));
    let mine = format!("{members}/{}", other.id);
    let r = call(&k, put_json(&mine, &t, &json!({"status": "accepted"}))).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the owner cannot accept for it: {}",
        r.body
    );
    let r = call(&k, put_json(&mine, &theirs, &json!({"status": "accepted"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let listed = call(&k, get("/image/v2/images", &theirs)).await;
    assert!(listed.body.to_string().contains(&id), "{}", listed.body);
    // The member sees only itself; it may not share further.
    let r = call(&k, get(&members, &theirs)).await;
    assert_eq!(r.body["members"].as_array().unwrap().len(), 1, "{}", r.body);
    let r = call(
        &k,
        post(&members, &theirs, r#"{"member": "0123456789abcdef0123456789abcdef"}"#),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Unshared: gone for the member.
    let r = call(&k, delete(&mine, &t)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        call(&k, get(&format!("/image/v2/images/{id}"), &theirs)).await.status,
        StatusCode::NOT_FOUND
    );

    // A private image has no members.
    let r = call(
        &k,
        post("/image/v2/images", &t, r#"{"name": "mine", "visibility": "private"}"#),
    )
    .await;
    let private = r.body["id"].as_str().unwrap().to_string();
    let r = call(
        &k,
        post(
            &format!("/image/v2/images/{private}/members"),
            &t,
            &json!({"member": other.id}).to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}
