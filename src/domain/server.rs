//! The server record and Nova's three separate state fields: the stable
//! `vm_state` users see, the `task_state` of the operation in flight, and the
//! `power_state` the hypervisor last reported.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Stable state of a server (Nova `vm_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VmState {
    Building,
    Active,
    Stopped,
    Resized,
    Error,
    Deleted,
}

impl VmState {
    pub const ALL: [VmState; 6] = [
        VmState::Building,
        VmState::Active,
        VmState::Stopped,
        VmState::Resized,
        VmState::Error,
        VmState::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VmState::Building => "building",
            VmState::Active => "active",
            VmState::Stopped => "stopped",
            VmState::Resized => "resized",
            VmState::Error => "error",
            VmState::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<VmState> {
        VmState::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The operation in flight (Nova `task_state`); `None` means idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskState {
    Scheduling,
    BlockDeviceMapping,
    Networking,
    Spawning,
    PoweringOff,
    PoweringOn,
    Rebooting,
    RebootPending,
    RebootStarted,
    RebootingHard,
    RebootPendingHard,
    RebootStartedHard,
    ResizePrep,
    ResizeMigrating,
    ResizeMigrated,
    ResizeFinish,
    ResizeReverting,
    ResizeConfirming,
    Rebuilding,
    RebuildBlockDeviceMapping,
    RebuildSpawning,
    Migrating,
    Deleting,
    ImageSnapshot,
    ImagePendingUpload,
    ImageUploading,
}

impl TaskState {
    pub const ALL: [TaskState; 26] = [
        TaskState::Scheduling,
        TaskState::BlockDeviceMapping,
        TaskState::Networking,
        TaskState::Spawning,
        TaskState::PoweringOff,
        TaskState::PoweringOn,
        TaskState::Rebooting,
        TaskState::RebootPending,
        TaskState::RebootStarted,
        TaskState::RebootingHard,
        TaskState::RebootPendingHard,
        TaskState::RebootStartedHard,
        TaskState::ResizePrep,
        TaskState::ResizeMigrating,
        TaskState::ResizeMigrated,
        TaskState::ResizeFinish,
        TaskState::ResizeReverting,
        TaskState::ResizeConfirming,
        TaskState::Rebuilding,
        TaskState::RebuildBlockDeviceMapping,
        TaskState::RebuildSpawning,
        TaskState::Migrating,
        TaskState::Deleting,
        TaskState::ImageSnapshot,
        TaskState::ImagePendingUpload,
        TaskState::ImageUploading,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Scheduling => "scheduling",
            TaskState::BlockDeviceMapping => "block_device_mapping",
            TaskState::Networking => "networking",
            TaskState::Spawning => "spawning",
            TaskState::PoweringOff => "powering-off",
            TaskState::PoweringOn => "powering-on",
            TaskState::Rebooting => "rebooting",
            TaskState::RebootPending => "reboot_pending",
            TaskState::RebootStarted => "reboot_started",
            TaskState::RebootingHard => "rebooting_hard",
            TaskState::RebootPendingHard => "reboot_pending_hard",
            TaskState::RebootStartedHard => "reboot_started_hard",
            TaskState::ResizePrep => "resize_prep",
            TaskState::ResizeMigrating => "resize_migrating",
            TaskState::ResizeMigrated => "resize_migrated",
            TaskState::ResizeFinish => "resize_finish",
            TaskState::ResizeReverting => "resize_reverting",
            TaskState::ResizeConfirming => "resize_confirming",
            TaskState::Rebuilding => "rebuilding",
            TaskState::RebuildBlockDeviceMapping => "rebuild_block_device_mapping",
            TaskState::RebuildSpawning => "rebuild_spawning",
            TaskState::Migrating => "migrating",
            TaskState::Deleting => "deleting",
            TaskState::ImageSnapshot => "image_snapshot",
            TaskState::ImagePendingUpload => "image_pending_upload",
            TaskState::ImageUploading => "image_uploading",
        }
    }

    pub fn parse(s: &str) -> Option<TaskState> {
        TaskState::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// What the hypervisor last reported (Nova `power_state` integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PowerState {
    NoState,
    Running,
    Shutdown,
}

impl PowerState {
    pub fn code(self) -> i64 {
        match self {
            PowerState::NoState => 0,
            PowerState::Running => 1,
            PowerState::Shutdown => 4,
        }
    }

    pub fn from_code(code: i64) -> PowerState {
        match code {
            1 => PowerState::Running,
            4 => PowerState::Shutdown,
            _ => PowerState::NoState,
        }
    }
}

/// The API `status` derived from (vm_state, task_state), Nova's `_STATE_MAP`.
pub fn status_of(vm: VmState, task: Option<TaskState>) -> &'static str {
    use TaskState as T;
    match vm {
        VmState::Active => match task {
            Some(T::Rebooting | T::RebootPending | T::RebootStarted) => "REBOOT",
            Some(T::RebootingHard | T::RebootPendingHard | T::RebootStartedHard) => "HARD_REBOOT",
            Some(T::Rebuilding | T::RebuildBlockDeviceMapping | T::RebuildSpawning) => "REBUILD",
            Some(T::Migrating) => "MIGRATING",
            Some(T::ResizePrep | T::ResizeMigrating | T::ResizeMigrated | T::ResizeFinish) => "RESIZE",
            _ => "ACTIVE",
        },
        VmState::Building => "BUILD",
        VmState::Stopped => match task {
            Some(T::ResizePrep | T::ResizeMigrating | T::ResizeMigrated | T::ResizeFinish) => "RESIZE",
            Some(T::Rebuilding | T::RebuildBlockDeviceMapping | T::RebuildSpawning) => "REBUILD",
            Some(T::Migrating) => "MIGRATING",
            _ => "SHUTOFF",
        },
        VmState::Resized => match task {
            Some(T::ResizeReverting) => "REVERT_RESIZE",
            _ => "VERIFY_RESIZE",
        },
        VmState::Error => match task {
            Some(T::Rebuilding | T::RebuildBlockDeviceMapping | T::RebuildSpawning) => "REBUILD",
            _ => "ERROR",
        },
        VmState::Deleted => "DELETED",
    }
}

/// Who locked a server: its own project, or an administrator of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockedBy {
    Owner,
    Admin,
}

/// A fault recorded when a server went to ERROR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub code: u16,
    pub message: String,
    pub details: String,
    pub created: DateTime<Utc>,
}

/// A block-storage volume attached to a server (the `evs:` resources).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    pub id: String,
    pub server_id: Option<String>,
    pub project_id: String,
    pub size_gb: i64,
    pub volume_type: String,
    pub bootable: bool,
    pub device: String,
    pub image_id: Option<String>,
    pub status: String,
    pub host: Option<String>,
    pub delete_on_termination: bool,
    /// The name and description a volume made through the block storage
    /// API carries; empty for a server's own volumes.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// When it was made; volumes written before this field have none.
    #[serde(default)]
    pub created: Option<DateTime<Utc>>,
    /// When it was last attached to its server (none while free).
    #[serde(default)]
    pub attached_at: Option<DateTime<Utc>>,
}

/// A network port of a server (the `vpc:` resources): on a network (the
/// Huawei subnet id), with an address of one of its Neutron subnets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Port {
    pub id: String,
    pub server_id: Option<String>,
    pub project_id: String,
    pub network_id: String,
    /// The network's name when the port was made (Nova's `addresses` key).
    #[serde(default)]
    pub network_name: String,
    /// The VPC of the network, if any (Huawei's `addresses` key).
    #[serde(default)]
    pub vpc_id: Option<String>,
    /// The Neutron subnet the address belongs to.
    pub subnet_id: String,
    pub ip_address: String,
    pub mac_address: String,
    pub binding_host: Option<String>,
    pub primary: bool,
    pub status: String,
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// The groups' names when the port joined them (what a server's
    /// `security_groups` shows), in the order of `security_groups`.
    #[serde(default)]
    pub security_group_names: Vec<String>,
    /// The port's own name (Neutron's), empty for ports a create made.
    #[serde(default)]
    pub name: String,
    /// Made through the network API: a server's delete unbinds it instead
    /// of deleting it (Nova's `preserve_on_delete`).
    #[serde(default)]
    pub preserve_on_delete: bool,
    /// The floating IP mapped to the port: filled when the port is read
    /// with its server, never stored with it.
    #[serde(skip)]
    pub floating_ip: Option<String>,
}

/// The security groups of a server's ports as (id, name), each once; a
/// server whose ports predate group records shows `default`.
pub fn server_groups(ports: &[Port]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for p in ports {
        for (id, name) in p.security_groups.iter().zip(&p.security_group_names) {
            if !out.iter().any(|(seen, _)| seen == id) {
                out.push((id.clone(), name.clone()));
            }
        }
    }
    if out.is_empty() {
        out.push(("default".into(), "default".into()));
    }
    out
}

/// A server as stored. `generation` increases on every change so that
/// a claim is a compare-and-swap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Server {
    pub id: String,
    pub project_id: String,
    pub domain_id: String,
    pub user_id: String,
    pub name: String,
    pub description: String,
    pub vm_state: VmState,
    pub task_state: Option<TaskState>,
    pub power_state: PowerState,
    pub flavor_id: String,
    /// The flavor before a resize, kept until it is confirmed or reverted.
    pub old_flavor_id: Option<String>,
    pub image_id: String,
    pub host: Option<String>,
    /// The host before a resize, kept until it is confirmed or reverted.
    pub source_host: Option<String>,
    pub availability_zone: String,
    pub dedicated_host_id: Option<String>,
    pub key_name: Option<String>,
    pub user_data: Option<String>,
    pub locked: bool,
    pub locked_by: Option<LockedBy>,
    pub locked_reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub vpc_id: String,
    pub fault: Option<Fault>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub launched_at: Option<DateTime<Utc>>,
    pub terminated_at: Option<DateTime<Utc>>,
    pub generation: i64,
    /// Position in creation order, the stable key for paging.
    pub seq: i64,
    /// The job that holds the claim on this server, if any.
    pub current_job: Option<String>,
}

impl Server {
    pub fn status(&self) -> &'static str {
        status_of(self.vm_state, self.task_state)
    }

    /// Nova's `hostId`: a per-project hash of the host name, empty without a host.
    pub fn host_id_hash(&self) -> String {
        use sha2::{Digest, Sha224};
        match &self.host {
            Some(h) => {
                let mut d = Sha224::new();
                d.update(self.project_id.as_bytes());
                d.update(h.as_bytes());
                hex::encode(d.finalize())
            }
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table_matches_nova() {
        assert_eq!(status_of(VmState::Active, None), "ACTIVE");
        assert_eq!(status_of(VmState::Active, Some(TaskState::PoweringOff)), "ACTIVE");
        assert_eq!(status_of(VmState::Stopped, Some(TaskState::PoweringOn)), "SHUTOFF");
        assert_eq!(
            status_of(VmState::Resized, Some(TaskState::ResizeReverting)),
            "REVERT_RESIZE"
        );
        assert_eq!(status_of(VmState::Resized, None), "VERIFY_RESIZE");
        assert_eq!(
            status_of(VmState::Active, Some(TaskState::RebootStartedHard)),
            "HARD_REBOOT"
        );
        assert_eq!(status_of(VmState::Error, Some(TaskState::Rebuilding)), "REBUILD");
    }

    #[test]
    fn state_names_round_trip() {
        for v in VmState::ALL {
            assert_eq!(VmState::parse(v.as_str()), Some(v));
        }
        for t in TaskState::ALL {
            assert_eq!(TaskState::parse(t.as_str()), Some(t));
        }
    }
}

/// A server's lock, kept apart from the server record: only lock and
/// unlock write it, and every server read fills `Server.locked*` from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockRecord {
    /// Who holds the lock; `None` once unlocked.
    pub locked_by: Option<LockedBy>,
    pub locked_reason: Option<String>,
    /// When the lock last changed: a server read shows it as the update
    /// time when it is the later one.
    pub changed_at: DateTime<Utc>,
}

impl LockRecord {
    /// Fills a server's lock fields from its lock record (a server without
    /// one keeps what its own record says).
    pub fn apply_to(&self, s: &mut Server) {
        s.locked = self.locked_by.is_some();
        s.locked_by = self.locked_by;
        s.locked_reason = self.locked_reason.clone();
        if self.changed_at > s.updated {
            s.updated = self.changed_at;
        }
    }
}

/// Filters for server lists. All optional; `project_id` is always applied.
#[derive(Debug, Clone, Default)]
pub struct ServerFilter {
    pub name_contains: Option<String>,
    pub name_exact: Option<String>,
    pub statuses: Vec<&'static str>,
    pub flavor_id: Option<String>,
    pub image_id: Option<String>,
    pub ids: Vec<String>,
    pub tags_all: Vec<String>,
    pub not_tags: Vec<String>,
    pub ip_contains: Option<String>,
    pub include_deleted: bool,
    pub changes_since: Option<DateTime<Utc>>,
}

impl ServerFilter {
    /// Whether a server (with its ports, for the address filter) passes
    /// every filter given.
    pub fn admits(&self, s: &Server, ports: &[Port]) -> bool {
        let f = self;
        if !f.ids.is_empty() && !f.ids.iter().any(|id| id == &s.id) {
            return false;
        }
        if let Some(n) = &f.name_contains {
            if !s.name.contains(n.as_str()) {
                return false;
            }
        }
        if let Some(n) = &f.name_exact {
            if &s.name != n {
                return false;
            }
        }
        if !f.statuses.is_empty() && !f.statuses.contains(&s.status()) {
            return false;
        }
        if let Some(fl) = &f.flavor_id {
            if &s.flavor_id != fl {
                return false;
            }
        }
        if let Some(im) = &f.image_id {
            if &s.image_id != im {
                return false;
            }
        }
        if !f.tags_all.iter().all(|t| s.tags.contains(t)) {
            return false;
        }
        if f.not_tags.iter().any(|t| s.tags.contains(t)) {
            return false;
        }
        if let Some(ip) = &f.ip_contains {
            if !ports.iter().any(|p| p.ip_address.contains(ip.as_str())) {
                return false;
            }
        }
        if let Some(since) = f.changes_since {
            if s.updated < since {
                return false;
            }
        }
        true
    }
}

/// One page of results: `limit` items after `marker_seq` (or skipping `offset`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    pub limit: usize,
    pub offset: usize,
    pub after_seq: Option<i64>,
    /// Count every match, not only the page (Huawei's `count`); without
    /// it the listing stops at the page's end.
    pub count_total: bool,
}
