//! Store writes as history grows: one job insert on an empty store and on
//! one that already holds 30,000 jobs. The two should cost the same.
//! Run with `cargo bench --bench store`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench fails loudly

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use ecsd::domain::{Job, JobStatus};
use ecsd::store::prelude::*;
use ecsd::store::sqlite::SqliteStore;

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

criterion_group!(benches, job_insert);
criterion_main!(benches);
