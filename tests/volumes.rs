//! Volumes through the router: Nova and ECS attach and detach, EVS disks
//! and their jobs, isolation, races and each dialect's errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use axum::http::StatusCode;
use common::{admin_token, call, delete, get, kit, post, put, with_microversion, Kit};
use serde_json::{json, Value};

async fn cinder_volume(k: &Kit, token: &str, size: i64) -> String {
    let p = &k.caller.project_id;
    let body = json!({"volume": {"size": size, "name": "data"}}).to_string();
    let r = call(k, post(&format!("/volume/v3/{p}/volumes"), token, &body)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    r.body["volume"]["id"].as_str().unwrap().to_string()
}

async fn cinder_status(k: &Kit, token: &str, id: &str) -> Value {
    let p = &k.caller.project_id;
    call(k, get(&format!("/volume/v3/{p}/volumes/{id}"), token)).await.body["volume"].clone()
}

fn attach_body(volume: &str) -> String {
    json!({"volumeAttachment": {"volumeId": volume}}).to_string()
}

#[tokio::test]
async fn a_volume_attached_natively_is_in_use_until_detached() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    let v = cinder_volume(&k, &t, 10).await;
    let attachments = format!("/v2.1/{p}/servers/{}/os-volume_attachments", s.id);

    let r = call(
        &k,
        with_microversion(post(&attachments, &t, &attach_body(&v)), "compute 2.79"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let a = &r.body["volumeAttachment"];
    assert_eq!(a["volumeId"], v.as_str());
    assert_eq!(a["serverId"], s.id.as_str());
    // The server's own data disk holds /dev/vdb; the next is /dev/vdc.
    assert_eq!(a["device"], "/dev/vdc");
    assert_eq!(a["delete_on_termination"], false);

    let vol = cinder_status(&k, &t, &v).await;
    assert_eq!(vol["status"], "in-use");
    assert_eq!(vol["attachments"][0]["server_id"], s.id.as_str());
    let listed = call(&k, with_microversion(get(&attachments, &t), "compute 2.89")).await;
    let ids: Vec<&str> = listed.body["volumeAttachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["volumeId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&v.as_str()), "{}", listed.body);
    assert!(listed.body["volumeAttachments"][0].get("id").is_none(), "no id at 2.89");
    let shown = call(&k, get(&format!("/v2.1/{p}/servers/{}", s.id), &t)).await;
    let attached: Vec<&str> = shown.body["server"]["os-extended-volumes:volumes_attached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(attached.contains(&v.as_str()));
    let actions = call(&k, get(&format!("/v2.1/{p}/servers/{}/os-instance-actions", s.id), &t)).await;
    assert!(actions.body.to_string().contains("attach_volume"), "{}", actions.body);

    // Held: it cannot be deleted, attached again, or attached elsewhere.
    let r = call(&k, delete(&format!("/volume/v3/{p}/volumes/{v}"), &t)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let other = k.active_server("s6.small.1").await;
    let r = call(
        &k,
        post(
            &format!("/v2.1/{p}/servers/{}/os-volume_attachments", other.id),
            &t,
            &attach_body(&v),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .contains("already attached"));

    let r = call(&k, delete(&format!("{attachments}/{v}"), &t)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(cinder_status(&k, &t, &v).await["status"], "available");
    let r = call(&k, get(&format!("{attachments}/{v}"), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = call(&k, delete(&format!("/volume/v3/{p}/volumes/{v}"), &t)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
}

#[tokio::test]
async fn bad_attachments_are_refused_in_novas_format() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    let v = cinder_volume(&k, &t, 10).await;
    let attachments = format!("/v2.1/{p}/servers/{}/os-volume_attachments", s.id);
    let missing = "44444444-4444-4444-4444-444444444444";
    let cases = [
        (attach_body(missing), StatusCode::NOT_FOUND, "could not be found"),
        (
            json!({"volumeAttachment": {}}).to_string(),
            StatusCode::BAD_REQUEST,
            "'volumeId' is a required property",
        ),
        (attach_body("not-a-uuid"), StatusCode::BAD_REQUEST, "is not a 'uuid'"),
        (
            json!({"volumeAttachment": {"volumeId": v, "device": "/dev/vdb"}}).to_string(),
            StatusCode::BAD_REQUEST,
            "is in use",
        ),
        (
            json!({"volumeAttachment": {"volumeId": v, "delete_on_termination": true}}).to_string(),
            StatusCode::BAD_REQUEST,
            "Additional properties are not allowed",
        ),
    ];
    for (body, status, text) in cases {
        let r = call(&k, post(&attachments, &t, &body)).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(r.body.to_string().contains(text), "{body}: {}", r.body);
    }
    // The system disk stays.
    let root = k.service().store.volumes_of(&s.id).await.unwrap();
    let root = root.iter().find(|v| v.bootable).unwrap();
    let r = call(&k, delete(&format!("{attachments}/{}", root.id), &t)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.to_string().contains("root device"), "{}", r.body);
    // A locked server refuses both.
    k.act(
        ecsd::catalog::OpId::NovaLock,
        &s.id,
        ecsd::control::workflows::WorkInput::Lock(Default::default()),
    )
    .await;
    let r = call(&k, post(&attachments, &t, &attach_body(&v))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

#[tokio::test]
async fn another_projects_volume_cannot_be_attached() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let (domain, project) = k.add_account("other", "boss", "Other-pass-1").await;
    let theirs = common::token_for(&k, "boss", "Other-pass-1", &domain.name, &project.id).await;
    let body = json!({"volume": {"size": 5}}).to_string();
    let r = call(&k, post(&format!("/volume/v3/{}/volumes", project.id), &theirs, &body)).await;
    let hidden = r.body["volume"]["id"].as_str().unwrap().to_string();
    let s = k.active_server("s6.small.1").await;
    let r = call(
        &k,
        post(
            &format!("/v2.1/{p}/servers/{}/os-volume_attachments", s.id),
            &t,
            &attach_body(&hidden),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = call(&k, get(&format!("/v2/{p}/cloudvolumes/{hidden}"), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "EVS.5404");
}

#[tokio::test]
async fn concurrent_attaches_of_one_volume_admit_exactly_one() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let v = cinder_volume(&k, &t, 10).await;
    let mut servers = Vec::new();
    for _ in 0..6 {
        servers.push(k.active_server("s6.small.1").await.id);
    }
    // Every attach goes through the service at once, on its own task.
    let mut storm = tokio::task::JoinSet::new();
    for (i, s) in servers.iter().enumerate() {
        let (service, caller, s, v) = (k.service().clone(), k.caller.clone(), s.clone(), v.clone());
        storm.spawn(async move {
            let spec = ecsd::control::service::AttachSpec {
                volume_id: v,
                ..Default::default()
            };
            service
                .attach_volume(
                    &caller,
                    ecsd::catalog::OpId::NovaAttachVolume,
                    &s,
                    spec,
                    &format!("req-{i}"),
                )
                .await
        });
    }
    let mut results = Vec::new();
    while let Some(r) = storm.join_next().await {
        results.push(r.unwrap());
    }
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{results:?}");
    assert!(results.iter().all(|r| match r {
        Ok(_) => true,
        Err(e) => matches!(e, ecsd::domain::ControlError::BadRequest { .. }),
    }));
    let _ = p;
}

#[tokio::test]
async fn a_server_delete_honours_delete_on_termination() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let s = k.active_server("s6.small.1").await;
    let (kept, gone) = (cinder_volume(&k, &t, 1).await, cinder_volume(&k, &t, 2).await);
    let attachments = format!("/v2.1/{p}/servers/{}/os-volume_attachments", s.id);
    for (v, dot) in [(&kept, false), (&gone, true)] {
        let body = json!({"volumeAttachment": {"volumeId": v, "delete_on_termination": dot}}).to_string();
        let r = call(&k, with_microversion(post(&attachments, &t, &body), "compute 2.79")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = call(&k, delete(&format!("/v2.1/{p}/servers/{}", s.id), &t)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    k.run().await;
    assert_eq!(cinder_status(&k, &t, &kept).await["status"], "available");
    let r = call(&k, get(&format!("/volume/v3/{p}/volumes/{gone}"), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}

#[tokio::test]
async fn evs_disks_and_ecs_attach_answer_with_jobs() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let body = json!({"volume": {"availability_zone": "local-1a", "volume_type": "GPSSD", "size": 10,
                                  "name": "disk", "count": 2}})
    .to_string();
    let r = call(&k, post(&format!("/v2.1/{p}/cloudvolumes"), &t, &body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ids: Vec<String> = r.body["volume_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    let job = call(
        &k,
        get(&format!("/v1/{p}/jobs/{}", r.body["job_id"].as_str().unwrap()), &t),
    )
    .await;
    assert_eq!(job.body["status"], "SUCCESS", "{}", job.body);
    assert_eq!(job.body["job_type"], "createVolume");
    assert_eq!(job.body["entities"]["sub_jobs"].as_array().unwrap().len(), 2);

    let listed = call(&k, get(&format!("/v2/{p}/cloudvolumes/detail?name=disk-0001"), &t)).await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);
    assert_eq!(listed.body["volumes"][0]["volume_type"], "GPSSD");
    assert_eq!(listed.body["volumes"][0]["bootable"], "false");
    let one = &ids[0];

    let r = call(
        &k,
        put(
            &format!("/v2/{p}/cloudvolumes/{one}"),
            &t,
            r#"{"volume": {"name": "renamed"}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "renamed");

    // Attach through ECS: a job; the disk is in use and listed on the server.
    let s = k.active_server("s6.small.1").await;
    let r = call(
        &k,
        post(
            &format!("/v1/{p}/cloudservers/{}/attachvolume", s.id),
            &t,
            &attach_body(one),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let job = call(
        &k,
        get(&format!("/v1/{p}/jobs/{}", r.body["job_id"].as_str().unwrap()), &t),
    )
    .await;
    assert_eq!(job.body["status"], "SUCCESS", "{}", job.body);
    assert_eq!(job.body["job_type"], "attachVolume");
    assert_eq!(job.body["entities"]["volume_id"], one.as_str());
    let devices = call(&k, get(&format!("/v1/{p}/cloudservers/{}/block_device", s.id), &t)).await;
    assert_eq!(
        devices.body["volumeAttachments"].as_array().unwrap().len(),
        3,
        "{}",
        devices.body
    );
    let shown = call(&k, get(&format!("/v2/{p}/cloudvolumes/{one}"), &t)).await;
    assert_eq!(shown.body["volume"]["status"], "in-use");

    // Expanded while attached; deleting it is refused until it is detached.
    let r = call(
        &k,
        post(
            &format!("/v2.1/{p}/cloudvolumes/{one}/action"),
            &t,
            r#"{"os-extend": {"new_size": 20}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(
        &k,
        post(
            &format!("/v2.1/{p}/cloudvolumes/{one}/action"),
            &t,
            r#"{"os-extend": {"new_size": 5}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = call(&k, delete(&format!("/v2/{p}/cloudvolumes/{one}"), &t)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "EVS.1046");

    let r = call(
        &k,
        delete(&format!("/v1/{p}/cloudservers/{}/detachvolume/{one}", s.id), &t),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let shown = call(&k, get(&format!("/v2/{p}/cloudvolumes/{one}"), &t)).await;
    assert_eq!(shown.body["volume"]["status"], "available");
    assert_eq!(shown.body["volume"]["size"], 20);
    let r = call(&k, delete(&format!("/v2/{p}/cloudvolumes/{one}"), &t)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&k, get(&format!("/v2/{p}/cloudvolumes/{one}"), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Bad input in ECS's format.
    for (body, code) in [
        (json!({"volume": {"volume_type": "SSD", "size": 10}}), "EVS.2002"),
        (
            json!({"volume": {"availability_zone": "local-1a", "volume_type": "SSD", "size": 0}}),
            "EVS.2002",
        ),
        (
            json!({"volume": {"availability_zone": "elsewhere", "volume_type": "SSD", "size": 1}}),
            "EVS.2002",
        ),
    ] {
        let r = call(&k, post(&format!("/v2/{p}/cloudvolumes"), &t, &body.to_string())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert_eq!(r.body["error"]["code"], code, "{body}: {}", r.body);
    }
}

#[tokio::test]
async fn evs_read_only_access_reads_and_is_refused_writes() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    let v = cinder_volume(&k, &t, 3).await;
    k.user_with("reader", &["EVS ReadOnlyAccess"], &[]).await;
    let reader = common::user_token(&k, "reader").await;
    let r = call(&k, get(&format!("/v2/{p}/cloudvolumes/{v}"), &reader)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&k, delete(&format!("/v2/{p}/cloudvolumes/{v}"), &reader)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.to_string().contains("evs:volumes:delete"), "{}", r.body);
    // ECS attach needs the EVS dependent beside the ECS action.
    let attach_only = json!({"Version": "1.1", "Statement": [{"Effect": "Allow",
        "Action": ["ecs:cloudServers:attach"]}]});
    k.user_with("attacher", &[], &[attach_only]).await;
    let attacher = common::user_token(&k, "attacher").await;
    let s = k.active_server("s6.small.1").await;
    let r = call(
        &k,
        post(
            &format!("/v1/{p}/cloudservers/{}/attachvolume", s.id),
            &attacher,
            &attach_body(&v),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.to_string().contains("evs:volumes:use"), "{}", r.body);
    assert!(!r.body.to_string().contains("ecs:cloudServers:attach"), "{}", r.body);
}
