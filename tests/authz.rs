//! Authorization end to end in process: fine-grained policies on the seed's
//! operations, instance resources and tag conditions, 403 bodies naming
//! every missing action, the soft and off modes, the audit trail, explain
//! and the least-privilege suggestion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{admin_token, call, get, kit, kit_with, user_token, with_microversion};
use ecsd::control::authz::EnforcementMode;
use serde_json::{json, Value};

/// POSTs here ask for Nova microversion 2.73 (needed e.g. for `locked_reason`).
fn post(path: &str, token: &str, body: Value) -> Request<Body> {
    with_microversion(common::post(path, token, &body.to_string()), "compute 2.73")
}

fn allow(actions: &[&str]) -> Value {
    json!({"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": actions}]})
}

#[tokio::test]
async fn a_user_needs_every_action_of_the_row_and_is_told_every_missing_one() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    // Everything native stop needs but ecs:servers:get.
    k.user_with("partial", &[], &[allow(&["ecs:servers:stop"])]).await;
    k.user_with("stopper", &[], &[allow(&["ecs:servers:stop", "ecs:servers:get"])])
        .await;
    let partial = user_token(&k, "partial").await;
    let stopper = user_token(&k, "stopper").await;
    let action = format!("/v2.1/servers/{}/action", s.id);

    let r = call(&k, post(&action, &partial, json!({"os-stop": null}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body["forbidden"]["message"],
        "Policy doesn't allow ecs:servers:get to be performed."
    );
    assert_eq!(k.server(&s.id).await.task_state, None, "a refusal changes nothing");

    // Native resize: the message names all twelve missing actions.
    let r = call(
        &k,
        post(&action, &stopper, json!({"resize": {"flavorRef": "s6.medium.2"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let msg = r.body["forbidden"]["message"].as_str().unwrap();
    for a in ["ecs:servers:resize", "evs:volumes:create", "vpc:ports:delete"] {
        assert!(msg.contains(a), "{msg}");
    }
    assert!(!msg.contains("ecs:servers:get"), "held actions are not listed: {msg}");

    let r = call(&k, post(&action, &stopper, json!({"os-stop": null}))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);

    // Huawei routes: Pdp.0001.
    let p = &k.caller.project_id;
    let r = call(
        &k,
        post(
            &format!("/v1/{p}/cloudservers/{}/resize", s.id),
            &stopper,
            json!({"resize": {"flavorRef": "s6.large.2"}}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["error"]["code"], "Pdp.0001");
    assert_eq!(
        r.body["error"]["message"],
        "Policy doesn't allow ecs:cloudServers:resize to be performed."
    );
}

#[tokio::test]
async fn explicit_deny_beats_full_access_and_common_operations_stop_at_stop_and_reboot() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    let deny = json!({"Version": "1.1", "Statement": [{"Effect": "Deny", "Action": ["ecs:servers:reboot"]}]});
    k.user_with("full", &["ECS FullAccess"], &[deny]).await;
    k.user_with("common", &["ECS CommonOperations"], &[]).await;
    let full = user_token(&k, "full").await;
    let common = user_token(&k, "common").await;
    let action = format!("/v2.1/servers/{}/action", s.id);

    let r = call(&k, post(&action, &full, json!({"reboot": {"type": "SOFT"}}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body["forbidden"]["message"]
        .as_str()
        .unwrap()
        .contains("ecs:servers:reboot"));
    let r = call(&k, post(&action, &full, json!({"lock": {"locked_reason": "x"}}))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "FullAccess still locks: {}", r.body);
    let r = call(&k, post(&action, &full, json!({"unlock": null}))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);

    for (body, ok) in [
        (json!({"reboot": {"type": "HARD"}}), true),
        (json!({"resize": {"flavorRef": "s6.medium.2"}}), false),
        (json!({"rebuild": {"imageRef": common::IMAGE2}}), false),
        (json!({"lock": null}), false),
    ] {
        let r = call(&k, post(&action, &common, body.clone())).await;
        if ok {
            assert_eq!(r.status, StatusCode::ACCEPTED, "{body}: {}", r.body);
            k.run().await;
        } else {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{body}");
        }
    }
    let r = call(&k, post(&action, &common, json!({"os-stop": null}))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    k.run().await;
    let p = &k.caller.project_id;
    let change = json!({"os-change": {"imageid": common::IMAGE2, "adminpass": "Passw0rd!x"}});
    let r = call(
        &k,
        post(&format!("/v2/{p}/cloudservers/{}/changeos", s.id), &common, change),
    )
    .await;
    assert_eq!(r.body["error"]["code"], "Pdp.0001");
    let mig = json!({"migrate": {"dedicated_host_id": common::DEH}});
    let r = call(
        &k,
        post(&format!("/v1/{p}/cloudservers/{}/migrate", s.id), &common, mig),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Reads: CommonOperations may show (ecs:*:show*, ecsd's reading of the spec).
    let r = call(&k, get(&format!("/v1/{p}/cloudservers/{}", s.id), &common)).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn instance_resources_and_tag_conditions_narrow_a_grant() {
    let k = kit().await;
    let a = k.active_server("s6.small.1").await; // tagged team=dev by the kit
    let b = k.active_server("s6.small.1").await;
    let p = k.caller.project_id.clone();
    let only_a = json!({"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["ecs:cloudServers:resize"],
        "Resource": [format!("ECS:*:*:instance:{}", a.id)]}]});
    let dev_only = json!({"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["ecs:cloudServers:stop"],
        "Condition": {"StringEquals": {"g:ResourceTag/team": ["dev"]}}}]});
    k.user_with("narrow", &[], &[only_a, dev_only]).await;
    let t = user_token(&k, "narrow").await;
    let body = json!({"resize": {"flavorRef": "s6.large.2", "mode": "withStopServer"}, "dry_run": true});
    let r = call(
        &k,
        post(&format!("/v1.1/{p}/cloudservers/{}/resize", a.id), &t, body.clone()),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let r = call(&k, post(&format!("/v1.1/{p}/cloudservers/{}/resize", b.id), &t, body)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Untag b so the tag condition fails for it.
    let mut untagged = k.server(&b.id).await;
    let g = untagged.generation;
    untagged.tags.clear();
    untagged.generation += 1;
    assert!(k.service().store.update_server(&untagged, g).await.unwrap());
    let stop = |id: &str| json!({"os-stop": {"servers": [{"id": id}]}});
    let r = call(&k, post(&format!("/v1/{p}/cloudservers/action"), &t, stop(&a.id))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&k, post(&format!("/v1/{p}/cloudservers/action"), &t, stop(&b.id))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn soft_mode_allows_and_reports_and_off_mode_allows() {
    // A user with no policies at all: each mode allows; only soft reports.
    for (mode, reported) in [
        (EnforcementMode::Soft, Some("ecs:servers:stop, ecs:servers:get")),
        (EnforcementMode::Off, None),
    ] {
        let k = kit_with(mode).await;
        let s = k.active_server("s6.small.1").await;
        k.user_with("nobody", &[], &[]).await;
        let t = user_token(&k, "nobody").await;
        let r = call(
            &k,
            post(&format!("/v2.1/servers/{}/action", s.id), &t, json!({"os-stop": null})),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{mode:?}");
        let soft_deny = r.headers.get("x-ecsd-authz-soft-deny").map(|v| v.to_str().unwrap());
        assert_eq!(soft_deny, reported, "{mode:?}");
    }
}

#[tokio::test]
async fn audit_explain_and_suggest() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    let uid = k
        .user_with("auditee", &[], &[allow(&["ecs:servers:stop", "ecs:servers:get"])])
        .await;
    let t = user_token(&k, "auditee").await;
    let admin = admin_token(&k).await;
    let action = format!("/v2.1/servers/{}/action", s.id);
    assert_eq!(
        call(&k, post(&action, &t, json!({"os-stop": null}))).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        call(&k, post(&action, &t, json!({"reboot": {"type": "HARD"}})))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The audit trail: newest first, with decisions and missing actions.
    let r = call(&k, get(&format!("/ecsd/v1/audit?user_id={uid}"), &admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let recs = r.body["records"].as_array().unwrap();
    assert_eq!(recs.len(), 3, "sign-in, stop, reboot");
    assert_eq!(recs[2]["operation"], "keystone.tokens.issue");
    assert_eq!(recs[2]["status"], 201);
    assert_eq!(recs[0]["operation"], "nova.reboot.hard");
    assert_eq!(recs[0]["decision"], "deny");
    assert_eq!(recs[0]["status"], 403);
    assert_eq!(recs[0]["missing"], json!(["ecs:servers:reboot"]));
    assert_eq!(recs[1]["decision"], "allow");
    assert_eq!(recs[1]["status"], 202);
    let r = call(
        &k,
        get(&format!("/ecsd/v1/audit?user_id={uid}&decision=deny&limit=1"), &admin),
    )
    .await;
    assert_eq!(r.body["records"].as_array().unwrap().len(), 1);
    // Not for non-administrators.
    assert_eq!(call(&k, get("/ecsd/v1/audit", &t)).await.status, StatusCode::FORBIDDEN);

    // Explain: per action, with the statement that matched.
    let ask = json!({"user": "auditee", "project": k.caller.project_id, "operation": "nova.reboot.hard"});
    let r = call(&k, post("/ecsd/v1/iam/explain", &t, ask)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["allowed"], false);
    assert_eq!(r.body["decision"]["missing"], json!(["ecs:servers:reboot"]));
    let per = r.body["decision"]["per_action"].as_array().unwrap();
    let get_decision = per.iter().find(|d| d[0] == "ecs:servers:get").unwrap();
    assert_eq!(get_decision[1]["reason"], "Allowed");
    assert_eq!(get_decision[1]["matched"][0]["statement"], 0);
    // A user may not explain someone else.
    let ask = json!({"user": "admin", "operation": "nova.stop"});
    assert_eq!(
        call(&k, post("/ecsd/v1/iam/explain", &t, ask)).await.status,
        StatusCode::FORBIDDEN
    );

    // Suggest: exactly the actions of what was attempted.
    let r = call(&k, get(&format!("/ecsd/v1/iam/suggest?user_id={uid}"), &admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let actions = &r.body["policy"]["Statement"][0]["Action"];
    assert_eq!(
        actions,
        &json!(["ecs:servers:get", "ecs:servers:reboot", "ecs:servers:stop"])
    );
    ecsd::iam::validate(&r.body["policy"]).expect("the suggestion is a valid policy");
}

#[tokio::test]
async fn keystone_member_may_act_and_reader_may_only_read() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    k.user_with("m", &["member"], &[]).await;
    k.user_with("r", &["reader"], &[]).await;
    let member = user_token(&k, "m").await;
    let reader = user_token(&k, "r").await;
    let action = format!("/v2.1/servers/{}/action", s.id);
    assert_eq!(
        call(&k, get(&format!("/v2.1/servers/{}", s.id), &reader)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call(&k, get("/v2.1/servers/detail", &reader)).await.status,
        StatusCode::OK
    );
    let r = call(&k, post(&action, &reader, json!({"os-stop": null}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body["forbidden"]["message"]
        .as_str()
        .unwrap()
        .contains("ecs:servers:stop"));
    let r = call(
        &k,
        post(&action, &member, json!({"resize": {"flavorRef": "s6.medium.2"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    k.run().await;
    let r = call(&k, post(&action, &member, json!({"confirmResize": null}))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // Members manage servers, not identities.
    let r = call(&k, get("/v3/users", &member)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn the_explain_cli_reads_the_data_directory() {
    let k = kit().await;
    k.user_with("cli-user", &["ECS CommonOperations"], &[]).await;
    let run = |op: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ecsd"))
            .args([
                "iam",
                "explain",
                "--user",
                "cli-user",
                "--project",
                "local-1",
                "--operation",
                op,
                "--data",
            ])
            .arg(k.data_dir())
            .env("ECSD_LOG", "error")
            .output()
            .expect("run ecsd iam explain")
    };
    let ok = run("nova.stop");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let v: Value = serde_json::from_slice(&ok.stdout).expect("json");
    assert_eq!(v["allowed"], true);
    assert_eq!(v["basis"], "policies");
    let no = run("nova.resize");
    assert_eq!(no.status.code(), Some(3), "a denial exits 3");
    let v: Value = serde_json::from_slice(&no.stdout).expect("json");
    assert_eq!(v["allowed"], false);
    let missing: Vec<&str> = v["decision"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        missing.contains(&"ecs:servers:resize") && missing.contains(&"vpc:ports:create"),
        "{missing:?}"
    );
    assert!(!missing.contains(&"ecs:servers:get"), "CommonOperations reads servers");
}

#[tokio::test]
async fn the_audit_trail_is_bounded_by_age_and_count() {
    use ecsd::domain::{AuditFilter, AuditRecord};
    let k = kit().await;
    let store = k.service().store.clone();
    let now = chrono::Utc::now();
    let rec = |i: i64, age_days: i64| AuditRecord {
        seq: 0,
        time: now - chrono::TimeDelta::days(age_days),
        request_id: format!("req-{i}"),
        user_id: "u".into(),
        user_name: "u".into(),
        domain_id: "d".into(),
        project_id: "p".into(),
        method: "GET".into(),
        path: "/".into(),
        operation: None,
        actions: vec![],
        decision: "allow".into(),
        missing: vec![],
        resource: None,
        source: String::new(),
        status: 200,
    };
    let records: Vec<AuditRecord> = (0..30).map(|i| rec(i, if i < 5 { 40 } else { 0 })).collect();
    store.append_audit(&records).await.unwrap();
    let all = |limit| AuditFilter {
        domain_id: Some("d".into()),
        limit,
        ..AuditFilter::default()
    };
    assert_eq!(store.query_audit(&all(100)).await.unwrap().len(), 30);
    // Paging: newest first, then before the last seq seen.
    let first = store.query_audit(&all(10)).await.unwrap();
    let next = store
        .query_audit(&AuditFilter {
            before_seq: Some(first[9].seq),
            ..all(10)
        })
        .await
        .unwrap();
    assert!(next[0].seq < first[9].seq);
    store.prune_audit(now - chrono::TimeDelta::days(30), 20).await.unwrap();
    let left = store.query_audit(&all(100)).await.unwrap();
    assert_eq!(left.len(), 20, "older than 30 days gone, then capped at 20");
    assert!(left.iter().all(|r| r.time > now - chrono::TimeDelta::days(1)));
}
