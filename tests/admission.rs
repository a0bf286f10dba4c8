//! The admission table (operation x state x lock) as a checked-in golden
//! file, reviewed as text. Regenerate with `UPDATE_GOLDEN=1 cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use chrono::Utc;
use ecsd::catalog::{admit, CATALOG};
use ecsd::domain::{ControlError, PowerState, Server, TaskState, VmState};

const TASKS: [Option<TaskState>; 11] = [
    None,
    Some(TaskState::Scheduling),
    Some(TaskState::PoweringOff),
    Some(TaskState::PoweringOn),
    Some(TaskState::Rebooting),
    Some(TaskState::RebootingHard),
    Some(TaskState::ResizePrep),
    Some(TaskState::ResizeReverting),
    Some(TaskState::Rebuilding),
    Some(TaskState::Migrating),
    Some(TaskState::Deleting),
];

fn server(vm: VmState, task: Option<TaskState>, locked: bool, launched: bool) -> Server {
    let now = Utc::now();
    Server {
        id: "00000000-0000-0000-0000-000000000001".into(),
        project_id: "p".into(),
        domain_id: "d".into(),
        user_id: "u".into(),
        name: "s".into(),
        description: String::new(),
        vm_state: vm,
        task_state: task,
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
        locked,
        locked_by: None,
        locked_reason: None,
        metadata: Default::default(),
        tags: vec![],
        vpc_id: "v".into(),
        fault: None,
        created: now,
        updated: now,
        launched_at: launched.then_some(now),
        terminated_at: None,
        generation: 1,
        seq: 1,
        current_job: None,
    }
}

fn verdict(r: Result<(), ControlError>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(ControlError::Locked { .. }) => "409 locked".into(),
        Err(ControlError::InvalidState { vm_state: Some(v), .. }) => format!("409 vm_state {}", v.as_str()),
        Err(ControlError::InvalidState {
            task_state: Some(Some(t)),
            ..
        }) => format!("409 task_state {}", t.as_str()),
        Err(ControlError::InvalidState { .. }) => "409 not launched".into(),
        Err(e) => format!("unexpected {e:?}"),
    }
}

fn table() -> String {
    let mut out =
        String::from("# operation | vm_state | task_state | unlocked | locked (caller cannot bypass locks)\n");
    for op in CATALOG.iter().filter(|o| o.states.is_some() || o.workflow.is_some()) {
        for vm in VmState::ALL {
            for task in TASKS {
                let open = verdict(admit(op, &server(vm, task, false, true), false));
                let locked = verdict(admit(op, &server(vm, task, true, true), false));
                let t = task.map(|t| t.as_str()).unwrap_or("-");
                out.push_str(&format!("{} | {} | {t} | {open} | {locked}\n", op.name(), vm.as_str()));
            }
        }
        let never = verdict(admit(op, &server(VmState::Active, None, false, false), false));
        out.push_str(&format!("{} | active, never launched | - | {never} | -\n", op.name()));
    }
    out
}

#[test]
fn admission_table_matches_golden_file() {
    common::assert_golden("admission.txt", &table());
}

#[test]
fn spot_checks_follow_nova() {
    let stop = CATALOG.iter().find(|o| o.name() == "nova.stop").unwrap();
    assert_eq!(
        verdict(admit(stop, &server(VmState::Stopped, None, false, true), false)),
        "409 vm_state stopped"
    );
    assert_eq!(
        verdict(admit(
            stop,
            &server(VmState::Active, Some(TaskState::PoweringOff), false, true),
            false
        )),
        "409 task_state powering-off"
    );
    assert_eq!(
        verdict(admit(stop, &server(VmState::Stopped, None, true, true), false)),
        "409 locked"
    );
    assert_eq!(
        verdict(admit(stop, &server(VmState::Stopped, None, true, true), true)),
        "409 vm_state stopped"
    );
    let hard = CATALOG.iter().find(|o| o.name() == "nova.reboot.hard").unwrap();
    assert_eq!(
        verdict(admit(
            hard,
            &server(VmState::Active, Some(TaskState::Rebooting), false, true),
            false
        )),
        "ok"
    );
    let lock = CATALOG.iter().find(|o| o.name() == "nova.lock").unwrap();
    assert_eq!(
        verdict(admit(
            lock,
            &server(VmState::Error, Some(TaskState::Rebuilding), true, true),
            false
        )),
        "ok"
    );
}
