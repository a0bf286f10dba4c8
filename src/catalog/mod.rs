//! THE operation catalog: one row per operation, the single source of truth
//! for what each operation requires (IAM actions, dependents included), which
//! states admit it, how a lock affects it, the task state it claims, the
//! workflow that carries it out, its job type, and the routes that reach it.
//! The router, the authorizer, admission, the docs, the golden tables and the
//! access tests all read this table.
//!
//! The rows live with their API family ([`huawei`], [`nova`], [`images`],
//! [`network`], [`volume`], [`identity`], [`platform`]); [`CATALOG`] is all of them in one array,
//! checked at compile time to hold exactly one row per [`OpId`], at the
//! position of its discriminant, so [`op`] is an index and cannot miss.

mod admission;
mod docs;
pub mod huawei;
pub mod identity;
pub mod images;
pub mod network;
pub mod nova;
pub mod nova_resources;
mod op_id;
pub mod platform;
pub mod volume;

pub use admission::admit;
pub use docs::{identity_table, markdown_table, network_table, permissions_table};
pub use op_id::OpId;

use crate::domain::{TaskState, VmState};

/// The handler family a route belongs to. Routes of one endpoint share a
/// handler; where several rows share a route, the endpoint's dialect picks
/// the row by the route's [`Selector`].
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
    HwAttachVolume,
    HwDetachVolume,
    HwBlockDevices,
    HwBlockDevice,
    HwLimits,
    HwInterfaces,
    HwNics,
    HwNicsDelete,
    HwUpdate,
    HwMetadata,
    NovaServers,
    NovaServersDetail,
    NovaServer,
    NovaServerAction,
    NovaInstanceActions,
    NovaInstanceAction,
    NovaInterfaces,
    NovaInterface,
    NovaFlavors,
    NovaFlavorsDetail,
    NovaFlavor,
    NovaVolumeAttachments,
    NovaVolumeAttachment,
    NovaLimits,
    NovaQuotaSets,
    NovaMetadata,
    NovaMetadataItem,
    NovaIps,
    NovaZones,
    NovaKeypairs,
    NovaKeypair,
    NovaImages,
    NovaImage,
    GlanceImages,
    GlanceImage,
    GlanceMembers,
    GlanceMember,
    /// IMS's own image calls.
    ImsImages,
    ImsImage,
    ImsCreate,
    /// Huawei VPC v1; the row names the call.
    Vpc,
    /// Neutron v2.0; the row names the call.
    Neutron,
    /// Neutron's version documents.
    NetworkVersions,
    /// Cinder v3; the row names the call.
    Cinder,
    /// Cinder's version documents.
    VolumeVersions,
    /// Huawei EVS; the row names the call.
    Evs,
    /// Keystone and Huawei IAM management; the row names the call.
    Identity(IdentityEndpoint),
    /// Keystone's discovery document and token API.
    KeystoneDiscovery,
    KeystoneIssueToken,
    KeystoneValidateToken,
    KeystoneCheckToken,
    KeystoneRevokeToken,
    /// Version documents.
    VersionsRoot,
    ComputeVersion21,
    ComputeVersion20,
    ImageVersions,
    /// ecsd's own operator API.
    AdminFaults,
    AdminExplain,
    AdminSuggest,
    AdminAudit,
}

/// The identity management handlers (one per kind of call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentityEndpoint {
    ListUsers,
    CreateUser,
    /// Huawei's OS-USER create, which requires `domain_id`.
    CreateUserHuawei,
    ShowUser,
    UpdateUser,
    DeleteUser,
    ChangePassword,
    UserGroups,
    ListGroups,
    CreateGroup,
    ShowGroup,
    UpdateGroup,
    DeleteGroup,
    GroupUsers,
    Membership,
    ListProjects,
    CreateProject,
    ShowProject,
    UpdateProject,
    ListDomains,
    CreateDomain,
    ShowDomain,
    ListRoles,
    ShowRole,
    ListCustom,
    CreateCustom,
    ShowCustom,
    UpdateCustom,
    DeleteCustom,
    RoleAssignments,
    GrantList,
    GrantOne,
    ListCredentials,
    CreateCredential,
    ShowCredential,
    UpdateCredential,
    DeleteCredential,
}

/// What in the request body picks a row on a route that several rows share:
/// the action key (`os-stop`), and for some the value of one field inside it
/// (`reboot` with `type` = `HARD`). A row whose selector names no field is
/// the one taken when no sibling's field matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selector {
    /// The body's top-level key; `None` where the route has one body shape.
    pub key: Option<&'static str>,
    /// A field of the key's object and the value (compared ignoring case).
    pub field: Option<(&'static str, &'static str)>,
}

/// A route: method and axum path template, the handler family, and the body
/// [`Selector`] that picks this row where several rows share the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub endpoint: Endpoint,
    pub selector: Option<Selector>,
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials (version documents, token issue and validation, which
    /// carry their own proof).
    Public,
    /// Any authenticated caller of the project or account; no IAM action.
    Member,
    /// Every action of the row must be allowed by the caller's policies.
    Actions,
    /// The account administrator; some rows also let a caller act on itself.
    Administrator,
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

pub(crate) const IDLE: &[Option<TaskState>] = &[None];

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
    /// Lock and unlock change only the lock record; their job completes at once.
    Lock,
    Unlock,
    /// Capture the system disk into a new private image.
    CreateImage,
}

/// One row of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub id: OpId,
    pub summary: &'static str,
    /// The row of the seed permission table this operation implements.
    pub seed_row: Option<u8>,
    pub routes: &'static [Route],
    pub access: Access,
    /// Every IAM action the caller must hold; all must be allowed.
    pub actions: &'static [&'static str],
    /// When a caller needs none of the actions (acting on itself), if ever.
    pub self_service: Option<&'static str>,
    /// Whether the IAM `Resource` can name a single server.
    pub instance_authz: bool,
    pub states: Option<StateRule>,
    pub lock: LockRule,
    /// The task state set when the operation claims the server.
    pub claim_task: Option<TaskState>,
    pub workflow: Option<Workflow>,
    /// Huawei job type of the job it creates.
    pub job_type: Option<&'static str>,
    /// Job type of each sub-job where it differs (`createSingleServer`).
    pub sub_job_type: Option<&'static str>,
    /// Nova instance-action name recorded for the server.
    pub instance_action: Option<&'static str>,
    /// The action name in Nova's 409 texts (`Cannot 'stop' instance ...`).
    pub conflict_name: &'static str,
}

impl Operation {
    /// Stable name used in logs, jobs, audit, explain and docs.
    pub fn name(&self) -> &'static str {
        self.id.name()
    }

    /// The job type of the operation's (parent) job.
    pub fn job_type(&self) -> &'static str {
        self.job_type.unwrap_or(self.id.name())
    }

    /// The job type of one sub-job of a batch or multi-server create.
    pub fn sub_job_type(&self) -> &'static str {
        self.sub_job_type.unwrap_or(self.job_type())
    }
}

/// A row that only reads (or writes records without a workflow): no state
/// rule, no lock rule, no job. Family files build their rows from it.
pub(crate) const fn row(
    id: OpId,
    summary: &'static str,
    routes: &'static [Route],
    actions: &'static [&'static str],
) -> Operation {
    Operation {
        id,
        summary,
        seed_row: None,
        routes,
        access: if actions.is_empty() {
            Access::Member
        } else {
            Access::Actions
        },
        actions,
        self_service: None,
        instance_authz: false,
        states: None,
        lock: LockRule::Ignored,
        claim_task: None,
        workflow: None,
        job_type: None,
        sub_job_type: None,
        instance_action: None,
        conflict_name: "",
    }
}

/// One route without a body selector.
pub(crate) const fn route(method: &'static str, path: &'static str, endpoint: Endpoint) -> Route {
    Route {
        method,
        path,
        endpoint,
        selector: None,
    }
}

/// The same paths with one method, endpoint and body selector.
pub(crate) const fn selected<const N: usize>(
    method: &'static str,
    paths: [&'static str; N],
    endpoint: Endpoint,
    selector: Selector,
) -> [Route; N] {
    let mut out = [route(method, paths[0], endpoint); N];
    let mut i = 0;
    while i < N {
        out[i] = Route {
            method,
            path: paths[i],
            endpoint,
            selector: Some(selector),
        };
        i += 1;
    }
    out
}

/// A row anyone may call, without credentials.
pub(crate) const fn public(id: OpId, summary: &'static str, routes: &'static [Route]) -> Operation {
    Operation {
        access: Access::Public,
        ..row(id, summary, routes, &[])
    }
}

/// A row for the account administrator.
pub(crate) const fn administrator(id: OpId, summary: &'static str, routes: &'static [Route]) -> Operation {
    Operation {
        access: Access::Administrator,
        ..row(id, summary, routes, &[])
    }
}

/// Routes of one endpoint: `routes!(Endpoint: "GET" "/path", ...)`, with an
/// optional body selector after `@`.
macro_rules! routes {
    ($endpoint:expr; $($method:literal $path:literal),+ $(,)?) => {
        &[$($crate::catalog::Route {
            method: $method,
            path: $path,
            endpoint: $endpoint,
            selector: None,
        }),+]
    };
    ($endpoint:expr, $selector:expr; $($method:literal $path:literal),+ $(,)?) => {
        &[$($crate::catalog::Route {
            method: $method,
            path: $path,
            endpoint: $endpoint,
            selector: Some($selector),
        }),+]
    };
}
pub(crate) use routes;

const ROW_COUNT: usize = huawei::ROWS.len()
    + nova::ROWS.len()
    + nova_resources::ROWS.len()
    + images::ROWS.len()
    + network::ROWS.len()
    + volume::ROWS.len()
    + identity::ROWS.len()
    + platform::ROWS.len();

/// Every operation ecsd serves, in the order of [`OpId`].
pub static CATALOG: [Operation; ROW_COUNT] = concat_rows();

// Evaluated only at compile time, into the static: no stack is involved.
#[allow(clippy::large_stack_arrays)]
const fn concat_rows() -> [Operation; ROW_COUNT] {
    let families: [&[Operation]; 8] = [
        huawei::ROWS,
        nova::ROWS,
        nova_resources::ROWS,
        images::ROWS,
        network::ROWS,
        volume::ROWS,
        identity::ROWS,
        platform::ROWS,
    ];
    let mut out = [huawei::ROWS[0]; ROW_COUNT];
    let mut n = 0;
    let mut f = 0;
    while f < families.len() {
        let mut i = 0;
        while i < families[f].len() {
            out[n] = families[f][i];
            n += 1;
            i += 1;
        }
        f += 1;
    }
    // Row n is the row of the OpId whose discriminant is n: no id without a
    // row, none with two, so `op` below cannot miss.
    assert!(n == OpId::ALL.len(), "the catalog needs exactly one row per OpId");
    let mut k = 0;
    while k < n {
        assert!(out[k].id as usize == k, "catalog rows must follow the order of OpId");
        k += 1;
    }
    out
}

/// The catalog row of an operation.
pub fn op(id: OpId) -> &'static Operation {
    &CATALOG[id as usize]
}

/// The row of a stored operation name (a job's, or one named in explain).
pub fn by_name(name: &str) -> Option<&'static Operation> {
    OpId::from_name(name).map(op)
}

/// The row an endpoint's body picks: the selector whose key is `key` and
/// whose field (if any) has the value found in `value`; a row with the key
/// and no field is taken when no field matches.
pub fn select(endpoint: Endpoint, key: Option<&str>, value: &serde_json::Value) -> Option<&'static Operation> {
    let mut fallback = None;
    for o in CATALOG.iter() {
        for r in o.routes.iter().filter(|r| r.endpoint == endpoint) {
            let Some(sel) = r.selector else { continue };
            if sel.key != key {
                continue;
            }
            match sel.field {
                Some((field, want)) => {
                    let got = value.get(field).and_then(serde_json::Value::as_str);
                    if got.is_some_and(|g| g.eq_ignore_ascii_case(want)) {
                        return Some(o);
                    }
                }
                None => fallback = fallback.or(Some(o)),
            }
        }
    }
    fallback
}

#[cfg(test)]
mod tests;
