//! The request hot paths other than the policy decision (see `policy.rs`):
//! AK/SK signature verification, token hashing, the catalog lookup and
//! admission. Run with `cargo bench --bench hot_paths`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

use axum::http::{HeaderMap, HeaderValue};
use chrono::Utc;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ecsd::api::aksk;
use ecsd::catalog::{self, OpId};
use ecsd::domain::{PowerState, Server, VmState};

const SK: &str = "ExampleSecretKey0000000000000000000000001";
const BODY: &[u8] = br#"{"os-change": {"imageid": "e215580f-73ad-429d-b6f2-5433947433b0", "keyname": "KeyPair-350b", "userid": "7e25b1da389f4697a79df3a0e5bd494e"}}"#;
const PATH: &str = "/v2/0123456789abcdef0123456789abcdef/cloudservers/4f4b3dfa-eb70-47cf-a60a-998a53bd598a/changeos";

fn signed_request() -> (aksk::SignatureHeader, HeaderMap) {
    let date = aksk::format_sdk_date(Utc::now());
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    headers.insert("host", HeaderValue::from_static("127.0.0.1:8774"));
    headers.insert("user-agent", HeaderValue::from_static("huaweicloud-usdk-python/3.0"));
    headers.insert(
        "x-project-id",
        HeaderValue::from_static("0123456789abcdef0123456789abcdef"),
    );
    headers.insert("x-sdk-date", HeaderValue::from_str(&date).expect("date header"));
    let signed: Vec<String> = ["content-type", "host", "user-agent", "x-project-id", "x-sdk-date"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let canon = aksk::canonical_request("POST", PATH, "", &headers, &signed, BODY).expect("canonical request");
    let signature = aksk::sign(SK.as_bytes(), &aksk::string_to_sign(&date, &canon));
    (
        aksk::SignatureHeader {
            access_key: "HPUAEXAMPLEAK0000001".into(),
            signed_headers: signed,
            signature,
        },
        headers,
    )
}

fn server() -> Server {
    let now = Utc::now();
    Server {
        id: "4f4b3dfa-eb70-47cf-a60a-998a53bd598a".into(),
        project_id: "p".into(),
        domain_id: "d".into(),
        user_id: "u".into(),
        name: "s".into(),
        description: String::new(),
        vm_state: VmState::Active,
        task_state: None,
        power_state: PowerState::Running,
        flavor_id: "s6.small.1".into(),
        old_flavor_id: None,
        image_id: "i".into(),
        host: Some("h".into()),
        source_host: None,
        availability_zone: "local-1a".into(),
        dedicated_host_id: None,
        key_name: None,
        user_data: None,
        locked: false,
        locked_by: None,
        locked_reason: None,
        metadata: Default::default(),
        tags: vec![],
        vpc_id: "v".into(),
        fault: None,
        created: now,
        updated: now,
        launched_at: Some(now),
        terminated_at: None,
        generation: 1,
        seq: 1,
        current_job: None,
    }
}

fn hot_paths(c: &mut Criterion) {
    let (sig, headers) = signed_request();
    c.bench_function("aksk_verify_post_with_body", |b| {
        b.iter(|| {
            aksk::verify(
                black_box(&sig),
                SK.as_bytes(),
                "POST",
                PATH,
                "",
                &headers,
                BODY,
                Utc::now(),
            )
            .expect("valid")
        })
    });
    c.bench_function("token_hash", |b| {
        b.iter(|| ecsd::control::identity::token_hash(black_box("yK-Q_5OG4xlOGA1SeBz3x2wzqVFAR3JSzLFRAQST0zI")))
    });
    c.bench_function("catalog_lookup", |b| {
        b.iter(|| catalog::op(black_box(OpId::NovaRebuild)).actions.len())
    });
    let s = server();
    let stop = catalog::op(OpId::NovaStop);
    c.bench_function("admission", |b| {
        b.iter(|| catalog::admit(black_box(stop), black_box(&s), false).is_ok())
    });
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
