//! The HTTP surface in process (no socket): bad input in every dialect,
//! authentication failures, and isolation between projects and accounts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use common::{admin_token, call, delete, get, kit, post, token_for, with_microversion, Kit};
use ecsd::api::aksk;
use serde_json::{json, Value};

#[tokio::test]
async fn nova_bad_input_gets_nova_faults() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let s = k.active_server("s6.small.1").await;
    let action = format!("/v2.1/servers/{}/action", s.id);

    let r = call(&k, post(&action, &t, "{not json")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["badRequest"]["message"], "Malformed request body");

    let r = call(&k, post(&action, &t, r#"{"foo": null}"#)).await;
    assert_eq!(r.body["badRequest"]["message"], "There is no such action: foo");

    let r = call(&k, post(&action, &t, r#"{"reboot": {"type": "FOO"}}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .contains("'FOO' is not one of"));

    let r = call(&k, post(&action, &t, r#"{"resize": {}}"#)).await;
    assert!(r.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .contains("'flavorRef' is a required property"));

    let r = call(&k, post(&action, &t, r#"{"resize": {"flavorRef": "nope"}}"#)).await;
    assert_eq!(r.body["badRequest"]["message"], "Flavor nope could not be found.");

    let r = call(&k, post(&action, &t, r#"{"resize": {"flavorRef": "s6.small.1"}}"#)).await;
    assert_eq!(
        r.body["badRequest"]["message"],
        "When resizing, instances must change flavor!"
    );

    let r = call(&k, post(&action, &t, r#"{"rebuild": {"imageRef": "not-a-uuid"}}"#)).await;
    assert!(r.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .contains("is not a 'uuid'"));

    let r = call(
        &k,
        Request::post(&action)
            .header("x-auth-token", &t)
            .header("content-type", "application/xml")
            .body(Body::from("<x/>"))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.body["badMediaType"]["code"], 415);

    let big = format!(
        r#"{{"rebuild": {{"imageRef": "{}", "name": "{}"}}}}"#,
        common::IMAGE2,
        "x".repeat(2 * 1024 * 1024)
    );
    let r = call(&k, post(&action, &t, &big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

    let r = call(&k, post("/v2.1/servers/not-a-uuid/action", &t, r#"{"os-stop": null}"#)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.body["itemNotFound"]["message"],
        "Instance not-a-uuid could not be found."
    );

    // Wrong state: Nova's exact text.
    let r = call(&k, post(&action, &t, r#"{"os-start": null}"#)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body["conflictingRequest"]["message"],
        format!("Cannot 'start' instance {} while it is in vm_state active", s.id)
    );

    // Microversions: bad syntax 400, out of range 406.
    let show = format!("/v2.1/servers/{}", s.id);
    let r = call(&k, with_microversion(get(&show, &t), "compute 2.a")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(&k, with_microversion(get(&show, &t), "compute 2.999")).await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
    let r = call(&k, with_microversion(get(&show, &t), "compute 2.73")).await;
    assert_eq!(r.headers["openstack-api-version"], "compute 2.73");
    assert_eq!(r.body["server"]["locked"], false);
    assert!(r.body["server"]["locked_reason"].is_null());
    assert!(r.headers.contains_key("x-openstack-request-id"));
    // At 2.1 no later field leaks in.
    let r = call(&k, get(&show, &t)).await;
    assert!(r.body["server"].get("locked").is_none());
    assert!(r.body["server"]["flavor"]["id"].is_string());
}

#[tokio::test]
async fn huawei_bad_input_gets_ecs_errors() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let s = k.active_server("s6.small.1").await;
    let p = &k.caller.project_id;
    let resize = format!("/v1/{p}/cloudservers/{}/resize", s.id);
    let resize_v11 = format!("/v1.1/{p}/cloudservers/{}/resize", s.id);

    let r = call(&k, post(&resize, &t, "")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "Common.0002");

    let r = call(&k, post(&resize, &t, r#"{"resize": {"flavorRef": 5}}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "Ecs.0005");

    // Active without withStopServer: state error.
    let r = call(&k, post(&resize, &t, r#"{"resize": {"flavorRef": "s6.large.2"}}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "Ecs.0100");

    let body = r#"{"resize": {"flavorRef": "kc1.large.2", "mode": "withStopServer"}}"#;
    let r = call(&k, post(&resize_v11, &t, body)).await;
    assert_eq!(r.body["error"]["code"], "Ecs.0804");

    let body = r#"{"resize": {"flavorRef": "s6.large.2", "mode": "withStopServer"}, "dry_run": true}"#;
    let r = call(&k, post(&resize_v11, &t, body)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(k.server(&s.id).await.flavor_id, "s6.small.1", "dry run changes nothing");

    let r = call(&k, get(&format!("/v1/{p}/cloudservers/{}", uuid::Uuid::new_v4()), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"]["code"], "Ecs.0114");

    let r = call(&k, get(&format!("/v1/{p}/jobs/ffffffffffffffffffffffffffffffff"), &t)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "Common.0011");

    let ids: Vec<Value> = (0..1001)
        .map(|_| json!({"id": uuid::Uuid::new_v4().to_string()}))
        .collect();
    let body = json!({"os-stop": {"servers": ids}}).to_string();
    let r = call(&k, post(&format!("/v1/{p}/cloudservers/action"), &t, &body)).await;
    assert_eq!(r.body["error"]["code"], "Ecs.0118");

    let r = call(&k, get(&format!("/v1/{p}/nothing-here"), &t)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn authentication_failures_are_401_in_each_format() {
    let k = kit().await;
    let p = k.caller.project_id.clone();
    let r = call(&k, Request::get("/v2.1/servers").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"]["title"], "Unauthorized");
    assert!(r.headers.contains_key("www-authenticate"));

    let r = call(&k, get("/v2.1/servers", "bogus")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let r = call(
        &k,
        Request::get(format!("/v1/{p}/cloudservers/detail"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error_code"], "APIGW.0305");

    let bad = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": "wrong", "domain": {"name": "ecsd"}}}}}});
    let r = call(
        &k,
        Request::post("/v3/auth/tokens")
            .body(Body::from(bad.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"]["code"], 401);
}

/// Signs a request the way the Huawei SDK does.
fn signed(k: &Kit, method: &str, path: &str, body: &str, date: chrono::DateTime<Utc>, tamper: bool) -> Request<Body> {
    let ak = k.app.bootstrap.access_key.clone();
    let sk = secret_key(k);
    let sdk_date = aksk::format_sdk_date(date);
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:8774")
        .header("content-type", "application/json;charset=UTF-8")
        .header("x-project-id", &k.caller.project_id)
        .header("x-sdk-date", &sdk_date);
    let mut headers = axum::http::HeaderMap::new();
    for (n, v) in builder.headers_ref().unwrap() {
        headers.insert(n, v.clone());
    }
    let signed_headers: Vec<String> = ["content-type", "host", "x-project-id", "x-sdk-date"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let canon = aksk::canonical_request(method, path, "", &headers, &signed_headers, body.as_bytes()).unwrap();
    let sig = aksk::sign(sk.as_bytes(), &aksk::string_to_sign(&sdk_date, &canon));
    builder = builder.header(
        "authorization",
        format!(
            "SDK-HMAC-SHA256 Access={ak}, SignedHeaders={}, Signature={sig}",
            signed_headers.join(";")
        ),
    );
    let sent = if tamper {
        body.replace("SOFT", "HARD")
    } else {
        body.to_string()
    };
    builder.body(Body::from(sent)).unwrap()
}

fn secret_key(k: &Kit) -> String {
    let store = k.service().store.clone();
    let ak = k.app.bootstrap.access_key.clone();
    let sealed = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current()
            .block_on(async move { store.get_credential(&ak).await.unwrap().unwrap().secret_sealed })
    });
    assert!(sealed.starts_with("v1:"), "secret keys are sealed at rest");
    k.app.state.identity.unseal(&sealed).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aksk_signatures_are_checked() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    let p = k.caller.project_id.clone();
    let path = format!("/v1/{p}/cloudservers/{}", s.id);
    let r = call(&k, signed(&k, "GET", &path, "", Utc::now(), false)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["server"]["id"], s.id.as_str());

    let stale = Utc::now() - chrono::TimeDelta::minutes(16);
    let r = call(&k, signed(&k, "GET", &path, "", stale, false)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error_code"], "APIGW.0301");
    assert!(r.body["error_msg"].as_str().unwrap().contains("signature expired"));

    let body = json!({"reboot": {"servers": [{"id": s.id}], "type": "SOFT"}}).to_string();
    let action = format!("/v1/{p}/cloudservers/action");
    let r = call(&k, signed(&k, "POST", &action, &body, Utc::now(), true)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a tampered body is refused");
    let r = call(&k, signed(&k, "POST", &action, &body, Utc::now(), false)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn other_projects_and_accounts_see_nothing() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    // A second project in the same account, and a second account.
    let p2 = k.add_project("local-2", &k.caller.domain_id, None).await;
    let (_, p3) = k.add_account("other", "root", "Other-pw-1").await;

    let t2 = token_for(&k, "admin", common::ADMIN_PASSWORD, "ecsd", &p2.id).await;
    let t3 = token_for(&k, "root", "Other-pw-1", "other", &p3.id).await;
    for t in [&t2, &t3] {
        let r = call(&k, get(&format!("/v2.1/servers/{}", s.id), t)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = call(
            &k,
            post(&format!("/v2.1/servers/{}/action", s.id), t, r#"{"os-stop": null}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = call(&k, get("/v2.1/servers/detail", t)).await;
        assert_eq!(r.body["servers"].as_array().map(Vec::len), Some(0));
    }
    // A user cannot scope into another account's project.
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "root", "password": "Other-pw-1", "domain": {"name": "other"}}}}, "scope": {"project": {"id": k.caller.project_id}}}});
    let r = call(
        &k,
        Request::post("/v3/auth/tokens")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A token for one project does not reach another project's URL.
    let p1 = &k.caller.project_id;
    let r = call(&k, get(&format!("/v2.1/{p1}/servers/{}", s.id), &t2)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(&k, get(&format!("/v1/{p1}/cloudservers/{}", s.id), &t3)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        k.server(&s.id).await.vm_state,
        ecsd::domain::VmState::Active,
        "nothing changed"
    );
}

/// A body that would be valid for an endpoint, so only the lookup can refuse it.
fn bodies_for(endpoint: ecsd::catalog::Endpoint, server: &str) -> Vec<Value> {
    use ecsd::catalog::Endpoint as E;
    match endpoint {
        E::NovaServerAction => vec![
            json!({"os-start": null}),
            json!({"os-stop": null}),
            json!({"reboot": {"type": "HARD"}}),
            json!({"resize": {"flavorRef": "s6.medium.2"}}),
            json!({"confirmResize": null}),
            json!({"revertResize": null}),
            json!({"rebuild": {"imageRef": common::IMAGE2}}),
            json!({"lock": null}),
            json!({"unlock": null}),
            json!({"createImage": {"name": "snap"}}),
        ],
        E::HwChangeOs => vec![json!({"os-change": {"imageid": common::IMAGE2, "adminpass": "Passw0rd!x"}})],
        E::HwReinstallOs => vec![json!({"os-reinstall": {"adminpass": "Passw0rd!x"}})],
        E::HwResize => vec![json!({"resize": {"flavorRef": "s6.medium.2"}})],
        E::HwMigrate => vec![json!({"migrate": {"dedicated_host_id": common::DEH}})],
        E::HwBatchAction => vec![
            json!({"os-start": {"servers": [{"id": server}]}}),
            json!({"os-stop": {"servers": [{"id": server}]}}),
            json!({"reboot": {"servers": [{"id": server}], "type": "SOFT"}}),
        ],
        E::HwDelete => vec![json!({"servers": [{"id": server}]})],
        E::NovaServer | E::HwUpdate => vec![json!({"server": {"name": "renamed"}})],
        E::NovaMetadata | E::HwMetadata => vec![json!({"metadata": {"k": "v"}})],
        E::NovaMetadataItem => vec![json!({"meta": {"k": "v"}})],
        E::HwNics => vec![json!({"nics": [{"subnet_id": ecsd::domain::DEFAULT_SUBNET_ID}]})],
        E::HwNicsDelete => vec![json!({"nics": [{"id": "33333333-3333-3333-3333-333333333333"}]})],
        E::NovaInterfaces => vec![json!({"interfaceAttachment": {"net_id": ecsd::domain::DEFAULT_SUBNET_ID}})],
        E::HwAttachVolume | E::NovaVolumeAttachments => {
            vec![json!({"volumeAttachment": {"volumeId": "33333333-3333-3333-3333-333333333333"}})]
        }
        _ => vec![Value::Null],
    }
}

#[tokio::test]
async fn every_server_api_answers_404_for_another_projects_or_accounts_server() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    let p2 = k
        .add_project("local-1_other", &k.caller.domain_id, Some(k.caller.project_id.clone()))
        .await;
    let t2 = token_for(&k, "admin", common::ADMIN_PASSWORD, "ecsd", &p2.id).await;
    // And another account with its own administrator.
    let (_, p3) = k.add_account("elsewhere", "root", "Other-pw-1").await;
    let t3 = token_for(&k, "root", "Other-pw-1", "elsewhere", &p3.id).await;
    let before = k.server(&s.id).await;
    let mut checked = 0;
    for (t2, p2) in [(&t2, &p2), (&t3, &p3)] {
        for op in ecsd::catalog::CATALOG {
            for route in op.routes {
                let by_id = route.path.contains("{server_id}");
                let batch = matches!(
                    route.endpoint,
                    ecsd::catalog::Endpoint::HwBatchAction | ecsd::catalog::Endpoint::HwDelete
                );
                if !by_id && !batch {
                    continue;
                }
                let path = route
                    .path
                    .replace("{project_id}", &p2.id)
                    .replace("{server_id}", &s.id)
                    .replace("{request_id}", "req-00000000-0000-0000-0000-000000000000")
                    .replace("{key}", "k");
                for body in bodies_for(route.endpoint, &s.id) {
                    let req = match route.method {
                        "GET" => get(&path, t2),
                        "DELETE" => delete(&path, t2),
                        method => {
                            let mut r = post(&path, t2, &body.to_string());
                            *r.method_mut() = method.parse().unwrap();
                            r
                        }
                    };
                    let r = call(&k, req).await;
                    assert_eq!(
                        r.status,
                        StatusCode::NOT_FOUND,
                        "{} {path} {body}: {}",
                        route.method,
                        r.body
                    );
                    checked += 1;
                }
            }
        }
        let path = format!("/v1/{}/cloudservers/resize_flavors?instance_uuid={}", p2.id, s.id);
        assert_eq!(call(&k, get(&path, t2)).await.status, StatusCode::NOT_FOUND);
    }
    assert!(checked >= 80, "only {checked} requests checked");
    assert_eq!(k.server(&s.id).await, before, "nothing changed");
}

#[tokio::test]
async fn faults_injected_through_the_admin_api_fail_the_job_as_the_spec_says() {
    let k = kit().await;
    let t = admin_token(&k).await;
    let s = k.active_server("s6.small.1").await;
    let p = k.caller.project_id.clone();
    let rule = json!({"operation": "ecs.batchStop", "step": "power_off", "times": 1, "code": "Ecs.1234", "reason": "disk on fire"});
    let r = call(&k, post("/ecsd/v1/faults", &t, &rule.to_string())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = call(&k, get("/ecsd/v1/faults", &t)).await;
    assert_eq!(r.body["faults"].as_array().map(Vec::len), Some(1));

    let body = json!({"os-stop": {"servers": [{"id": s.id}]}}).to_string();
    let r = call(&k, post(&format!("/v1/{p}/cloudservers/action"), &t, &body)).await;
    assert_eq!(r.status, StatusCode::OK);
    let job_id = r.body["job_id"].as_str().unwrap().to_string();
    k.run().await;
    let r = call(&k, get(&format!("/v1/{p}/jobs/{job_id}"), &t)).await;
    assert_eq!(r.body["status"], "FAIL", "{}", r.body);
    let sub = &r.body["entities"]["sub_jobs"][0];
    assert_eq!(sub["status"], "FAIL");
    assert_eq!(sub["error_code"], "Ecs.1234");
    assert_eq!(sub["fail_reason"], "disk on fire");
    assert!(!r.body["end_time"].as_str().unwrap().is_empty());
    // Nothing had changed yet: the server is rolled back, not in ERROR.
    let srv = k.server(&s.id).await;
    assert_eq!(srv.vm_state, ecsd::domain::VmState::Active);
    assert_eq!(srv.task_state, None);
    // The rule was used up: the next stop works.
    let r = call(&k, post(&format!("/v1/{p}/cloudservers/action"), &t, &body)).await;
    k.run().await;
    let job_id = r.body["job_id"].as_str().unwrap().to_string();
    let r = call(&k, get(&format!("/v1/{p}/jobs/{job_id}"), &t)).await;
    assert_eq!(r.body["status"], "SUCCESS", "{}", r.body);
    // Only administrators manage faults.
    let r = call(&k, Request::get("/ecsd/v1/faults").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
