//! Every statement the request and engine paths run is an index or key
//! lookup: the workload below goes through the API and the engine with the
//! store's statement log on (`ecsd::sql` at trace level), and each distinct
//! statement it ran must plan without a full scan of a table that grows
//! with use.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

use common::*;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Tables of fixed size (a handful of rows whatever the history), which a
/// scan costs nothing on.
const SMALL_TABLES: &[&str] = &["meta", "counters", "pragma_table_info"];

fn statements() -> &'static Mutex<Vec<String>> {
    static LOG: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LOG.get_or_init(|| Mutex::new(Vec::new()))
}

/// Keeps the text of every `ecsd::sql` event.
struct Statements;

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "ecsd::sql" {
            let mut m = Message(String::new());
            event.record(&mut m);
            statements().lock().unwrap().push(m.0);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_and_engine_paths_never_scan_a_growing_table() {
    let subscriber = tracing_subscriber::registry().with(
        Statements
            .with_filter(tracing_subscriber::filter::Targets::new().with_target("ecsd::sql", tracing::Level::TRACE)),
    );
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
    // Finite quotas (the region's stock defaults), so every create counts usage.
    let k = kit_file(
        ecsd::control::authz::EnforcementMode::Enforce,
        0,
        ecsd::app::config::FileConfig::default(),
    )
    .await;
    let t = admin_token(&k).await;
    let p = k.caller.project_id.clone();
    // Some history first, so the planner sees tables that are not empty.
    let create = json!({"server": {"name": "idx", "imageRef": IMAGE, "flavorRef": "s6.small.1",
        "networks": "auto", "min_count": 3, "max_count": 3}});
    let r = call(&k, post("/v2.1/servers", &t, &create.to_string())).await;
    assert_eq!(r.status, 202, "{}", r.body);
    k.run().await;
    let r = call(&k, get("/v2.1/servers", &t)).await;
    let ids: Vec<String> = r.body["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3);
    statements().lock().unwrap().clear();

    // The workload: reads, Nova actions, a Huawei batch and its job, lock,
    // instance actions, delete.
    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
    let action = |id: &str, body: serde_json::Value| post(&format!("/v2.1/servers/{id}/action"), &t, &body.to_string());
    for body in [
        json!({"os-stop": null}),
        json!({"os-start": null}),
        json!({"reboot": {"type": "SOFT"}}),
        json!({"lock": null}),
        json!({"unlock": null}),
    ] {
        let r = call(&k, action(a, body.clone())).await;
        assert!(r.status == 202 || r.status == 204, "{body}: {} {}", r.status, r.body);
        k.run().await;
    }
    let batch = json!({"os-stop": {"servers": [{"id": b}, {"id": c}]}});
    let r = call(
        &k,
        post(&format!("/v1/{p}/cloudservers/action"), &t, &batch.to_string()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let job = r.body["job_id"].as_str().unwrap().to_string();
    k.run().await;
    let r = call(&k, get(&format!("/v1/{p}/jobs/{job}"), &t)).await;
    assert_eq!(r.body["status"], "SUCCESS", "{}", r.body);
    for path in [
        format!("/v2.1/servers/{a}"),
        format!("/v1/{p}/cloudservers/{a}"),
        format!("/v2.1/servers/{a}/os-instance-actions"),
    ] {
        let r = call(&k, get(&path, &t)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    let r = call(&k, delete(&format!("/v2.1/servers/{c}"), &t)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    k.run().await;
    // The network API: a port made on the default network, then lists.
    let port = json!({"port": {"network_id": ecsd::domain::DEFAULT_SUBNET_ID}});
    let r = call(&k, post("/network/v2.0/ports", &t, &port.to_string())).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Volumes: a create (its quota counts the project's volumes), an
    // attach, an image of a server, and the quota views.
    let r = call(
        &k,
        post(&format!("/volume/v3/{p}/volumes"), &t, r#"{"volume": {"size": 1}}"#),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let volume = r.body["volume"]["id"].as_str().unwrap().to_string();
    let attach = json!({"volumeAttachment": {"volumeId": volume}});
    let r = call(
        &k,
        post(
            &format!("/v2.1/servers/{a}/os-volume_attachments"),
            &t,
            &attach.to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(
        &k,
        post(
            &format!("/v2.1/servers/{a}/action"),
            &t,
            r#"{"createImage": {"name": "idx"}}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    k.run().await;
    for path in [
        format!("/v2.1/{p}/limits"),
        format!("/v2.1/{p}/os-quota-sets/{p}/detail"),
        format!("/volume/v3/{p}/os-quota-sets/{p}?usage=true"),
        format!("/network/v2.0/quotas/{p}/details"),
        "/image/v2/images".to_string(),
        format!("/v2/{p}/cloudvolumes/detail"),
        format!("/v1/{p}/publicips"),
    ] {
        let r = call(&k, get(&path, &t)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    for path in [
        "/network/v2.0/networks".to_string(),
        "/network/v2.0/subnets".to_string(),
        "/network/v2.0/ports".to_string(),
        "/network/v2.0/security-groups".to_string(),
        "/network/v2.0/security-group-rules".to_string(),
        "/network/v2.0/floatingips".to_string(),
        format!("/v1/{p}/vpcs"),
        format!("/v1/{p}/subnets"),
        format!("/volume/v3/{p}/volumes/detail"),
    ] {
        let r = call(&k, get(&path, &t)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }

    let ran: BTreeSet<String> = statements().lock().unwrap().drain(..).collect();
    assert!(ran.len() > 20, "the statement log is on: {ran:?}");
    let scans = scans_of(&k, &ran);
    assert!(scans.is_empty(), "full scans on the hot path:\n{}", scans.join("\n"));

    // Opening a store that holds data (every start-up) scans nothing that
    // grows either: the schema and migrations run on each open.
    ecsd::store::sqlite::SqliteStore::open_with(k.data_dir(), ecsd::store::sqlite::SyncMode::Normal).unwrap();
    let opened: BTreeSet<String> = statements().lock().unwrap().drain(..).collect();
    assert!(
        opened.iter().any(|s| s.contains("counters")),
        "the open was logged: {opened:?}"
    );
    let scans = scans_of(&k, &opened);
    assert!(
        scans.is_empty(),
        "full scans when opening the store:\n{}",
        scans.join("\n")
    );
}

/// Each statement's plan steps that scan a table outside [`SMALL_TABLES`].
fn scans_of(k: &Kit, ran: &BTreeSet<String>) -> Vec<String> {
    let db = rusqlite::Connection::open(k.data_dir().join("ecsd.db")).unwrap();
    let mut scans = Vec::new();
    for sql in ran {
        let head = sql.trim_start().to_ascii_uppercase();
        // Transaction control, pragmas and SQLite's own comments (`-- ...`
        // for what a pragma function runs) have no plan.
        if ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "--"]
            .iter()
            .any(|w| head.starts_with(w))
        {
            continue;
        }
        let mut stmt = db
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap_or_else(|e| panic!("{e}: {sql}"));
        let plan: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for step in plan {
            let Some(table) = step.strip_prefix("SCAN ") else {
                continue;
            };
            let table = table.split_whitespace().next().unwrap_or_default();
            if !SMALL_TABLES.contains(&table) {
                scans.push(format!("{step}  <=  {sql}"));
            }
        }
    }
    scans
}
