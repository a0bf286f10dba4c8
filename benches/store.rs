//! Store writes as history grows: one job insert on an empty store and on
//! one that already holds 30,000 jobs; one port's address assigned (and
//! one assigned and released) in a subnet with no port and with 100,000.
//! Each pair should cost the same. Run with `cargo bench --bench store`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench fails loudly

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use ecsd::domain::{Job, JobStatus, Port, DEFAULT_SUBNET_RANGE};
use ecsd::store::prelude::*;
use ecsd::store::sqlite::SqliteStore;
use ecsd::store::NewPort;

fn job(id: String) -> Job {
    Job {
        request_id: format!("req-{id}"),
        id,
        parent_id: None,
        project_id: "p".into(),
        user_id: "u".into(),
        job_type: "stopServer".into(),
        operation: "nova.stop".into(),
        server_id: None,
        params: serde_json::Value::Null,
        status: JobStatus::Success,
        step: 0,
        begin_time: Utc::now(),
        end_time: None,
        error_code: None,
        fail_reason: None,
    }
}

fn job_insert(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for history in [0usize, 30_000] {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let old: Vec<Job> = (0..history).map(|i| job(format!("old-{i}"))).collect();
        rt.block_on(store.insert_jobs(&old)).unwrap();
        let mut n = 0u64;
        c.bench_function(&format!("job_insert/history_{history}"), |b| {
            b.iter(|| {
                n += 1;
                rt.block_on(store.insert_jobs(&[job(format!("new-{n}"))])).unwrap()
            })
        });
    }
}

fn new_port(id: String) -> NewPort {
    NewPort {
        port: Port {
            id,
            server_id: None,
            project_id: "p".into(),
            network_id: "net".into(),
            network_name: String::new(),
            vpc_id: None,
            subnet_id: "subnet".into(),
            ip_address: String::new(),
            mac_address: "fa:16:3e:00:00:00".into(),
            binding_host: None,
            primary: true,
            status: "DOWN".into(),
            security_groups: Vec::new(),
            security_group_names: Vec::new(),
            name: String::new(),
            preserve_on_delete: false,
            floating_ip: None,
        },
        requested: None,
        range: DEFAULT_SUBNET_RANGE,
        pool: None,
        bind_existing: false,
    }
}

fn address_allocate(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for used in [0usize, 100_000] {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        for batch in 0..used / 1000 {
            let ports: Vec<NewPort> = (0..1000).map(|i| new_port(format!("old-{batch}-{i}"))).collect();
            rt.block_on(store.create_servers(&[], &[], &ports, &[], &[])).unwrap();
        }
        let mut n = 0u64;
        c.bench_function(&format!("address_allocate/used_{used}"), |b| {
            b.iter(|| {
                n += 1;
                rt.block_on(store.create_servers(&[], &[], &[new_port(format!("new-{n}"))], &[], &[]))
                    .unwrap()
            })
        });
        // Assign and release: the released address is the next one handed out.
        c.bench_function(&format!("address_reuse/used_{used}"), |b| {
            b.iter(|| {
                n += 1;
                let id = format!("new-{n}");
                rt.block_on(store.create_servers(&[], &[], &[new_port(id.clone())], &[], &[]))
                    .unwrap();
                rt.block_on(store.delete_port(&id)).unwrap()
            })
        });
    }
}

criterion_group!(benches, job_insert, address_allocate);
criterion_main!(benches);
