//! OpenStack Nova (`/v2`, `/v2.1`): the seed's rows 5-10 and their
//! siblings, the server lifecycle, instance actions, interfaces and
//! flavors. What surrounds a server (volumes, images, quotas, its record,
//! key pairs) is in [`super::nova_resources`].

use super::huawei::{attachment, change, ANY_LIVE, HARD_REBOOT_TASKS};
use super::{row, Endpoint, OpId, Operation, Route, Selector, StateRule, Workflow, IDLE};
use crate::domain::{TaskState, VmState};

/// The three prefixes every Nova route is served under.
macro_rules! nova_routes {
    ($method:literal $tail:literal => $endpoint:expr, $selector:expr) => {
        &[
            Route {
                method: $method,
                path: concat!("/v2/{project_id}", $tail),
                endpoint: $endpoint,
                selector: $selector,
            },
            Route {
                method: $method,
                path: concat!("/v2.1/{project_id}", $tail),
                endpoint: $endpoint,
                selector: $selector,
            },
            Route {
                method: $method,
                path: concat!("/v2.1", $tail),
                endpoint: $endpoint,
                selector: $selector,
            },
        ]
    };
    ($method:literal $tail:literal => $endpoint:expr) => {
        nova_routes!($method $tail => $endpoint, None)
    };
}

pub(super) use nova_routes;

/// `POST .../servers/{server_id}/action` with the body key that picks the row.
macro_rules! action {
    ($key:literal) => {
        nova_routes!("POST" "/servers/{server_id}/action" => Endpoint::NovaServerAction,
            Some(Selector { key: Some($key), field: None }))
    };
    ($key:literal, $field:literal = $value:literal) => {
        nova_routes!("POST" "/servers/{server_id}/action" => Endpoint::NovaServerAction,
            Some(Selector { key: Some($key), field: Some(($field, $value)) }))
    };
}

pub(super) const ACTIVE_OR_STOPPED: &[VmState] = &[VmState::Active, VmState::Stopped];
pub(super) use action;

const ACTIVE_STOPPED_OR_ERROR: &[VmState] = &[VmState::Active, VmState::Stopped, VmState::Error];

/// Attaching and detaching an interface natively, with the dependents
/// Huawei's ECS NIC table lists.
const NOVA_ATTACH_INTERFACE_ACTIONS: &[&str] = &[
    "ecs:serverInterfaces:use",
    "ecs:servers:get",
    "ecs:serverInterfaces:get",
    "vpc:networks:get",
    "vpc:networks:update",
    "vpc:subnets:get",
    "vpc:subnets:update",
    "vpc:ports:create",
    "vpc:ports:update",
    "vpc:ports:get",
    "vpc:networks:create",
    "vpc:subnets:create",
    "vpc:routers:get",
    "vpc:routers:update",
];
const NOVA_DETACH_INTERFACE_ACTIONS: &[&str] = &[
    "ecs:serverInterfaces:use",
    "ecs:serverInterfaces:get",
    "ecs:servers:get",
    "vpc:networks:create",
    "vpc:subnets:create",
    "vpc:networks:get",
    "vpc:networks:update",
    "vpc:subnets:get",
    "vpc:subnets:update",
    "vpc:ports:delete",
    "vpc:ports:update",
    "vpc:ports:get",
    "vpc:routers:get",
    "vpc:routers:update",
];

/// The dependent actions of the native resize (seed row 7).
pub const NATIVE_RESIZE_ACTIONS: &[&str] = &[
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
pub const NATIVE_REBUILD_ACTIONS: &[&str] = &[
    "ecs:servers:rebuild",
    "ecs:servers:get",
    "ecs:servers:update",
    "ims:images:get",
    "ims:images:list",
    "ims:images:update",
];

/// A native server action: admitted once the server has booted, when idle
/// (or in `tasks`) in one of `vm_states`.
#[allow(clippy::too_many_arguments)]
const fn native(
    id: OpId,
    summary: &'static str,
    seed_row: Option<u8>,
    routes: &'static [Route],
    actions: &'static [&'static str],
    vm_states: &'static [VmState],
    tasks: &'static [Option<TaskState>],
    claim: TaskState,
    workflow: Workflow,
    job_type: &'static str,
    instance_action: &'static str,
) -> Operation {
    Operation {
        seed_row,
        states: Some(StateRule {
            vm_states,
            task_states: tasks,
            needs_launched: true,
        }),
        ..change(
            id,
            summary,
            routes,
            actions,
            vm_states,
            claim,
            workflow,
            job_type,
            instance_action,
        )
    }
}

/// Lock and unlock: any state, the lock itself ignored, nothing claimed.
#[allow(clippy::too_many_arguments)]
const fn lock_row(
    id: OpId,
    summary: &'static str,
    seed_row: u8,
    routes: &'static [Route],
    actions: &'static [&'static str],
    workflow: Workflow,
    job_type: &'static str,
    instance_action: &'static str,
) -> Operation {
    Operation {
        seed_row: Some(seed_row),
        workflow: Some(workflow),
        job_type: Some(job_type),
        instance_action: Some(instance_action),
        conflict_name: instance_action,
        ..row(id, summary, routes, actions)
    }
}

const LIST_ROUTES: &[Route] = &{
    let brief: &[Route] = nova_routes!("GET" "/servers" => Endpoint::NovaServers);
    let detail: &[Route] = nova_routes!("GET" "/servers/detail" => Endpoint::NovaServersDetail);
    [brief[0], brief[1], brief[2], detail[0], detail[1], detail[2]]
};

const FLAVOR_LIST_ROUTES: &[Route] = &{
    let brief: &[Route] = nova_routes!("GET" "/flavors" => Endpoint::NovaFlavors);
    let detail: &[Route] = nova_routes!("GET" "/flavors/detail" => Endpoint::NovaFlavorsDetail);
    [brief[0], brief[1], brief[2], detail[0], detail[1], detail[2]]
};

pub(super) const ROWS: &[Operation] = &[
    native(
        OpId::NovaStart,
        "Start (native)",
        None,
        action!("os-start"),
        &["ecs:servers:start", "ecs:servers:get"],
        &[VmState::Stopped],
        IDLE,
        TaskState::PoweringOn,
        Workflow::Start,
        "startServer",
        "start",
    ),
    native(
        OpId::NovaStop,
        "Stop (native)",
        Some(5),
        action!("os-stop"),
        &["ecs:servers:stop", "ecs:servers:get"],
        &[VmState::Active, VmState::Error],
        IDLE,
        TaskState::PoweringOff,
        Workflow::Stop,
        "stopServer",
        "stop",
    ),
    native(
        OpId::NovaRebootSoft,
        "Restart gracefully (native)",
        Some(6),
        action!("reboot", "type" = "SOFT"),
        &["ecs:servers:reboot", "ecs:servers:get"],
        &[VmState::Active],
        IDLE,
        TaskState::Rebooting,
        Workflow::RebootSoft,
        "rebootServer",
        "reboot",
    ),
    native(
        OpId::NovaRebootHard,
        "Restart forcibly (native)",
        Some(6),
        action!("reboot", "type" = "HARD"),
        &["ecs:servers:reboot", "ecs:servers:get"],
        ACTIVE_STOPPED_OR_ERROR,
        HARD_REBOOT_TASKS,
        TaskState::RebootingHard,
        Workflow::RebootHard,
        "rebootServer",
        "reboot",
    ),
    native(
        OpId::NovaResize,
        "Change specifications (native); ends in VERIFY_RESIZE",
        Some(7),
        action!("resize"),
        NATIVE_RESIZE_ACTIONS,
        ACTIVE_OR_STOPPED,
        IDLE,
        TaskState::ResizePrep,
        Workflow::Resize,
        "resizeServer",
        "resize",
    ),
    // The published tables name no action for confirm and revert; ecsd uses
    // `ecs:servers:confirmResize` / `ecs:servers:revertResize` plus the read.
    native(
        OpId::NovaConfirmResize,
        "Confirm a resize (native)",
        None,
        action!("confirmResize"),
        &["ecs:servers:confirmResize", "ecs:servers:get"],
        &[VmState::Resized],
        IDLE,
        TaskState::ResizeConfirming,
        Workflow::ConfirmResize,
        "confirmResizeServer",
        "confirmResize",
    ),
    native(
        OpId::NovaRevertResize,
        "Revert a resize (native)",
        None,
        action!("revertResize"),
        &["ecs:servers:revertResize", "ecs:servers:get"],
        &[VmState::Resized],
        IDLE,
        TaskState::ResizeReverting,
        Workflow::RevertResize,
        "revertResizeServer",
        "revertResize",
    ),
    native(
        OpId::NovaRebuild,
        "Rebuild from an image (native)",
        Some(8),
        action!("rebuild"),
        NATIVE_REBUILD_ACTIONS,
        ACTIVE_STOPPED_OR_ERROR,
        IDLE,
        TaskState::Rebuilding,
        Workflow::Rebuild,
        "rebuildServer",
        "rebuild",
    ),
    lock_row(
        OpId::NovaLock,
        "Lock (native)",
        9,
        action!("lock"),
        &["ecs:servers:lock", "ecs:servers:get"],
        Workflow::Lock,
        "lockServer",
        "lock",
    ),
    lock_row(
        OpId::NovaUnlock,
        "Unlock (native)",
        10,
        action!("unlock"),
        &["ecs:servers:unlock", "ecs:servers:get"],
        Workflow::Unlock,
        "unlockServer",
        "unlock",
    ),
    Operation {
        claim_task: Some(TaskState::Scheduling),
        workflow: Some(Workflow::Create),
        job_type: Some("createServer"),
        sub_job_type: Some("createSingleServer"),
        instance_action: Some("create"),
        conflict_name: "create",
        ..row(
            OpId::NovaCreate,
            "Create a server (native)",
            nova_routes!("POST" "/servers" => Endpoint::NovaServers),
            &["ecs:servers:create"],
        )
    },
    change(
        OpId::NovaDelete,
        "Delete a server (native)",
        nova_routes!("DELETE" "/servers/{server_id}" => Endpoint::NovaServer),
        &["ecs:servers:delete", "ecs:servers:get"],
        ANY_LIVE,
        TaskState::Deleting,
        Workflow::Delete,
        "deleteServer",
        "delete",
    ),
    row(
        OpId::NovaShowServer,
        "Show a server (native)",
        nova_routes!("GET" "/servers/{server_id}" => Endpoint::NovaServer),
        &["ecs:servers:get"],
    ),
    row(
        OpId::NovaListServers,
        "List servers (native), brief or detailed",
        LIST_ROUTES,
        &["ecs:servers:list"],
    ),
    row(
        OpId::NovaListInstanceActions,
        "List a server's instance actions",
        nova_routes!("GET" "/servers/{server_id}/os-instance-actions" => Endpoint::NovaInstanceActions),
        &["ecs:servers:get"],
    ),
    row(
        OpId::NovaShowInstanceAction,
        "Show one instance action with its events",
        nova_routes!("GET" "/servers/{server_id}/os-instance-actions/{request_id}" => Endpoint::NovaInstanceAction),
        &["ecs:servers:get"],
    ),
    // The action Huawei names for a native interface read is UNCONFIRMED;
    // ecsd takes the server read's.
    row(
        OpId::NovaListInterfaces,
        "List a server's network interfaces (ports)",
        nova_routes!("GET" "/servers/{server_id}/os-interface" => Endpoint::NovaInterfaces),
        &["ecs:serverInterfaces:get", "vpc:ports:get"],
    ),
    row(
        OpId::NovaShowInterface,
        "Show one of a server's network interfaces",
        nova_routes!("GET" "/servers/{server_id}/os-interface/{port_id}" => Endpoint::NovaInterface),
        &["ecs:serverInterfaces:get", "vpc:ports:get"],
    ),
    attachment(
        OpId::NovaAttachInterface,
        "Attach a network interface: a port, or a new one on a network (native)",
        nova_routes!("POST" "/servers/{server_id}/os-interface" => Endpoint::NovaInterfaces),
        NOVA_ATTACH_INTERFACE_ACTIONS,
        "attachInterface",
        "attach_interface",
    ),
    attachment(
        OpId::NovaDetachInterface,
        "Detach a network interface (native)",
        nova_routes!("DELETE" "/servers/{server_id}/os-interface/{port_id}" => Endpoint::NovaInterface),
        NOVA_DETACH_INTERFACE_ACTIONS,
        "detachInterface",
        "detach_interface",
    ),
    row(
        OpId::NovaListFlavors,
        "List flavors (native)",
        FLAVOR_LIST_ROUTES,
        &["ecs:flavors:get"],
    ),
    row(
        OpId::NovaShowFlavor,
        "Show a flavor (native)",
        nova_routes!("GET" "/flavors/{flavor_id}" => Endpoint::NovaFlavor),
        &["ecs:flavors:get"],
    ),
];
