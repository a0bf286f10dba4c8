//! The write path under contention: a worker that lost its job's lease
//! stops without writing (fencing), and a storm of conflicting actions on
//! one server admits exactly one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use common::*;
use ecsd::catalog::OpId;
use ecsd::control::jobs::Engine;
use ecsd::control::workflows::{RebootInput, StopInput, WorkInput};
use ecsd::domain::{ControlError, JobStatus, PowerState, VmState};
use ecsd::driver::sim::SimDriver;
use ecsd::driver::VmSpec;
use ecsd::store::Store;

/// A simulated driver that holds every step for `ms` and knows `server`'s VM.
fn slow_driver(ms: u64, server: &ecsd::domain::Server) -> Arc<SimDriver> {
    let sim = Arc::new(SimDriver::new(ms, vec![]));
    sim.adopt(
        VmSpec {
            server_id: server.id.clone(),
            host: server.host.clone().expect("placed"),
            vcpus: 1,
            ram_mb: 1024,
            image_id: server.image_id.clone(),
            system_volume_id: String::new(),
        },
        PowerState::Running,
    );
    sim
}

/// Everything a worker writes for a job, as text to compare.
async fn written(store: &Arc<dyn Store>, job_id: &str, server_id: &str) -> String {
    let job = store.get_job(job_id).await.unwrap().unwrap();
    let steps = store.job_steps(job_id).await.unwrap();
    let server = store.get_server(server_id).await.unwrap().unwrap();
    let actions = store.list_actions(server_id).await.unwrap();
    format!("{job:?}\n{steps:?}\n{server:?}\n{actions:?}")
}

async fn node_of(store: &Arc<dyn Store>) -> String {
    store.get_meta("node_id").await.unwrap().expect("node id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_lost_its_lease_stops_without_writing() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    let store = k.service().store.clone();
    let inventory = k.service().inventory.clone();
    // Worker A is this node with short leases and a driver that holds each
    // step for 1.5 s; worker B is another node with the instant driver.
    let a = Engine::with_lease(
        store.clone(),
        slow_driver(1500, &s),
        inventory.clone(),
        node_of(&store).await,
        TimeDelta::milliseconds(300),
    );
    let b = Engine::new(store.clone(), k.app.sim.clone(), inventory, "node-b".into());

    let job = k
        .act(OpId::NovaStop, &s.id, WorkInput::Stop(StopInput::default()))
        .await;
    let a_run = tokio::spawn({
        let a = a.clone();
        async move { a.run_pending().await }
    });
    // A logs the first step and is held in it past its lease.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mid = store.get_job(&job).await.unwrap().unwrap();
    assert_eq!(
        (mid.status, mid.step),
        (JobStatus::Running, 0),
        "A is in its first step"
    );

    // B takes the job over (a new epoch) and finishes it.
    assert_eq!(b.run_pending().await.unwrap(), 1, "B takes over the expired lease");
    let done = store.get_job(&job).await.unwrap().unwrap();
    assert_eq!(done.status, JobStatus::Success, "{:?}", done.fail_reason);
    let server = k.server(&s.id).await;
    assert_eq!((server.vm_state, server.current_job), (VmState::Stopped, None));
    let steps = store.job_steps(&job).await.unwrap();
    assert_eq!(steps[0].attempts, 2, "B ran the step A was stuck in again");
    let after_b = written(&store, &job, &s.id).await;

    // A wakes up, finds its lease gone at its next commit and stops.
    a_run.await.unwrap().unwrap();
    assert_eq!(
        written(&store, &job, &s.id).await,
        after_b,
        "the fenced worker wrote nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_conflicting_actions_admit_exactly_one() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    let store = k.service().store.clone();
    // The worker holds each step for a second, so nothing the storm does
    // can land after the first action finished.
    let worker = Engine::new(
        store.clone(),
        slow_driver(1000, &s),
        k.service().inventory.clone(),
        node_of(&store).await,
    );

    // Half the storm lands on the idle server; the other half while the
    // worker holds the admitted action's first step.
    let (mut admitted, mut refused) = storm(&k, &s.id, 0..500).await;
    let running = tokio::spawn(worker.clone().run());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store.get_job(&admitted[0]).await.unwrap().unwrap().status != JobStatus::Running {
        assert!(std::time::Instant::now() < deadline, "the worker never started the job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (more, more_refused) = storm(&k, &s.id, 500..1000).await;
    admitted.extend(more);
    refused += more_refused;
    assert_eq!(admitted.len(), 1, "exactly one action is admitted");
    assert_eq!(refused, 999);

    // The admitted one runs to its end; the server has one new action.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let job = store.get_job(&admitted[0]).await.unwrap().unwrap();
        if job.status.is_final() {
            assert_eq!(job.status, JobStatus::Success, "{:?}", job.fail_reason);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the admitted job never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let actions = store.list_actions(&s.id).await.unwrap();
    assert_eq!(actions.len(), 2, "create plus the one admitted action: {actions:?}");
    worker.shutdown();
    running.await.unwrap();
}

/// Sends the actions numbered `range` at once (stop, soft reboot, hard
/// stop in turn); returns the admitted job ids and the number refused.
async fn storm(k: &Kit, server_id: &str, range: std::ops::Range<usize>) -> (Vec<String>, usize) {
    let mut storm = tokio::task::JoinSet::new();
    for i in range {
        let service = k.service().clone();
        let caller = k.caller.clone();
        let id = server_id.to_string();
        storm.spawn(async move {
            let (op, input) = match i % 3 {
                0 => (OpId::NovaStop, WorkInput::Stop(StopInput::default())),
                1 => (OpId::NovaRebootSoft, WorkInput::Reboot(RebootInput { hard: false })),
                _ => (OpId::NovaStop, WorkInput::Stop(StopInput { hard: true })),
            };
            service.act(&caller, op, &id, input, &format!("req-storm-{i}")).await
        });
    }
    let mut admitted = Vec::new();
    let mut refused = 0;
    while let Some(r) = storm.join_next().await {
        match r.unwrap() {
            Ok(accepted) => admitted.push(accepted.job_id),
            Err(ControlError::Conflict { .. } | ControlError::InvalidState { .. }) => refused += 1,
            Err(e) => panic!("unexpected refusal: {e:?}"),
        }
    }
    (admitted, refused)
}

/// A burst larger than the engine's room: the claimed jobs beyond it wait
/// in the store, leased to this node, and the engine takes them up as room
/// frees (not after their lease expires), never running more at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_the_engines_room_waits_in_the_store_and_ends() {
    let k = kit().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(k.active_server("s6.small.1").await.id);
    }
    let engine = k.app.engine.clone();
    engine.limit_in_flight(2);
    let running = tokio::spawn(engine.clone().run());
    let mut jobs = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let accepted = k
            .service()
            .act(
                &k.caller,
                OpId::NovaRebootSoft,
                id,
                WorkInput::Reboot(RebootInput { hard: false }),
                &format!("req-burst-{i}"),
            )
            .await
            .unwrap();
        jobs.push(accepted.job_id);
        assert!(engine.in_flight() <= 2, "more jobs running than the room");
    }
    let store = k.service().store.clone();
    // Well inside the 30 s lease: deferred jobs are this node's own.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    for job in &jobs {
        loop {
            assert!(engine.in_flight() <= 2, "more jobs running than the room");
            let j = store.get_job(job).await.unwrap().unwrap();
            if j.status.is_final() {
                assert_eq!(j.status, JobStatus::Success, "{:?}", j.fail_reason);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "job {job} never ended");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    engine.shutdown();
    running.await.unwrap();
}
