//! THE operation catalog: one row per operation, the single source of truth
//! for what each operation requires (IAM actions, dependents included), which
//! states admit it, how a lock affects it, the task state it claims, the
//! workflow that carries it out, and the routes that reach it. The router,
//! the authorizer, admission, the docs and the tests all read this table.

use crate::domain::{ControlError, Server, TaskState, VmState};

/// The HTTP handler family a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    HwCreate,
    HwListDetail,
    HwShow,
    HwDelete,
    HwBatchAction,
    HwFlavors,
    HwResizeFlavors,
    HwChangeOs,
    HwReinstallOs,
    HwResize,
    HwMigrate,
    HwJob,
    NovaServers,
    NovaServersDetail,
    NovaServer,
    NovaServerAction,
    NovaInstanceActions,
    NovaInstanceAction,
    NovaFlavors,
    NovaFlavorsDetail,
    NovaFlavor,
    NovaImages,
    NovaImage,
    GlanceImages,
    GlanceImage,
}

/// A route: method and axum path template. `selector` names the body key
/// that picks this operation on a shared endpoint (e.g. `os-stop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub endpoint: Endpoint,
}

/// How a server lock affects an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockRule {
    /// A locked server refuses the operation unless the caller is an administrator.
    Checked,
    /// The lock does not matter (reads, lock and unlock themselves).
    Ignored,
}

/// The states in which an operation may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateRule {
    pub vm_states: &'static [VmState],
    /// Allowed task states; `None` in the list means idle.
    pub task_states: &'static [Option<TaskState>],
    /// The server must have booted at least once.
    pub needs_launched: bool,
}

const IDLE: &[Option<TaskState>] = &[None];

/// The workflow that carries out a state-changing operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workflow {
    Create,
    Delete,
    Start,
    Stop,
    RebootSoft,
    RebootHard,
    /// Native resize: ends in VERIFY_RESIZE.
    Resize,
    ConfirmResize,
    RevertResize,
    /// Native rebuild with a given image.
    Rebuild,
    /// Huawei change OS / reinstall OS: system disk re-created from an image.
    ReinstallOs,
    /// Huawei resize: ends in the previous power state, confirmed at once.
    HwResize,
    /// Huawei cold migration between shared and dedicated hosts.
    Migrate,
    /// Lock and unlock change only the record; their job completes at once.
    Lock,
    Unlock,
}

/// Identifies an operation; the catalog row holds everything about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpId {
    HwChangeOs,
    HwChangeOsWithStop,
    HwReinstallOs,
    HwReinstallOsWithStop,
    HwResize,
    HwResizeWithStop,
    HwMigrate,
    HwCreate,
    HwDelete,
    HwBatchStart,
    HwBatchStop,
    HwBatchRebootSoft,
    HwBatchRebootHard,
    HwShowServer,
    HwListServers,
    HwListFlavors,
    HwListResizeFlavors,
    HwShowJob,
    NovaStart,
    NovaStop,
    NovaRebootSoft,
    NovaRebootHard,
    NovaResize,
    NovaConfirmResize,
    NovaRevertResize,
    NovaRebuild,
    NovaLock,
    NovaUnlock,
    NovaCreate,
    NovaDelete,
    NovaShowServer,
    NovaListServers,
    NovaListInstanceActions,
    NovaShowInstanceAction,
    NovaListFlavors,
    NovaShowFlavor,
    ImageList,
    ImageShow,
}

/// One row of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub id: OpId,
    /// Stable name used in logs, jobs, audit and docs.
    pub name: &'static str,
    pub summary: &'static str,
    /// The row of the seed permission table this operation implements.
    pub seed_row: Option<u8>,
    pub routes: &'static [Route],
    /// Every IAM action the caller must hold; all must be allowed.
    pub actions: &'static [&'static str],
    /// Whether the IAM `Resource` can name a single server.
    pub instance_authz: bool,
    pub states: Option<StateRule>,
    pub lock: LockRule,
    /// The task state set when the operation claims the server.
    pub claim_task: Option<TaskState>,
    pub workflow: Option<Workflow>,
    /// Huawei job type of the job it creates.
    pub job_type: Option<&'static str>,
    /// Nova instance-action name recorded for the server.
    pub instance_action: Option<&'static str>,
    /// The action name in Nova's 409 texts (`Cannot 'stop' instance ...`).
    pub conflict_name: &'static str,
}

const fn read(
    id: OpId,
    name: &'static str,
    summary: &'static str,
    routes: &'static [Route],
    actions: &'static [&'static str],
) -> Operation {
    Operation {
        id,
        name,
        summary,
        seed_row: None,
        routes,
        actions,
        instance_authz: false,
        states: None,
        lock: LockRule::Ignored,
        claim_task: None,
        workflow: None,
        job_type: None,
        instance_action: None,
        conflict_name: "",
    }
}

macro_rules! routes {
    ($endpoint:ident: $($method:literal $path:literal),+ $(,)?) => {
        &[$(Route { method: $method, path: $path, endpoint: Endpoint::$endpoint }),+]
    };
}

const NOVA_ACTION: &[Route] = routes!(NovaServerAction:
    "POST" "/v2/{project_id}/servers/{server_id}/action",
    "POST" "/v2.1/{project_id}/servers/{server_id}/action",
    "POST" "/v2.1/servers/{server_id}/action",
);
const HW_CHANGEOS: &[Route] = routes!(HwChangeOs:
    "POST" "/v2/{project_id}/cloudservers/{server_id}/changeos",
    "POST" "/v1/{project_id}/cloudservers/{server_id}/changeos",
);
const HW_REINSTALL: &[Route] = routes!(HwReinstallOs:
    "POST" "/v2/{project_id}/cloudservers/{server_id}/reinstallos",
    "POST" "/v1/{project_id}/cloudservers/{server_id}/reinstallos",
);
const HW_RESIZE: &[Route] = routes!(HwResize:
    "POST" "/v1/{project_id}/cloudservers/{server_id}/resize",
    "POST" "/v1.1/{project_id}/cloudservers/{server_id}/resize",
);
const HW_BATCH: &[Route] = routes!(HwBatchAction:
    "POST" "/v1/{project_id}/cloudservers/action",
);
const NOVA_SERVERS_POST: &[Route] = routes!(NovaServers:
    "POST" "/v2/{project_id}/servers",
    "POST" "/v2.1/{project_id}/servers",
    "POST" "/v2.1/servers",
);
const NOVA_SERVER_DELETE: &[Route] = routes!(NovaServer:
    "DELETE" "/v2/{project_id}/servers/{server_id}",
    "DELETE" "/v2.1/{project_id}/servers/{server_id}",
    "DELETE" "/v2.1/servers/{server_id}",
);

const ACTIVE_OR_STOPPED: &[VmState] = &[VmState::Active, VmState::Stopped];
const STOPPED_OR_ERROR: &[VmState] = &[VmState::Stopped, VmState::Error];
const ANY_LIVE: &[VmState] = &[
    VmState::Building,
    VmState::Active,
    VmState::Stopped,
    VmState::Resized,
    VmState::Error,
];

/// Tasks during which a hard reboot may still start (Nova lets it preempt a soft one).
const HARD_REBOOT_TASKS: &[Option<TaskState>] = &[
    None,
    Some(TaskState::Rebooting),
    Some(TaskState::RebootPending),
    Some(TaskState::RebootStarted),
    Some(TaskState::RebootingHard),
    Some(TaskState::RebootPendingHard),
    Some(TaskState::RebootStartedHard),
];

/// The dependent actions of the native resize (seed row 7).
const NATIVE_RESIZE_ACTIONS: &[&str] = &[
    "ecs:servers:resize",
    "ecs:servers:get",
    "evs:volumes:list",
    "evs:volumes:create",
    "evs:volumes:get",
    "evs:volumes:attach",
    "evs:volumes:detach",
    "evs:volumes:manage",
    "vpc:ports:get",
    "vpc:ports:update",
    "vpc:ports:create",
    "vpc:ports:delete",
];

/// The dependent actions of the native rebuild (seed row 8).
const NATIVE_REBUILD_ACTIONS: &[&str] = &[
    "ecs:servers:rebuild",
    "ecs:servers:get",
    "ecs:servers:update",
    "ims:images:get",
    "ims:images:list",
    "ims:images:update",
];

/// Every operation ecsd serves.
pub static CATALOG: &[Operation] = &[
    // ---- Huawei ECS: the seed's rows 1-4 ----
    Operation {
        id: OpId::HwChangeOs,
        name: "ecs.changeOS",
        summary: "Change a stopped server's OS to a new image",
        seed_row: Some(1),
        routes: HW_CHANGEOS,
        actions: &["ecs:cloudServers:changeOS"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: STOPPED_OR_ERROR,
            task_states: IDLE,
            needs_launched: false,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::Rebuilding),
        workflow: Some(Workflow::ReinstallOs),
        job_type: Some("changeOS"),
        instance_action: Some("rebuild"),
        conflict_name: "changeOS",
    },
    Operation {
        id: OpId::HwChangeOsWithStop,
        name: "ecs.changeOS.withStopServer",
        summary: "Change a server's OS, stopping it first (mode=withStopServer)",
        seed_row: Some(1),
        routes: HW_CHANGEOS,
        actions: &["ecs:cloudServers:changeOS"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: &[VmState::Active, VmState::Stopped, VmState::Error],
            task_states: IDLE,
            needs_launched: false,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::Rebuilding),
        workflow: Some(Workflow::ReinstallOs),
        job_type: Some("changeOS"),
        instance_action: Some("rebuild"),
        conflict_name: "changeOS",
    },
    Operation {
        id: OpId::HwReinstallOs,
        name: "ecs.reinstallOS",
        summary: "Reinstall a stopped server's current OS",
        seed_row: Some(2),
        routes: HW_REINSTALL,
        actions: &["ecs:cloudServers:rebuild"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: STOPPED_OR_ERROR,
            task_states: IDLE,
            needs_launched: false,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::Rebuilding),
        workflow: Some(Workflow::ReinstallOs),
        job_type: Some("reinstallOS"),
        instance_action: Some("rebuild"),
        conflict_name: "reinstallOS",
    },
    Operation {
        id: OpId::HwReinstallOsWithStop,
        name: "ecs.reinstallOS.withStopServer",
        summary: "Reinstall a server's OS, stopping it first (mode=withStopServer)",
        seed_row: Some(2),
        routes: HW_REINSTALL,
        actions: &["ecs:cloudServers:rebuild"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: &[VmState::Active, VmState::Stopped, VmState::Error],
            task_states: IDLE,
            needs_launched: false,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::Rebuilding),
        workflow: Some(Workflow::ReinstallOs),
        job_type: Some("reinstallOS"),
        instance_action: Some("rebuild"),
        conflict_name: "reinstallOS",
    },
    Operation {
        id: OpId::HwResize,
        name: "ecs.resize",
        summary: "Change a stopped server's flavor",
        seed_row: Some(3),
        routes: HW_RESIZE,
        actions: &["ecs:cloudServers:resize"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: &[VmState::Stopped],
            task_states: IDLE,
            needs_launched: false,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::ResizePrep),
        workflow: Some(Workflow::HwResize),
        job_type: Some("resizeServer"),
        instance_action: Some("resize"),
        conflict_name: "resize",
    },
    Operation {
        id: OpId::HwResizeWithStop,
        name: "ecs.resize.withStopServer",
        summary: "Change a server's flavor, stopping and restarting it (mode=withStopServer)",
        seed_row: Some(3),
        routes: HW_RESIZE,
        actions: &["ecs:cloudServers:resize"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: ACTIVE_OR_STOPPED,
            task_states: IDLE,
            needs_launched: false,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::ResizePrep),
        workflow: Some(Workflow::HwResize),
        job_type: Some("resizeServer"),
        instance_action: Some("resize"),
        conflict_name: "resize",
    },
    Operation {
        id: OpId::HwMigrate,
        name: "ecs.migrate",
        summary: "Cold-migrate a stopped server to a dedicated host, or back to a shared one",
        seed_row: Some(4),
        routes: routes!(HwMigrate: "POST" "/v1/{project_id}/cloudservers/{server_id}/migrate"),
        actions: &["ecs:cloudServers:migrate"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: &[VmState::Stopped],
            task_states: IDLE,
            needs_launched: false,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::Migrating),
        workflow: Some(Workflow::Migrate),
        job_type: Some("migrateServer"),
        instance_action: Some("migrate"),
        conflict_name: "migrate",
    },
    // ---- Huawei ECS lifecycle ----
    Operation {
        id: OpId::HwCreate,
        name: "ecs.createServers",
        summary: "Create pay-per-use servers",
        routes: routes!(HwCreate:
            "POST" "/v1/{project_id}/cloudservers",
            "POST" "/v1.1/{project_id}/cloudservers",
        ),
        actions: &["ecs:cloudServers:createServers"],
        claim_task: Some(TaskState::Scheduling),
        workflow: Some(Workflow::Create),
        job_type: Some("createServer"),
        instance_action: Some("create"),
        conflict_name: "create",
        ..read(OpId::HwCreate, "", "", &[], &[])
    },
    Operation {
        id: OpId::HwDelete,
        name: "ecs.deleteServers",
        summary: "Delete servers (batch)",
        routes: routes!(HwDelete: "POST" "/v1/{project_id}/cloudservers/delete"),
        actions: &["ecs:cloudServers:deleteServers"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: ANY_LIVE,
            task_states: IDLE,
            needs_launched: false,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::Deleting),
        workflow: Some(Workflow::Delete),
        job_type: Some("deleteServer"),
        instance_action: Some("delete"),
        conflict_name: "delete",
        ..read(OpId::HwDelete, "", "", &[], &[])
    },
    Operation {
        id: OpId::HwBatchStart,
        name: "ecs.batchStart",
        summary: "Start servers (batch)",
        routes: HW_BATCH,
        actions: &["ecs:cloudServers:start"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: &[VmState::Stopped],
            task_states: IDLE,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::PoweringOn),
        workflow: Some(Workflow::Start),
        job_type: Some("batchStartServer"),
        instance_action: Some("start"),
        conflict_name: "start",
        ..read(OpId::HwBatchStart, "", "", &[], &[])
    },
    Operation {
        id: OpId::HwBatchStop,
        name: "ecs.batchStop",
        summary: "Stop servers (batch)",
        routes: HW_BATCH,
        actions: &["ecs:cloudServers:stop"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: &[VmState::Active, VmState::Error],
            task_states: IDLE,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::PoweringOff),
        workflow: Some(Workflow::Stop),
        job_type: Some("batchStopServer"),
        instance_action: Some("stop"),
        conflict_name: "stop",
        ..read(OpId::HwBatchStop, "", "", &[], &[])
    },
    Operation {
        id: OpId::HwBatchRebootSoft,
        name: "ecs.batchReboot.soft",
        summary: "Reboot servers gracefully (batch)",
        routes: HW_BATCH,
        actions: &["ecs:cloudServers:reboot"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: &[VmState::Active],
            task_states: IDLE,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::Rebooting),
        workflow: Some(Workflow::RebootSoft),
        job_type: Some("batchRebootServer"),
        instance_action: Some("reboot"),
        conflict_name: "reboot",
        ..read(OpId::HwBatchRebootSoft, "", "", &[], &[])
    },
    Operation {
        id: OpId::HwBatchRebootHard,
        name: "ecs.batchReboot.hard",
        summary: "Reboot servers forcibly (batch)",
        routes: HW_BATCH,
        actions: &["ecs:cloudServers:reboot"],
        instance_authz: true,
        states: Some(StateRule {
            vm_states: &[VmState::Active, VmState::Stopped, VmState::Error],
            task_states: HARD_REBOOT_TASKS,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::RebootingHard),
        workflow: Some(Workflow::RebootHard),
        job_type: Some("batchRebootServer"),
        instance_action: Some("reboot"),
        conflict_name: "reboot",
        ..read(OpId::HwBatchRebootHard, "", "", &[], &[])
    },
    Operation {
        instance_authz: true,
        ..read(
            OpId::HwShowServer,
            "ecs.showServer",
            "Show a server",
            routes!(HwShow: "GET" "/v1/{project_id}/cloudservers/{server_id}"),
            &["ecs:cloudServers:showServer"],
        )
    },
    read(
        OpId::HwListServers,
        "ecs.listServers",
        "List servers with details",
        routes!(HwListDetail:
            "GET" "/v1/{project_id}/cloudservers/detail",
            "GET" "/v1.1/{project_id}/cloudservers/detail",
        ),
        &["ecs:cloudServers:list"],
    ),
    read(
        OpId::HwListFlavors,
        "ecs.listFlavors",
        "List flavors",
        routes!(HwFlavors: "GET" "/v1/{project_id}/cloudservers/flavors"),
        &["ecs:cloudServerFlavors:get"],
    ),
    read(
        OpId::HwListResizeFlavors,
        "ecs.listResizeFlavors",
        "List the flavors a server can be resized to",
        routes!(HwResizeFlavors: "GET" "/v1/{project_id}/cloudservers/resize_flavors"),
        &["ecs:cloudServers:list"],
    ),
    // No action is published for the job query; any member of the project may read its jobs.
    read(
        OpId::HwShowJob,
        "ecs.showJob",
        "Show a job and its sub-jobs",
        routes!(HwJob: "GET" "/v1/{project_id}/jobs/{job_id}"),
        &[],
    ),
    // ---- Nova: the seed's rows 5-10 and their siblings ----
    Operation {
        id: OpId::NovaStart,
        name: "nova.start",
        summary: "Start (native)",
        seed_row: None,
        routes: NOVA_ACTION,
        actions: &["ecs:servers:start", "ecs:servers:get"],
        instance_authz: false,
        states: Some(StateRule {
            vm_states: &[VmState::Stopped],
            task_states: IDLE,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::PoweringOn),
        workflow: Some(Workflow::Start),
        job_type: Some("startServer"),
        instance_action: Some("start"),
        conflict_name: "start",
    },
    Operation {
        id: OpId::NovaStop,
        name: "nova.stop",
        summary: "Stop (native)",
        seed_row: Some(5),
        routes: NOVA_ACTION,
        actions: &["ecs:servers:stop", "ecs:servers:get"],
        instance_authz: false,
        states: Some(StateRule {
            vm_states: &[VmState::Active, VmState::Error],
            task_states: IDLE,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::PoweringOff),
        workflow: Some(Workflow::Stop),
        job_type: Some("stopServer"),
        instance_action: Some("stop"),
        conflict_name: "stop",
    },
    Operation {
        id: OpId::NovaRebootSoft,
        name: "nova.reboot.soft",
        summary: "Restart gracefully (native)",
        seed_row: Some(6),
        routes: NOVA_ACTION,
        actions: &["ecs:servers:reboot", "ecs:servers:get"],
        instance_authz: false,
        states: Some(StateRule {
            vm_states: &[VmState::Active],
            task_states: IDLE,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::Rebooting),
        workflow: Some(Workflow::RebootSoft),
        job_type: Some("rebootServer"),
        instance_action: Some("reboot"),
        conflict_name: "reboot",
    },
    Operation {
        id: OpId::NovaRebootHard,
        name: "nova.reboot.hard",
        summary: "Restart forcibly (native)",
        seed_row: Some(6),
        routes: NOVA_ACTION,
        actions: &["ecs:servers:reboot", "ecs:servers:get"],
        instance_authz: false,
        states: Some(StateRule {
            vm_states: &[VmState::Active, VmState::Stopped, VmState::Error],
            task_states: HARD_REBOOT_TASKS,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::RebootingHard),
        workflow: Some(Workflow::RebootHard),
        job_type: Some("rebootServer"),
        instance_action: Some("reboot"),
        conflict_name: "reboot",
    },
    Operation {
        id: OpId::NovaResize,
        name: "nova.resize",
        summary: "Change specifications (native); ends in VERIFY_RESIZE",
        seed_row: Some(7),
        routes: NOVA_ACTION,
        actions: NATIVE_RESIZE_ACTIONS,
        instance_authz: false,
        states: Some(StateRule {
            vm_states: ACTIVE_OR_STOPPED,
            task_states: IDLE,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::ResizePrep),
        workflow: Some(Workflow::Resize),
        job_type: Some("resizeServer"),
        instance_action: Some("resize"),
        conflict_name: "resize",
    },
    // The published tables name no action for confirm and revert; ecsd uses
    // `ecs:servers:confirmResize` / `ecs:servers:revertResize` plus the read.
    Operation {
        id: OpId::NovaConfirmResize,
        name: "nova.confirmResize",
        summary: "Confirm a resize (native)",
        seed_row: None,
        routes: NOVA_ACTION,
        actions: &["ecs:servers:confirmResize", "ecs:servers:get"],
        instance_authz: false,
        states: Some(StateRule {
            vm_states: &[VmState::Resized],
            task_states: IDLE,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::ResizeConfirming),
        workflow: Some(Workflow::ConfirmResize),
        job_type: Some("confirmResizeServer"),
        instance_action: Some("confirmResize"),
        conflict_name: "confirmResize",
    },
    Operation {
        id: OpId::NovaRevertResize,
        name: "nova.revertResize",
        summary: "Revert a resize (native)",
        seed_row: None,
        routes: NOVA_ACTION,
        actions: &["ecs:servers:revertResize", "ecs:servers:get"],
        instance_authz: false,
        states: Some(StateRule {
            vm_states: &[VmState::Resized],
            task_states: IDLE,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::ResizeReverting),
        workflow: Some(Workflow::RevertResize),
        job_type: Some("revertResizeServer"),
        instance_action: Some("revertResize"),
        conflict_name: "revertResize",
    },
    Operation {
        id: OpId::NovaRebuild,
        name: "nova.rebuild",
        summary: "Rebuild from an image (native)",
        seed_row: Some(8),
        routes: NOVA_ACTION,
        actions: NATIVE_REBUILD_ACTIONS,
        instance_authz: false,
        states: Some(StateRule {
            vm_states: &[VmState::Active, VmState::Stopped, VmState::Error],
            task_states: IDLE,
            needs_launched: true,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::Rebuilding),
        workflow: Some(Workflow::Rebuild),
        job_type: Some("rebuildServer"),
        instance_action: Some("rebuild"),
        conflict_name: "rebuild",
    },
    Operation {
        id: OpId::NovaLock,
        name: "nova.lock",
        summary: "Lock (native)",
        seed_row: Some(9),
        routes: NOVA_ACTION,
        actions: &["ecs:servers:lock", "ecs:servers:get"],
        instance_authz: false,
        states: None,
        lock: LockRule::Ignored,
        claim_task: None,
        workflow: Some(Workflow::Lock),
        job_type: Some("lockServer"),
        instance_action: Some("lock"),
        conflict_name: "lock",
    },
    Operation {
        id: OpId::NovaUnlock,
        name: "nova.unlock",
        summary: "Unlock (native)",
        seed_row: Some(10),
        routes: NOVA_ACTION,
        actions: &["ecs:servers:unlock", "ecs:servers:get"],
        instance_authz: false,
        states: None,
        lock: LockRule::Ignored,
        claim_task: None,
        workflow: Some(Workflow::Unlock),
        job_type: Some("unlockServer"),
        instance_action: Some("unlock"),
        conflict_name: "unlock",
    },
    Operation {
        id: OpId::NovaCreate,
        name: "nova.create",
        summary: "Create a server (native)",
        routes: NOVA_SERVERS_POST,
        actions: &["ecs:servers:create"],
        claim_task: Some(TaskState::Scheduling),
        workflow: Some(Workflow::Create),
        job_type: Some("createServer"),
        instance_action: Some("create"),
        conflict_name: "create",
        ..read(OpId::NovaCreate, "", "", &[], &[])
    },
    Operation {
        id: OpId::NovaDelete,
        name: "nova.delete",
        summary: "Delete a server (native)",
        routes: NOVA_SERVER_DELETE,
        actions: &["ecs:servers:delete", "ecs:servers:get"],
        states: Some(StateRule {
            vm_states: ANY_LIVE,
            task_states: IDLE,
            needs_launched: false,
        }),
        lock: LockRule::Checked,
        claim_task: Some(TaskState::Deleting),
        workflow: Some(Workflow::Delete),
        job_type: Some("deleteServer"),
        instance_action: Some("delete"),
        conflict_name: "delete",
        ..read(OpId::NovaDelete, "", "", &[], &[])
    },
    read(
        OpId::NovaShowServer,
        "nova.show",
        "Show a server (native)",
        routes!(NovaServer:
            "GET" "/v2/{project_id}/servers/{server_id}",
            "GET" "/v2.1/{project_id}/servers/{server_id}",
            "GET" "/v2.1/servers/{server_id}",
        ),
        &["ecs:servers:get"],
    ),
    read(
        OpId::NovaListServers,
        "nova.list",
        "List servers (native), brief or detailed",
        &[
            Route {
                method: "GET",
                path: "/v2/{project_id}/servers",
                endpoint: Endpoint::NovaServers,
            },
            Route {
                method: "GET",
                path: "/v2.1/{project_id}/servers",
                endpoint: Endpoint::NovaServers,
            },
            Route {
                method: "GET",
                path: "/v2.1/servers",
                endpoint: Endpoint::NovaServers,
            },
            Route {
                method: "GET",
                path: "/v2/{project_id}/servers/detail",
                endpoint: Endpoint::NovaServersDetail,
            },
            Route {
                method: "GET",
                path: "/v2.1/{project_id}/servers/detail",
                endpoint: Endpoint::NovaServersDetail,
            },
            Route {
                method: "GET",
                path: "/v2.1/servers/detail",
                endpoint: Endpoint::NovaServersDetail,
            },
        ],
        &["ecs:servers:list"],
    ),
    read(
        OpId::NovaListInstanceActions,
        "nova.instanceActions.list",
        "List a server's instance actions",
        routes!(NovaInstanceActions:
            "GET" "/v2/{project_id}/servers/{server_id}/os-instance-actions",
            "GET" "/v2.1/{project_id}/servers/{server_id}/os-instance-actions",
            "GET" "/v2.1/servers/{server_id}/os-instance-actions",
        ),
        &["ecs:servers:get"],
    ),
    read(
        OpId::NovaShowInstanceAction,
        "nova.instanceActions.show",
        "Show one instance action with its events",
        routes!(NovaInstanceAction:
            "GET" "/v2/{project_id}/servers/{server_id}/os-instance-actions/{request_id}",
            "GET" "/v2.1/{project_id}/servers/{server_id}/os-instance-actions/{request_id}",
            "GET" "/v2.1/servers/{server_id}/os-instance-actions/{request_id}",
        ),
        &["ecs:servers:get"],
    ),
    read(
        OpId::NovaListFlavors,
        "nova.flavors.list",
        "List flavors (native)",
        &[
            Route {
                method: "GET",
                path: "/v2/{project_id}/flavors",
                endpoint: Endpoint::NovaFlavors,
            },
            Route {
                method: "GET",
                path: "/v2.1/{project_id}/flavors",
                endpoint: Endpoint::NovaFlavors,
            },
            Route {
                method: "GET",
                path: "/v2.1/flavors",
                endpoint: Endpoint::NovaFlavors,
            },
            Route {
                method: "GET",
                path: "/v2/{project_id}/flavors/detail",
                endpoint: Endpoint::NovaFlavorsDetail,
            },
            Route {
                method: "GET",
                path: "/v2.1/{project_id}/flavors/detail",
                endpoint: Endpoint::NovaFlavorsDetail,
            },
            Route {
                method: "GET",
                path: "/v2.1/flavors/detail",
                endpoint: Endpoint::NovaFlavorsDetail,
            },
        ],
        &["ecs:flavors:get"],
    ),
    read(
        OpId::NovaShowFlavor,
        "nova.flavors.show",
        "Show a flavor (native)",
        routes!(NovaFlavor:
            "GET" "/v2/{project_id}/flavors/{flavor_id}",
            "GET" "/v2.1/{project_id}/flavors/{flavor_id}",
            "GET" "/v2.1/flavors/{flavor_id}",
        ),
        &["ecs:flavors:get"],
    ),
    read(
        OpId::ImageList,
        "ims.images.list",
        "List images (Glance v2 and the compute proxy)",
        &[
            Route {
                method: "GET",
                path: "/image/v2/images",
                endpoint: Endpoint::GlanceImages,
            },
            Route {
                method: "GET",
                path: "/v2/images",
                endpoint: Endpoint::GlanceImages,
            },
            Route {
                method: "GET",
                path: "/v2.1/{project_id}/images",
                endpoint: Endpoint::NovaImages,
            },
            Route {
                method: "GET",
                path: "/v2.1/{project_id}/images/detail",
                endpoint: Endpoint::NovaImages,
            },
            Route {
                method: "GET",
                path: "/v2/{project_id}/images",
                endpoint: Endpoint::NovaImages,
            },
            Route {
                method: "GET",
                path: "/v2/{project_id}/images/detail",
                endpoint: Endpoint::NovaImages,
            },
        ],
        &["ims:images:list"],
    ),
    read(
        OpId::ImageShow,
        "ims.images.get",
        "Show an image (Glance v2 and the compute proxy)",
        &[
            Route {
                method: "GET",
                path: "/image/v2/images/{image_id}",
                endpoint: Endpoint::GlanceImage,
            },
            Route {
                method: "GET",
                path: "/v2/images/{image_id}",
                endpoint: Endpoint::GlanceImage,
            },
            Route {
                method: "GET",
                path: "/v2.1/{project_id}/images/{image_id}",
                endpoint: Endpoint::NovaImage,
            },
            Route {
                method: "GET",
                path: "/v2/{project_id}/images/{image_id}",
                endpoint: Endpoint::NovaImage,
            },
        ],
        &["ims:images:get"],
    ),
];

/// The catalog as a Markdown table, one row per operation: what the README
/// shows (a test keeps the two equal) and what `ecsd catalog` prints.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| operation | seed row | routes | IAM actions (all required) | admitted in (vm_state) | task while running |\n\
         |---|---|---|---|---|---|\n",
    );
    for o in CATALOG {
        let mut routes: Vec<String> = Vec::new();
        for r in o.routes {
            let text = format!("`{} {}`", r.method, r.path);
            if !routes.contains(&text) {
                routes.push(text);
            }
        }
        let actions = if o.actions.is_empty() {
            "(any caller of the project)".to_string()
        } else {
            o.actions
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let states = match o.states {
            Some(rule) => {
                let vm: Vec<&str> = rule.vm_states.iter().map(|v| v.as_str()).collect();
                let lock = if o.lock == LockRule::Checked {
                    "; not locked"
                } else {
                    ""
                };
                format!("{}{lock}", vm.join(", "))
            }
            None => "any".to_string(),
        };
        out.push_str(&format!(
            "| `{}` {} | {} | {} | {} | {} | {} |\n",
            o.name,
            o.summary,
            o.seed_row.map(|r| r.to_string()).unwrap_or_default(),
            routes.join("<br>"),
            actions,
            states,
            o.claim_task.map(|t| t.as_str()).unwrap_or("-"),
        ));
    }
    out
}

/// The catalog row of an operation. Every `OpId` has exactly one row
/// (checked by a test), so the fallback is never reached in practice.
pub fn op(id: OpId) -> &'static Operation {
    CATALOG.iter().find(|o| o.id == id).unwrap_or(&CATALOG[0])
}

/// Admission: a pure function of the row, the server and whether the caller
/// may bypass locks. Order as in Nova: lock, vm_state, task_state, launched.
pub fn admit(operation: &Operation, server: &Server, bypass_lock: bool) -> Result<(), ControlError> {
    if operation.lock == LockRule::Checked && server.locked && !bypass_lock {
        return Err(ControlError::Locked { id: server.id.clone() });
    }
    let Some(rule) = operation.states else {
        return Ok(());
    };
    if !rule.vm_states.contains(&server.vm_state) {
        return Err(ControlError::InvalidState {
            action: operation.conflict_name,
            id: server.id.clone(),
            vm_state: Some(server.vm_state),
            task_state: None,
        });
    }
    if !rule.task_states.contains(&server.task_state) {
        return Err(ControlError::InvalidState {
            action: operation.conflict_name,
            id: server.id.clone(),
            vm_state: None,
            task_state: Some(server.task_state),
        });
    }
    if rule.needs_launched && server.launched_at.is_none() {
        return Err(ControlError::InvalidState {
            action: operation.conflict_name,
            id: server.id.clone(),
            vm_state: None,
            task_state: None,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashSet};

    #[test]
    fn every_op_has_exactly_one_row() {
        let mut seen = HashSet::new();
        for row in CATALOG {
            assert!(seen.insert(row.id), "duplicate row {:?}", row.id);
            assert!(!row.name.is_empty(), "row {:?} has no name", row.id);
            assert!(!row.routes.is_empty(), "row {:?} has no route", row.id);
            assert_eq!(op(row.id).id, row.id);
        }
    }

    #[test]
    fn seed_rows_carry_exactly_the_seed_actions() {
        let seed: BTreeMap<u8, Vec<&str>> = [
            (1, vec!["ecs:cloudServers:changeOS"]),
            (2, vec!["ecs:cloudServers:rebuild"]),
            (3, vec!["ecs:cloudServers:resize"]),
            (4, vec!["ecs:cloudServers:migrate"]),
            (5, vec!["ecs:servers:stop", "ecs:servers:get"]),
            (6, vec!["ecs:servers:reboot", "ecs:servers:get"]),
            (7, NATIVE_RESIZE_ACTIONS.to_vec()),
            (8, NATIVE_REBUILD_ACTIONS.to_vec()),
            (9, vec!["ecs:servers:lock", "ecs:servers:get"]),
            (10, vec!["ecs:servers:unlock", "ecs:servers:get"]),
        ]
        .into_iter()
        .collect();
        for (row, actions) in &seed {
            let rows: Vec<_> = CATALOG.iter().filter(|o| o.seed_row == Some(*row)).collect();
            assert!(!rows.is_empty(), "seed row {row} has no operation");
            for o in rows {
                assert_eq!(&o.actions.to_vec(), actions, "seed row {row}: {}", o.name);
            }
        }
        // The seed's native rows exist under /v2 and /v2.1.
        for row in 5..=10u8 {
            let o = CATALOG.iter().find(|o| o.seed_row == Some(row)).unwrap();
            assert!(o.routes.iter().any(|r| r.path.starts_with("/v2/")));
            assert!(o.routes.iter().any(|r| r.path.starts_with("/v2.1/")));
        }
    }
}
