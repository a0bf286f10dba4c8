//! Every workflow, run three ways: straight through; interrupted at each
//! step (before it, and after its effect but before its commit, so that
//! recovery repeats it) and then recovered; and failed at each step.
//! Interrupted runs must end exactly where the straight run ends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use common::{kit, Kit, DEH, IMAGE2};
use ecsd::catalog::{op, OpId};
use ecsd::control::jobs::CrashPoint;
use ecsd::control::workflows::{
    bind, DeleteInput, HwResizeInput, LockInput, MigrateInput, RebootInput, RebuildInput, ReinstallOsInput,
    ResizeInput, RunState, Step, StopInput, WorkInput,
};
use ecsd::domain::{JobStatus, PowerState, Server, VmState};
use ecsd::driver::faults::{FaultInjection, FaultRule};

/// The states a scenario starts from.
#[derive(Clone, Copy, Debug)]
enum Start {
    Active,
    Stopped,
    Resized,
}

struct Scenario {
    op: OpId,
    start: Start,
    params: fn() -> WorkInput,
    expect_vm: VmState,
    expect_power: PowerState,
}

fn start() -> WorkInput {
    WorkInput::Start
}
fn stop() -> WorkInput {
    WorkInput::Stop(StopInput::default())
}
fn soft() -> WorkInput {
    WorkInput::Reboot(RebootInput { hard: false })
}
fn hard() -> WorkInput {
    WorkInput::Reboot(RebootInput { hard: true })
}
fn to_medium() -> WorkInput {
    WorkInput::Resize(ResizeInput {
        flavor_id: "s6.medium.2".into(),
    })
}
fn confirm() -> WorkInput {
    WorkInput::ConfirmResize
}
fn revert() -> WorkInput {
    WorkInput::RevertResize
}
fn hw_to_medium() -> WorkInput {
    WorkInput::HwResize(HwResizeInput {
        flavor_id: "s6.medium.2".into(),
        restart_after: false,
    })
}
fn hw_to_medium_restart() -> WorkInput {
    WorkInput::HwResize(HwResizeInput {
        flavor_id: "s6.medium.2".into(),
        restart_after: true,
    })
}
fn image2() -> WorkInput {
    WorkInput::Rebuild(RebuildInput {
        image_id: IMAGE2.into(),
        ..RebuildInput::default()
    })
}
fn change_os() -> WorkInput {
    WorkInput::ReinstallOs(ReinstallOsInput {
        image_id: Some(IMAGE2.into()),
        ..ReinstallOsInput::default()
    })
}
fn change_os_restart() -> WorkInput {
    WorkInput::ReinstallOs(ReinstallOsInput {
        image_id: Some(IMAGE2.into()),
        restart_after: true,
        ..ReinstallOsInput::default()
    })
}
fn reinstall() -> WorkInput {
    WorkInput::ReinstallOs(ReinstallOsInput::default())
}
fn to_deh() -> WorkInput {
    WorkInput::Migrate(MigrateInput {
        dedicated_host_id: Some(DEH.into()),
    })
}
fn delete() -> WorkInput {
    WorkInput::Delete(DeleteInput::default())
}
fn snapshot() -> WorkInput {
    WorkInput::CreateImage(ecsd::control::workflows::CreateImageInput {
        image_id: "77777777-7777-4777-8777-777777777777".into(),
        name: "snap".into(),
        ..Default::default()
    })
}

fn scenarios() -> Vec<Scenario> {
    use OpId::*;
    let s = |op, start, params: fn() -> WorkInput, expect_vm, expect_power| Scenario {
        op,
        start,
        params,
        expect_vm,
        expect_power,
    };
    vec![
        s(NovaStop, Start::Active, stop, VmState::Stopped, PowerState::Shutdown),
        s(NovaStart, Start::Stopped, start, VmState::Active, PowerState::Running),
        s(
            NovaRebootSoft,
            Start::Active,
            soft,
            VmState::Active,
            PowerState::Running,
        ),
        s(
            NovaRebootHard,
            Start::Stopped,
            hard,
            VmState::Active,
            PowerState::Running,
        ),
        s(
            NovaResize,
            Start::Active,
            to_medium,
            VmState::Resized,
            PowerState::Running,
        ),
        s(
            NovaResize,
            Start::Stopped,
            to_medium,
            VmState::Resized,
            PowerState::Shutdown,
        ),
        s(
            NovaConfirmResize,
            Start::Resized,
            confirm,
            VmState::Active,
            PowerState::Running,
        ),
        s(
            NovaRevertResize,
            Start::Resized,
            revert,
            VmState::Active,
            PowerState::Running,
        ),
        s(NovaRebuild, Start::Active, image2, VmState::Active, PowerState::Running),
        s(
            NovaRebuild,
            Start::Stopped,
            image2,
            VmState::Stopped,
            PowerState::Shutdown,
        ),
        s(
            HwChangeOs,
            Start::Stopped,
            change_os,
            VmState::Stopped,
            PowerState::Shutdown,
        ),
        s(
            HwChangeOsWithStop,
            Start::Active,
            change_os_restart,
            VmState::Active,
            PowerState::Running,
        ),
        s(
            HwReinstallOs,
            Start::Stopped,
            reinstall,
            VmState::Stopped,
            PowerState::Shutdown,
        ),
        s(
            HwResize,
            Start::Stopped,
            hw_to_medium,
            VmState::Stopped,
            PowerState::Shutdown,
        ),
        s(
            HwResizeWithStop,
            Start::Active,
            hw_to_medium_restart,
            VmState::Active,
            PowerState::Running,
        ),
        s(
            HwMigrate,
            Start::Stopped,
            to_deh,
            VmState::Stopped,
            PowerState::Shutdown,
        ),
        s(NovaDelete, Start::Active, delete, VmState::Deleted, PowerState::NoState),
        s(HwBatchStop, Start::Active, stop, VmState::Stopped, PowerState::Shutdown),
        s(
            NovaCreateImage,
            Start::Active,
            snapshot,
            VmState::Active,
            PowerState::Running,
        ),
        s(
            NovaCreateImage,
            Start::Stopped,
            snapshot,
            VmState::Stopped,
            PowerState::Shutdown,
        ),
    ]
}

async fn prepared(k: &Kit, start: Start) -> Server {
    let s = k.active_server("s6.small.1").await;
    match start {
        Start::Active => {}
        Start::Stopped => {
            k.act(OpId::NovaStop, &s.id, stop()).await;
            k.run().await;
        }
        Start::Resized => {
            k.act(OpId::NovaResize, &s.id, to_medium()).await;
            k.run().await;
        }
    }
    let s = k.server(&s.id).await;
    assert_eq!(s.task_state, None);
    s
}

/// What must match between a straight run and a recovered one.
fn outcome(
    s: &Server,
) -> (
    VmState,
    Option<ecsd::domain::TaskState>,
    PowerState,
    String,
    String,
    bool,
    Option<String>,
) {
    (
        s.vm_state,
        s.task_state,
        s.power_state,
        s.flavor_id.clone(),
        s.image_id.clone(),
        s.host.is_some(),
        s.dedicated_host_id.clone(),
    )
}

async fn straight(sc: &Scenario) -> (Server, usize) {
    let k = kit().await;
    let s = prepared(&k, sc.start).await;
    let job = k.act(sc.op, &s.id, (sc.params)()).await;
    k.run().await;
    let done = k.server(&s.id).await;
    let j = k.service().store.get_job(&job).await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Success, "{:?}: {:?}", sc.op, j.fail_reason);
    assert_eq!(done.vm_state, sc.expect_vm, "{:?}", sc.op);
    assert_eq!(done.power_state, sc.expect_power, "{:?}", sc.op);
    assert_eq!(done.task_state, None);
    assert_eq!(done.current_job, None);
    let steps = k.service().store.job_steps(&job).await.unwrap();
    assert!(steps.iter().all(|s| s.attempts == 1 && s.finished_at.is_some()));
    (done, steps.len())
}

/// The steps a scenario's workflow plans for the server as prepared.
fn plan_of(sc: &Scenario, s: &Server) -> Vec<Step> {
    let workflow = op(sc.op).workflow.expect("stateful operation");
    let run = RunState {
        prev_vm_state: Some(s.vm_state),
        was_running: s.power_state == PowerState::Running,
        ..RunState::default()
    };
    bind(workflow, &(sc.params)()).expect("input fits").plan(&run)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workflow_finishes_and_survives_interruption_at_every_step() {
    for sc in scenarios() {
        let (expected, n_steps) = straight(&sc).await;
        let name = op(sc.op).name();
        for index in 0..n_steps {
            for point in [CrashPoint::BeforeStep(index), CrashPoint::AfterEffect(index)] {
                let k = kit().await;
                let s = prepared(&k, sc.start).await;
                k.app.engine.crash_at(name, point);
                let job = k.act(sc.op, &s.id, (sc.params)()).await;
                let first = k.app.engine.run_pending().await;
                assert!(first.is_err(), "{name} {point:?}: the simulated crash did not happen");
                // Recovery: the job is picked up again and re-runs the current step.
                k.run().await;
                let done = k.server(&s.id).await;
                let j = k.service().store.get_job(&job).await.unwrap().unwrap();
                assert_eq!(j.status, JobStatus::Success, "{name} {point:?}: {:?}", j.fail_reason);
                assert_eq!(outcome(&done), outcome(&expected), "{name} {point:?}");
                if let CrashPoint::AfterEffect(i) = point {
                    // A step that only changes the record is committed with the
                    // step it leads to, so its first run left no log to count.
                    let steps = k.service().store.job_steps(&job).await.unwrap();
                    let logged_before_it_ran = !plan_of(&sc, &s)[i].records_only();
                    if logged_before_it_ran {
                        assert_eq!(steps[i].attempts, 2, "{name}: step {i} should have run twice");
                    }
                }
                let vols = k.service().store.volumes_of(&s.id).await.unwrap();
                if done.vm_state != VmState::Deleted {
                    assert_eq!(
                        vols.iter().filter(|v| v.bootable).count(),
                        1,
                        "{name} {point:?}: one system disk"
                    );
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_at_any_step_fails_the_job_and_leaves_no_task_in_flight() {
    for sc in scenarios() {
        let name = op(sc.op).name();
        let workflow = op(sc.op).workflow.expect("stateful operation");
        let k0 = kit().await;
        let s0 = prepared(&k0, sc.start).await;
        let input = (sc.params)();
        let run = RunState {
            prev_vm_state: Some(s0.vm_state),
            was_running: s0.power_state == PowerState::Running,
            ..RunState::default()
        };
        let steps = bind(workflow, &input).expect("input fits").plan(&run);
        for step in steps.iter().filter(|s| s.name() != "finish") {
            let k = kit().await;
            let s = prepared(&k, sc.start).await;
            let sim = k.app.sim.clone();
            sim.add_fault(FaultRule {
                operation: name.into(),
                step: step.name().into(),
                times: 1,
                server_id: None,
                code: "Ecs.1000".into(),
                reason: "injected".into(),
            });
            let job = k.act(sc.op, &s.id, (sc.params)()).await;
            k.run().await;
            let j = k.service().store.get_job(&job).await.unwrap().unwrap();
            let done = k.server(&s.id).await;
            // Batch jobs report on their sub-job.
            let failed = if j.server_id.is_none() {
                k.service().store.sub_jobs(&job).await.unwrap().remove(0)
            } else {
                j.clone()
            };
            assert_eq!(failed.status, JobStatus::Fail, "{name} at {}", step.name());
            assert_eq!(failed.error_code.as_deref(), Some("Ecs.1000"));
            assert_eq!(failed.fail_reason.as_deref(), Some("injected"));
            assert_eq!(done.task_state, None, "{name} at {}", step.name());
            assert_eq!(done.current_job, None);
            let destructive = steps
                .iter()
                .take_while(|x| x != &step)
                .chain(std::iter::once(step))
                .any(|x| x.destructive());
            if destructive {
                assert_eq!(done.vm_state, VmState::Error, "{name} at {}", step.name());
                assert!(done.fault.is_some());
            } else {
                assert_eq!(done.vm_state, s.vm_state, "{name} at {}: rolled back", step.name());
            }
            if let Some(parent) = &j.parent_id.clone().or((j.server_id.is_none()).then(|| j.id.clone())) {
                let parent = k.service().store.get_job(parent).await.unwrap().unwrap();
                assert_eq!(parent.status, JobStatus::Fail);
            }
        }
    }
}

#[tokio::test]
async fn create_recovers_from_a_crash_at_every_step() {
    let mut crashed = 0;
    for index in 0..20 {
        let k = kit().await;
        k.app
            .engine
            .crash_at("ecs.createServers", CrashPoint::AfterEffect(index));
        let id = k.create_server("s6.small.1").await;
        let first = k.app.engine.run_pending().await;
        if k.app.engine.crash_armed() {
            // The plan has fewer steps than `index`: every step was covered.
            assert!(first.is_ok());
            break;
        }
        crashed += 1;
        assert!(first.is_err());
        k.run().await;
        let s = k.server(&id).await;
        assert_eq!(s.vm_state, VmState::Active, "crash after step {index}");
        assert_eq!(s.power_state, PowerState::Running);
        assert!(s.launched_at.is_some() && s.host.is_some());
        let ports = k.service().store.ports_of(&id).await.unwrap();
        assert!(ports.iter().all(|p| p.binding_host == s.host));
    }
    assert!(crashed >= 8, "create has at least eight steps, crashed in {crashed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locking_a_server_mid_step_neither_breaks_nor_loses_either() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    // The lock lands inside the resize's power-off step, after the step read the
    // server and before it commits.
    let service = k.service().clone();
    let caller = k.caller.clone();
    let id = s.id.clone();
    let sim = k.app.sim.clone();
    sim.on_step(std::sync::Arc::new(move |ctx| {
        if ctx.operation == "nova.resize" && ctx.step == "power_off" {
            let lock = WorkInput::Lock(LockInput {
                reason: Some("audit".into()),
            });
            let handle = tokio::runtime::Handle::current();
            tokio::task::block_in_place(|| {
                handle
                    .block_on(service.act(&caller, OpId::NovaLock, &id, lock, "req-lock"))
                    .expect("lock accepted")
            });
        }
    }));
    let resize = k.act(OpId::NovaResize, &s.id, to_medium()).await;
    k.run().await;
    let j = k.service().store.get_job(&resize).await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Success, "{:?}", j.fail_reason);
    let done = k.server(&s.id).await;
    assert!(done.locked, "the lock landed");
    assert_eq!(done.vm_state, VmState::Resized);
    assert_eq!(done.task_state, None);
    assert_eq!(
        done.locked_reason.as_deref(),
        Some("audit"),
        "the lock survives the workflow's writes"
    );
}

#[tokio::test]
async fn a_hard_reboot_takes_over_a_soft_one() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    let soft = k.act(OpId::NovaRebootSoft, &s.id, soft()).await;
    let hard = k.act(OpId::NovaRebootHard, &s.id, hard()).await;
    k.run().await;
    let soft = k.service().store.get_job(&soft).await.unwrap().unwrap();
    let hard = k.service().store.get_job(&hard).await.unwrap().unwrap();
    assert_eq!(soft.status, JobStatus::Fail, "the soft reboot was superseded");
    assert_eq!(hard.status, JobStatus::Success);
    let done = k.server(&s.id).await;
    assert_eq!(
        (done.vm_state, done.task_state, done.current_job),
        (VmState::Active, None, None)
    );
}

#[tokio::test]
async fn delete_keeps_data_volumes_unless_asked() {
    for delete_data in [false, true] {
        let k = kit().await;
        let s = k.active_server("s6.small.1").await;
        let vols = k.service().store.volumes_of(&s.id).await.unwrap();
        let data = vols
            .iter()
            .find(|v| !v.bootable)
            .expect("the kit attaches a data volume")
            .id
            .clone();
        let params = WorkInput::Delete(DeleteInput {
            delete_data_volumes: delete_data,
        });
        k.service()
            .batch(
                &k.caller,
                OpId::HwDelete,
                std::slice::from_ref(&s.id),
                params,
                "req-del",
            )
            .await
            .unwrap();
        k.run().await;
        assert_eq!(k.server(&s.id).await.vm_state, VmState::Deleted);
        assert!(k.service().store.volumes_of(&s.id).await.unwrap().is_empty());
        let left = k.service().store.get_volume(&data).await.unwrap();
        match (delete_data, left) {
            (true, None) => {}
            (false, Some(v)) => assert_eq!((v.status.as_str(), v.server_id), ("available", None)),
            other => panic!("delete_data_volumes={delete_data}: {other:?}"),
        }
        assert!(
            k.service().store.ports_of(&s.id).await.unwrap().is_empty(),
            "ports go with the server"
        );
    }
}

#[tokio::test]
async fn what_the_driver_cannot_do_is_refused_before_anything_changes() {
    let k = kit().await;
    let s = k.active_server("s6.small.1").await;
    let base = k.service();
    let limited = ecsd::control::service::Service {
        store: base.store.clone(),
        engine: base.engine.clone(),
        inventory: base.inventory.clone(),
        authorizer: base.authorizer.clone(),
        capabilities: ecsd::driver::Capabilities {
            resize: false,
            rebuild: true,
            cold_migrate: true,
        },
        faults: None,
        quota_defaults: Default::default(),
        quota_locks: ecsd::control::service::quota_locks(),
    };
    let err = limited
        .act(&k.caller, OpId::NovaResize, &s.id, to_medium(), "req-x")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not support resize"), "{err}");
    assert_eq!(k.server(&s.id).await, s, "nothing changed");
    limited
        .act(&k.caller, OpId::NovaStop, &s.id, stop(), "req-y")
        .await
        .expect("stop is supported");
}

/// The background engine, many short jobs at once: every job runs once and
/// ends in success (a stale scan must never run a finished job again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_engine_runs_every_job_exactly_once() {
    let k = kit().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(k.create_server("s6.small.1").await);
    }
    let engine = tokio::spawn(k.app.engine.clone().run());
    let wait_parent = |job: String| {
        let store = k.service().store.clone();
        async move {
            for _ in 0..500 {
                let j = store.get_job(&job).await.unwrap().unwrap();
                if j.status.is_final() {
                    return j;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            panic!("job {job} did not finish");
        }
    };
    for _ in 0..200 {
        let all_active = {
            let mut ok = true;
            for id in &ids {
                ok &= k.server(id).await.vm_state == VmState::Active;
            }
            ok
        };
        if all_active {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for (op, params) in [
        (OpId::HwBatchStop, stop()),
        (OpId::HwBatchStart, start()),
        (OpId::HwBatchRebootHard, hard()),
        (OpId::HwDelete, delete()),
    ] {
        let parent = k
            .service()
            .batch(&k.caller, op, &ids, params, "req-batch")
            .await
            .unwrap();
        let done = wait_parent(parent.clone()).await;
        let subs = k.service().store.sub_jobs(&parent).await.unwrap();
        assert_eq!(
            done.status,
            JobStatus::Success,
            "{op:?}: {:?}",
            subs.iter().map(|j| &j.fail_reason).collect::<Vec<_>>()
        );
        for j in subs {
            let steps = k.service().store.job_steps(&j.id).await.unwrap();
            assert!(
                steps.iter().all(|s| s.attempts == 1),
                "{op:?}: a step ran twice without a crash"
            );
        }
    }
    k.app.engine.shutdown();
    engine.await.unwrap();
}

/// The store's per-host, per-flavor counts equal what its live servers take.
async fn placement_counts_match(k: &Kit, label: &str) {
    let store = &k.service().store;
    let mut expected: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for s in store.live_servers().await.unwrap() {
        if let Some(h) = &s.host {
            *expected.entry((h.clone(), s.flavor_id.clone())).or_default() += 1;
        }
        if let (Some(h), Some(f)) = (&s.source_host, &s.old_flavor_id) {
            *expected.entry((h.clone(), f.clone())).or_default() += 1;
        }
    }
    let actual: std::collections::BTreeMap<(String, String), i64> = store
        .host_flavor_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|(h, f, n)| ((h, f), n))
        .collect();
    assert_eq!(actual, expected, "{label}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placement_counts_follow_every_move() {
    let k = kit().await;
    let a = k.active_server("s6.small.1").await;
    let b = k.active_server("s6.small.1").await;
    let c = k.active_server("s6.small.1").await;
    let d = k.active_server("s6.small.1").await;
    placement_counts_match(&k, "created").await;
    for (op, id, input, label) in [
        (OpId::NovaResize, &a.id, to_medium(), "resized, awaiting confirmation"),
        (OpId::NovaConfirmResize, &a.id, confirm(), "resize confirmed"),
        (OpId::NovaResize, &b.id, to_medium(), "second resize"),
        (OpId::NovaRevertResize, &b.id, revert(), "resize reverted"),
        (OpId::NovaStop, &c.id, stop(), "stopped"),
        (OpId::HwMigrate, &c.id, to_deh(), "migrated to a dedicated host"),
        (OpId::HwDelete, &d.id, delete(), "deleted"),
    ] {
        k.act(op, id, input).await;
        k.run().await;
        placement_counts_match(&k, label).await;
    }
    assert_eq!(k.server(&a.id).await.flavor_id, "s6.medium.2");
    assert_eq!(k.server(&c.id).await.host.as_deref(), Some(DEH));
}
