//! Sequence numbers come from counters: jobs run in the order they were
//! written, rewriting a job keeps its place, and numbering goes on after
//! the store is opened again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

use chrono::Utc;
use ecsd::domain::{Job, JobStatus};
use ecsd::store::prelude::*;
use ecsd::store::sqlite::SqliteStore;

fn job(id: &str) -> Job {
    Job {
        id: id.into(),
        parent_id: None,
        project_id: "p".into(),
        user_id: "u".into(),
        job_type: "stopServer".into(),
        operation: "nova.stop".into(),
        server_id: Some(format!("server-{id}")),
        params: serde_json::Value::Null,
        status: JobStatus::Init,
        step: 0,
        begin_time: Utc::now(),
        end_time: None,
        error_code: None,
        fail_reason: None,
        request_id: format!("req-{id}"),
    }
}

async fn runnable_ids(store: &dyn Store) -> Vec<String> {
    store
        .runnable_jobs(Some("node"), Utc::now(), usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect()
}

#[tokio::test]
async fn jobs_keep_the_order_they_were_written_in_across_rewrites_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.insert_jobs(&[job("a"), job("b")]).await.unwrap();
        // Rewriting "a" (its status, its step) must not move it behind "b".
        let mut a = job("a");
        a.status = JobStatus::Running;
        a.step = 1;
        store.put_job(&a).await.unwrap();
        store.insert_jobs(&[job("c")]).await.unwrap();
        assert_eq!(runnable_ids(&store).await, ["a", "b", "c"]);
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    store.insert_jobs(&[job("d")]).await.unwrap();
    assert_eq!(runnable_ids(&store).await, ["a", "b", "c", "d"]);
    let mut b = job("b");
    b.status = JobStatus::Success;
    store.put_job(&b).await.unwrap();
    assert_eq!(runnable_ids(&store).await, ["a", "c", "d"]);
}
