//! Huawei Cloud ECS: the seed's rows 1-4, the server lifecycle, batches,
//! flavors and jobs (`/v1`, `/v1.1`, `/v2` cloudservers).

use super::{
    routes, row, selected, Access, Endpoint, LockRule, OpId, Operation, Route, Selector, StateRule, Workflow, IDLE,
};
use crate::domain::{TaskState, VmState};

const fn key(key: &'static str) -> Selector {
    Selector {
        key: Some(key),
        field: None,
    }
}

const fn key_with(key: &'static str, field: &'static str, value: &'static str) -> Selector {
    Selector {
        key: Some(key),
        field: Some((field, value)),
    }
}

const CHANGEOS_PATHS: [&str; 2] = [
    "/v2/{project_id}/cloudservers/{server_id}/changeos",
    "/v1/{project_id}/cloudservers/{server_id}/changeos",
];
const REINSTALL_PATHS: [&str; 2] = [
    "/v2/{project_id}/cloudservers/{server_id}/reinstallos",
    "/v1/{project_id}/cloudservers/{server_id}/reinstallos",
];
const RESIZE_PATHS: [&str; 2] = [
    "/v1/{project_id}/cloudservers/{server_id}/resize",
    "/v1.1/{project_id}/cloudservers/{server_id}/resize",
];
const CHANGEOS: &[Route] = &selected("POST", CHANGEOS_PATHS, Endpoint::HwChangeOs, key("os-change"));
const CHANGEOS_WITH_STOP: &[Route] = &selected(
    "POST",
    CHANGEOS_PATHS,
    Endpoint::HwChangeOs,
    key_with("os-change", "mode", "withStopServer"),
);
const REINSTALL: &[Route] = &selected("POST", REINSTALL_PATHS, Endpoint::HwReinstallOs, key("os-reinstall"));
const REINSTALL_WITH_STOP: &[Route] = &selected(
    "POST",
    REINSTALL_PATHS,
    Endpoint::HwReinstallOs,
    key_with("os-reinstall", "mode", "withStopServer"),
);
const RESIZE: &[Route] = &selected("POST", RESIZE_PATHS, Endpoint::HwResize, key("resize"));
const RESIZE_WITH_STOP: &[Route] = &selected(
    "POST",
    RESIZE_PATHS,
    Endpoint::HwResize,
    key_with("resize", "mode", "withStopServer"),
);

const STOPPED_OR_ERROR: &[VmState] = &[VmState::Stopped, VmState::Error];
const ACTIVE_STOPPED_OR_ERROR: &[VmState] = &[VmState::Active, VmState::Stopped, VmState::Error];
pub(super) const ANY_LIVE: &[VmState] = &[
    VmState::Building,
    VmState::Active,
    VmState::Stopped,
    VmState::Resized,
    VmState::Error,
];

/// Tasks during which a hard reboot may still start (Nova lets it preempt a soft one).
pub(super) const HARD_REBOOT_TASKS: &[Option<TaskState>] = &[
    None,
    Some(TaskState::Rebooting),
    Some(TaskState::RebootPending),
    Some(TaskState::RebootStarted),
    Some(TaskState::RebootingHard),
    Some(TaskState::RebootPendingHard),
    Some(TaskState::RebootStartedHard),
];

/// A state-changing row on one server: admitted when idle in `vm_states`,
/// refused while locked, claimed with `claim` and carried out by `workflow`.
#[allow(clippy::too_many_arguments)]
pub(super) const fn change(
    id: OpId,
    summary: &'static str,
    routes: &'static [Route],
    actions: &'static [&'static str],
    vm_states: &'static [VmState],
    claim: TaskState,
    workflow: Workflow,
    job_type: &'static str,
    instance_action: &'static str,
) -> Operation {
    Operation {
        states: Some(StateRule {
            vm_states,
            task_states: IDLE,
            needs_launched: false,
        }),
        lock: LockRule::Checked,
        claim_task: Some(claim),
        workflow: Some(workflow),
        job_type: Some(job_type),
        instance_action: Some(instance_action),
        conflict_name: instance_action,
        ..row(id, summary, routes, actions)
    }
}

/// Active or stopped, with no operation in flight: what changes to what a
/// server holds (volumes, NICs, metadata) are admitted in.
const ACTIVE_OR_STOPPED_IDLE: StateRule = StateRule {
    vm_states: &[VmState::Active, VmState::Stopped],
    task_states: IDLE,
    needs_launched: false,
};

/// Attaching or detaching a volume: admitted like a change (idle, active or
/// stopped, refused while locked) but it claims no task state and runs no
/// workflow: the volume's record changes with its job, finished at once, in
/// one transaction that also checks the server did not move meanwhile.
pub(super) const fn attachment(
    id: OpId,
    summary: &'static str,
    routes: &'static [Route],
    actions: &'static [&'static str],
    job_type: &'static str,
    instance_action: &'static str,
) -> Operation {
    Operation {
        states: Some(ACTIVE_OR_STOPPED_IDLE),
        lock: LockRule::Checked,
        job_type: Some(job_type),
        instance_action: Some(instance_action),
        conflict_name: instance_action,
        ..row(id, summary, routes, actions)
    }
}

/// [`change`] for a Huawei row, whose IAM Resource may name the server.
#[allow(clippy::too_many_arguments)]
const fn hw_change(
    id: OpId,
    summary: &'static str,
    seed_row: Option<u8>,
    routes: &'static [Route],
    action: &'static [&'static str],
    vm_states: &'static [VmState],
    claim: TaskState,
    workflow: Workflow,
    job_type: &'static str,
    instance_action: &'static str,
) -> Operation {
    Operation {
        seed_row,
        instance_authz: true,
        ..change(
            id,
            summary,
            routes,
            action,
            vm_states,
            claim,
            workflow,
            job_type,
            instance_action,
        )
    }
}

/// Admitted once the server has booted, and with the given task states.
const fn launched(mut o: Operation, task_states: &'static [Option<TaskState>]) -> Operation {
    if let Some(rule) = o.states {
        o.states = Some(StateRule {
            vm_states: rule.vm_states,
            task_states,
            needs_launched: true,
        });
    }
    o
}

/// With the conflict name in Nova's texts, where it differs from the instance action.
const fn named(mut o: Operation, conflict_name: &'static str) -> Operation {
    o.conflict_name = conflict_name;
    o
}

pub(super) const ROWS: &[Operation] = &[
    // ---- the seed's rows 1-4 ----
    named(
        hw_change(
            OpId::HwChangeOs,
            "Change a stopped server's OS to a new image",
            Some(1),
            CHANGEOS,
            &["ecs:cloudServers:changeOS"],
            STOPPED_OR_ERROR,
            TaskState::Rebuilding,
            Workflow::ReinstallOs,
            "changeOS",
            "rebuild",
        ),
        "changeOS",
    ),
    named(
        hw_change(
            OpId::HwChangeOsWithStop,
            "Change a server's OS, stopping it first (mode=withStopServer)",
            Some(1),
            CHANGEOS_WITH_STOP,
            &["ecs:cloudServers:changeOS"],
            ACTIVE_STOPPED_OR_ERROR,
            TaskState::Rebuilding,
            Workflow::ReinstallOs,
            "changeOS",
            "rebuild",
        ),
        "changeOS",
    ),
    named(
        hw_change(
            OpId::HwReinstallOs,
            "Reinstall a stopped server's current OS",
            Some(2),
            REINSTALL,
            &["ecs:cloudServers:rebuild"],
            STOPPED_OR_ERROR,
            TaskState::Rebuilding,
            Workflow::ReinstallOs,
            "reinstallOS",
            "rebuild",
        ),
        "reinstallOS",
    ),
    named(
        hw_change(
            OpId::HwReinstallOsWithStop,
            "Reinstall a server's OS, stopping it first (mode=withStopServer)",
            Some(2),
            REINSTALL_WITH_STOP,
            &["ecs:cloudServers:rebuild"],
            ACTIVE_STOPPED_OR_ERROR,
            TaskState::Rebuilding,
            Workflow::ReinstallOs,
            "reinstallOS",
            "rebuild",
        ),
        "reinstallOS",
    ),
    hw_change(
        OpId::HwResize,
        "Change a stopped server's flavor",
        Some(3),
        RESIZE,
        &["ecs:cloudServers:resize"],
        &[VmState::Stopped],
        TaskState::ResizePrep,
        Workflow::HwResize,
        "resizeServer",
        "resize",
    ),
    hw_change(
        OpId::HwResizeWithStop,
        "Change a server's flavor, stopping and restarting it (mode=withStopServer)",
        Some(3),
        RESIZE_WITH_STOP,
        &["ecs:cloudServers:resize"],
        &[VmState::Active, VmState::Stopped],
        TaskState::ResizePrep,
        Workflow::HwResize,
        "resizeServer",
        "resize",
    ),
    hw_change(
        OpId::HwMigrate,
        "Cold-migrate a stopped server to a dedicated host, or back to a shared one",
        Some(4),
        routes!(Endpoint::HwMigrate; "POST" "/v1/{project_id}/cloudservers/{server_id}/migrate"),
        &["ecs:cloudServers:migrate"],
        &[VmState::Stopped],
        TaskState::Migrating,
        Workflow::Migrate,
        "migrateServer",
        "migrate",
    ),
    // ---- lifecycle ----
    Operation {
        claim_task: Some(TaskState::Scheduling),
        workflow: Some(Workflow::Create),
        job_type: Some("createServer"),
        sub_job_type: Some("createSingleServer"),
        instance_action: Some("create"),
        conflict_name: "create",
        ..row(
            OpId::HwCreate,
            "Create pay-per-use servers",
            routes!(Endpoint::HwCreate;
                "POST" "/v1/{project_id}/cloudservers",
                "POST" "/v1.1/{project_id}/cloudservers",
            ),
            &["ecs:cloudServers:createServers"],
        )
    },
    hw_change(
        OpId::HwDelete,
        "Delete servers (batch)",
        None,
        routes!(Endpoint::HwDelete; "POST" "/v1/{project_id}/cloudservers/delete"),
        &["ecs:cloudServers:deleteServers"],
        ANY_LIVE,
        TaskState::Deleting,
        Workflow::Delete,
        "deleteServer",
        "delete",
    ),
    launched(
        hw_change(
            OpId::HwBatchStart,
            "Start servers (batch)",
            None,
            routes!(Endpoint::HwBatchAction, key("os-start"); "POST" "/v1/{project_id}/cloudservers/action"),
            &["ecs:cloudServers:start"],
            &[VmState::Stopped],
            TaskState::PoweringOn,
            Workflow::Start,
            "batchStartServer",
            "start",
        ),
        IDLE,
    ),
    launched(
        hw_change(
            OpId::HwBatchStop,
            "Stop servers (batch)",
            None,
            routes!(Endpoint::HwBatchAction, key("os-stop"); "POST" "/v1/{project_id}/cloudservers/action"),
            &["ecs:cloudServers:stop"],
            &[VmState::Active, VmState::Error],
            TaskState::PoweringOff,
            Workflow::Stop,
            "batchStopServer",
            "stop",
        ),
        IDLE,
    ),
    launched(
        hw_change(
            OpId::HwBatchRebootSoft,
            "Reboot servers gracefully (batch)",
            None,
            routes!(Endpoint::HwBatchAction, key_with("reboot", "type", "SOFT");
                "POST" "/v1/{project_id}/cloudservers/action"),
            &["ecs:cloudServers:reboot"],
            &[VmState::Active],
            TaskState::Rebooting,
            Workflow::RebootSoft,
            "batchRebootServer",
            "reboot",
        ),
        IDLE,
    ),
    launched(
        hw_change(
            OpId::HwBatchRebootHard,
            "Reboot servers forcibly (batch)",
            None,
            routes!(Endpoint::HwBatchAction, key_with("reboot", "type", "HARD");
                "POST" "/v1/{project_id}/cloudservers/action"),
            &["ecs:cloudServers:reboot"],
            ACTIVE_STOPPED_OR_ERROR,
            TaskState::RebootingHard,
            Workflow::RebootHard,
            "batchRebootServer",
            "reboot",
        ),
        HARD_REBOOT_TASKS,
    ),
    // ---- reads ----
    Operation {
        instance_authz: true,
        ..row(
            OpId::HwShowServer,
            "Show a server",
            routes!(Endpoint::HwShow; "GET" "/v1/{project_id}/cloudservers/{server_id}"),
            &["ecs:cloudServers:showServer"],
        )
    },
    row(
        OpId::HwListServers,
        "List servers with details",
        routes!(Endpoint::HwListDetail;
            "GET" "/v1/{project_id}/cloudservers/detail",
            "GET" "/v1.1/{project_id}/cloudservers/detail",
        ),
        &["ecs:cloudServers:list"],
    ),
    row(
        OpId::HwListFlavors,
        "List flavors",
        routes!(Endpoint::HwFlavors; "GET" "/v1/{project_id}/cloudservers/flavors"),
        &["ecs:cloudServerFlavors:get"],
    ),
    row(
        OpId::HwListResizeFlavors,
        "List the flavors a server can be resized to",
        routes!(Endpoint::HwResizeFlavors; "GET" "/v1/{project_id}/cloudservers/resize_flavors"),
        &["ecs:cloudServers:list"],
    ),
    // No action is published for the job query; any member of the project may read its jobs.
    Operation {
        access: Access::Member,
        ..row(
            OpId::HwShowJob,
            "Show a job and its sub-jobs",
            routes!(Endpoint::HwJob; "GET" "/v1/{project_id}/jobs/{job_id}"),
            &[],
        )
    },
    // ---- disks of a server ----
    // As Huawei's ECS permission table lists them: attach depends on
    // `evs:volumes:use`, detach on nothing; the block-device actions are
    // the OTC table's (Huawei's Chinese table lists `ecs:cloudServers:get`).
    Operation {
        instance_authz: true,
        ..attachment(
            OpId::HwAttachVolume,
            "Attach a disk to a server",
            routes!(Endpoint::HwAttachVolume; "POST" "/v1/{project_id}/cloudservers/{server_id}/attachvolume"),
            &["ecs:cloudServers:attach", "evs:volumes:use"],
            "attachVolume",
            "attach_volume",
        )
    },
    Operation {
        instance_authz: true,
        ..attachment(
            OpId::HwDetachVolume,
            "Detach a disk from a server",
            routes!(Endpoint::HwDetachVolume;
                "DELETE" "/v1/{project_id}/cloudservers/{server_id}/detachvolume/{volume_id}"),
            &["ecs:cloudServers:detachVolume"],
            "detachVolume",
            "detach_volume",
        )
    },
    Operation {
        instance_authz: true,
        ..row(
            OpId::HwListBlockDevices,
            "List the disks attached to a server",
            routes!(Endpoint::HwBlockDevices; "GET" "/v1/{project_id}/cloudservers/{server_id}/block_device"),
            &["ecs:cloudServers:listServerBlockDevices"],
        )
    },
    Operation {
        instance_authz: true,
        ..row(
            OpId::HwShowBlockDevice,
            "Show one disk attached to a server",
            routes!(Endpoint::HwBlockDevice;
                "GET" "/v1/{project_id}/cloudservers/{server_id}/block_device/{volume_id}"),
            &["ecs:cloudServers:showServerBlockDevice"],
        )
    },
    row(
        OpId::HwShowLimits,
        "Show the project's server quotas and usage",
        routes!(Endpoint::HwLimits; "GET" "/v1/{project_id}/cloudservers/limits"),
        &["ecs:cloudServerQuotas:get"],
    ),
    // ---- NICs of a server: add and delete as Huawei's NIC table names
    // them; the list's action is UNCONFIRMED ----
    Operation {
        instance_authz: true,
        ..row(
            OpId::HwListInterfaces,
            "List a server's NICs",
            routes!(Endpoint::HwInterfaces; "GET" "/v1/{project_id}/cloudservers/{server_id}/os-interface"),
            &["ecs:cloudServers:get"],
        )
    },
    Operation {
        instance_authz: true,
        ..attachment(
            OpId::HwAddNics,
            "Add NICs to a server (batch)",
            routes!(Endpoint::HwNics; "POST" "/v1/{project_id}/cloudservers/{server_id}/nics"),
            &["ecs:cloudServers:addNics"],
            "attachInterface",
            "attach_interface",
        )
    },
    Operation {
        instance_authz: true,
        ..attachment(
            OpId::HwDeleteNics,
            "Delete NICs from a server (batch); the primary NIC stays",
            routes!(Endpoint::HwNicsDelete; "POST" "/v1/{project_id}/cloudservers/{server_id}/nics/delete"),
            &["ecs:cloudServerNics:delete"],
            "detachInterface",
            "detach_interface",
        )
    },
    // ---- the server's own record: name, description, metadata ----
    Operation {
        instance_authz: true,
        ..row(
            OpId::HwUpdateServer,
            "Change a server's name, description or hostname",
            routes!(Endpoint::HwUpdate; "PUT" "/v1/{project_id}/cloudservers/{server_id}"),
            &["ecs:cloudServers:updateServer"],
        )
    },
    Operation {
        instance_authz: true,
        ..metadata_row(
            OpId::HwUpdateMetadata,
            "Add or change a server's metadata",
            routes!(Endpoint::HwMetadata; "POST" "/v1/{project_id}/cloudservers/{server_id}/metadata"),
            &["ecs:cloudServers:updateMetadata"],
        )
    },
    Operation {
        instance_authz: true,
        ..metadata_row(
            OpId::HwDeleteMetadata,
            "Delete one of a server's metadata items",
            routes!(Endpoint::HwMetadata; "DELETE" "/v1/{project_id}/cloudservers/{server_id}/metadata/{key}"),
            &["ecs:cloudServers:deleteMetadata"],
        )
    },
];

/// A change to a server's metadata: the server active or stopped, not
/// locked (Nova's and Huawei's rule); no job.
pub(super) const fn metadata_row(
    id: OpId,
    summary: &'static str,
    routes: &'static [Route],
    actions: &'static [&'static str],
) -> Operation {
    Operation {
        states: Some(ACTIVE_OR_STOPPED_IDLE),
        lock: LockRule::Checked,
        conflict_name: "update_metadata",
        ..row(id, summary, routes, actions)
    }
}
