//! Persistence behind one trait, split by family (settings, identity,
//! audit, servers, jobs): SQLite (the embedded default) now, a PostgreSQL
//! implementation later with no change above this module.
//!
//! Records are stored as JSON documents beside the few columns that are
//! queried or compare-and-swapped (ids, project, status, generation, lease).

pub mod sqlite;

use std::net::Ipv4Addr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::quota::QuotaSet;
use crate::domain::{
    AddressRange, AuditFilter, AuditRecord, ControlResult, Credential, CustomRole, Domain, FloatingIp, Grant, Group,
    Image, ImageMember, InstanceAction, Job, JobStepRecord, KeyPair, LockRecord, Network, Page, Port, Project, Removal,
    SecurityGroup, SecurityGroupRule, Server, ServerFilter, Subnet, TokenRecord, User, Volume, Vpc,
};

/// Everything written when a server is claimed for an operation, in one
/// transaction: the server's new record (generation + 1), its job (already
/// leased to the node that will run it) and the instance action. A lost
/// race returns `Ok(false)`.
#[derive(Debug, Clone)]
pub struct Claim {
    pub server: Server,
    pub expected_generation: i64,
    pub job: Job,
    pub lease: Lease,
    pub action: Option<InstanceAction>,
    /// A record the operation makes visible at once (create image's image).
    pub image: Option<Image>,
}

/// The right to run a job: the node holding it, the epoch in which it took
/// it (raised each time the job changes hands) and until when it holds it
/// without renewing. Every write a worker makes for its job is fenced on
/// owner and epoch, so a worker that lost its lease can no longer write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub owner: String,
    pub epoch: i64,
    pub until: DateTime<Utc>,
}

/// One fenced commit of a running job, in one transaction: the lease is
/// checked and renewed, the step that ended is closed, the next step is
/// logged before it runs, and the job, the server (compare-and-swap on its
/// generation) and the instance action are written.
#[derive(Debug, Clone, Copy)]
pub struct StepCommit<'a> {
    pub job: &'a Job,
    pub lease: &'a Lease,
    /// The step that just ended, with its result (`ok`, `error`).
    pub ended: Option<(i64, &'a str)>,
    /// Steps that began and ended since the last commit (steps that only
    /// change the record), with their names and results.
    pub ran: &'a [(i64, &'a str, &'a str)],
    /// The step about to run, logged before it does.
    pub begins: Option<(i64, &'a str)>,
    pub server: ServerWrite<'a>,
    pub action: Option<&'a InstanceAction>,
}

/// What a [`StepCommit`] does with the job's server. Unless the job has
/// let go of it, the commit only happens while the server is at the
/// generation the job last saw, so a job whose server was taken by another
/// notices at its next commit.
#[derive(Debug, Clone, Copy)]
pub enum ServerWrite<'a> {
    /// The step left the record as it was: only check its generation.
    Unchanged { id: &'a str, generation: i64 },
    /// The server's new record (generation + 1) and the generation it must still have.
    Changed { next: &'a Server, expected: i64 },
    /// The job no longer owns the server (it was superseded): leave it alone.
    Untouched,
}

/// What became of a [`StepCommit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// Written; `attempts` counts the runs of the step that begins (0 if none).
    Committed { attempts: i64 },
    /// The server's generation moved: another job owns it now. Only the
    /// lease renewal was written.
    ServerMoved,
    /// Another node holds the job now; nothing was written.
    LeaseLost,
}

/// A port to create. Its address is `requested`, or a free host of `range`
/// when `None`; the store assigns it in the create transaction, so two
/// creates never take the same address. `port.ip_address` is ignored.
#[derive(Debug, Clone)]
pub struct NewPort {
    pub port: Port,
    pub requested: Option<Ipv4Addr>,
    pub range: AddressRange,
    /// The offsets of `range` automatic addresses come from (the subnet's
    /// allocation pool); the whole block when `None`.
    pub pool: Option<(u32, u32)>,
    /// The port exists already (made through the network API) and keeps
    /// its address; it is bound to the server if no server holds it yet,
    /// else the whole write is refused.
    pub bind_existing: bool,
}

/// Settings kept with the data (e.g. this node's id).
#[async_trait]
pub trait MetaStore: Send + Sync {
    async fn get_meta(&self, key: &str) -> ControlResult<Option<String>>;
    async fn set_meta(&self, key: &str, value: &str) -> ControlResult<()>;
}

/// Accounts, projects, users, AK/SK credentials, groups, custom policies,
/// grants and tokens.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    async fn put_domain(&self, d: &Domain) -> ControlResult<()>;
    async fn get_domain(&self, id: &str) -> ControlResult<Option<Domain>>;
    async fn find_domain(&self, name: &str) -> ControlResult<Option<Domain>>;
    async fn put_project(&self, p: &Project) -> ControlResult<()>;
    async fn get_project(&self, id: &str) -> ControlResult<Option<Project>>;
    async fn find_project(&self, domain_id: &str, name: &str) -> ControlResult<Option<Project>>;
    async fn list_projects(&self, domain_id: &str) -> ControlResult<Vec<Project>>;
    async fn put_user(&self, u: &User) -> ControlResult<()>;
    async fn get_user(&self, id: &str) -> ControlResult<Option<User>>;
    async fn find_user(&self, domain_id: &str, name: &str) -> ControlResult<Option<User>>;
    async fn put_credential(&self, c: &Credential) -> ControlResult<()>;
    async fn get_credential(&self, access: &str) -> ControlResult<Option<Credential>>;
    async fn list_domains(&self) -> ControlResult<Vec<Domain>>;
    async fn list_users(&self, domain_id: &str) -> ControlResult<Vec<User>>;
    async fn delete_user(&self, id: &str) -> ControlResult<()>;
    async fn list_credentials(&self, user_id: Option<&str>) -> ControlResult<Vec<Credential>>;
    async fn delete_credential(&self, access: &str) -> ControlResult<()>;

    // ---- groups, custom policies and grants ----
    async fn put_group(&self, g: &Group) -> ControlResult<()>;
    async fn get_group(&self, id: &str) -> ControlResult<Option<Group>>;
    async fn list_groups(&self, domain_id: &str) -> ControlResult<Vec<Group>>;
    /// Deletes a group with its memberships and grants.
    async fn delete_group(&self, id: &str) -> ControlResult<()>;
    async fn add_member(&self, group_id: &str, user_id: &str) -> ControlResult<()>;
    async fn remove_member(&self, group_id: &str, user_id: &str) -> ControlResult<bool>;
    async fn members_of(&self, group_id: &str) -> ControlResult<Vec<String>>;
    async fn groups_of(&self, user_id: &str) -> ControlResult<Vec<String>>;
    async fn put_role(&self, r: &CustomRole) -> ControlResult<()>;
    async fn get_role(&self, id: &str) -> ControlResult<Option<CustomRole>>;
    async fn list_roles(&self, domain_id: &str) -> ControlResult<Vec<CustomRole>>;
    /// Deletes a custom policy and every grant of it.
    async fn delete_role(&self, id: &str) -> ControlResult<()>;
    /// Adds a grant; false when it already existed.
    async fn put_grant(&self, g: &Grant) -> ControlResult<bool>;
    async fn delete_grant(&self, g: &Grant) -> ControlResult<bool>;
    /// Every grant whose actor is one of `actor_ids` (a user and its groups).
    async fn grants_of(&self, actor_ids: &[String]) -> ControlResult<Vec<Grant>>;
    /// Every grant on a scope (project or domain id).
    async fn grants_on(&self, scope_id: &str) -> ControlResult<Vec<Grant>>;

    // ---- tokens ----
    async fn put_token(&self, t: &TokenRecord) -> ControlResult<()>;
    async fn get_token(&self, hash: &str) -> ControlResult<Option<TokenRecord>>;
    async fn delete_tokens_of_user(&self, user_id: &str) -> ControlResult<u64>;
    /// Deletes one token by its hash; false when there was none.
    async fn delete_token(&self, hash: &str) -> ControlResult<bool>;
}

/// The audit trail of authenticated requests.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, records: &[AuditRecord]) -> ControlResult<()>;
    /// Newest first.
    async fn query_audit(&self, filter: &AuditFilter) -> ControlResult<Vec<AuditRecord>>;
    /// Drops records older than `before` and all but the newest `keep`.
    async fn prune_audit(&self, before: DateTime<Utc>, keep: usize) -> ControlResult<u64>;
}

/// Servers with their volumes, ports and instance actions.
#[async_trait]
pub trait ServerStore: Send + Sync {
    /// Creates servers with their volumes, ports, jobs and actions
    /// atomically, assigning each port its address; returns the ports as
    /// written. A requested address in use is a conflict (`Ecs.0005`), a
    /// subnet without a free address a capacity error; either writes nothing.
    async fn create_servers(
        &self,
        servers: &[Server],
        volumes: &[Volume],
        ports: &[NewPort],
        jobs: &[Job],
        actions: &[InstanceAction],
    ) -> ControlResult<Vec<Port>>;
    async fn get_server(&self, id: &str) -> ControlResult<Option<Server>>;
    /// Servers of a project, newest last, with the total before paging.
    async fn list_servers(
        &self,
        project_id: &str,
        filter: &ServerFilter,
        page: Page,
    ) -> ControlResult<(Vec<Server>, usize)>;
    /// All servers not deleted (the simulator re-learns them at start).
    async fn live_servers(&self) -> ControlResult<Vec<Server>>;
    /// How many live servers take room on each host with each flavor (a
    /// resizing server counts on its source host with its old flavor too),
    /// kept with every server write: placement reads this, never the servers.
    async fn host_flavor_counts(&self) -> ControlResult<Vec<(String, String, i64)>>;
    /// Compare-and-swap claim plus leased job and action insert.
    async fn claim(&self, claim: &Claim) -> ControlResult<bool>;
    /// Writes a server record if its generation is unchanged; bumps it.
    async fn update_server(&self, server: &Server, expected_generation: i64) -> ControlResult<bool>;

    // ---- volumes and ports ----
    async fn volumes_of(&self, server_id: &str) -> ControlResult<Vec<Volume>>;
    async fn get_volume(&self, id: &str) -> ControlResult<Option<Volume>>;
    async fn put_volume(&self, v: &Volume) -> ControlResult<()>;
    /// A project's volumes, attached or not.
    async fn list_volumes(&self, project_id: &str) -> ControlResult<Vec<Volume>>;
    async fn delete_volume(&self, id: &str) -> ControlResult<()>;
    async fn ports_of(&self, server_id: &str) -> ControlResult<Vec<Port>>;
    /// A server's volumes and ports, read together.
    async fn attachments_of(&self, server_id: &str) -> ControlResult<(Vec<Volume>, Vec<Port>)>;
    /// A server with its volumes and ports, in one read (what a show needs).
    async fn server_with_attachments(&self, id: &str) -> ControlResult<Option<(Server, Vec<Volume>, Vec<Port>)>>;
    async fn put_port(&self, p: &Port) -> ControlResult<()>;
    async fn get_port(&self, id: &str) -> ControlResult<Option<Port>>;
    /// A project's ports, bound or not.
    async fn list_ports(&self, project_id: &str) -> ControlResult<Vec<Port>>;
    /// Deletes a port; its address becomes free for the next create.
    async fn delete_port(&self, id: &str) -> ControlResult<()>;

    // ---- instance actions (written with their job's claim and steps) ----
    async fn get_action(&self, server_id: &str, request_id: &str) -> ControlResult<Option<InstanceAction>>;
    async fn list_actions(&self, server_id: &str) -> ControlResult<Vec<InstanceAction>>;

    // ---- server locks ----
    /// Writes a server's lock with its finished job and (optional) action in
    /// one transaction. The server record itself is left alone (no
    /// generation change), so a lock never races a running job's commits.
    /// False when there is no such server.
    async fn set_lock(
        &self,
        server_id: &str,
        lock: &LockRecord,
        job: &Job,
        action: Option<&InstanceAction>,
    ) -> ControlResult<bool>;
}

/// VPCs, networks, subnets, security groups and rules. Lists return a
/// project's own records and the shared ones. Deletes are guarded in the
/// store's transaction, so nothing in use is ever removed.
#[async_trait]
pub trait NetworkStore: Send + Sync {
    /// Creates or replaces a VPC.
    async fn put_vpc(&self, v: &Vpc) -> ControlResult<()>;
    async fn get_vpc(&self, id: &str) -> ControlResult<Option<Vpc>>;
    async fn list_vpcs(&self, project_id: &str) -> ControlResult<Vec<Vpc>>;
    /// In use while a network belongs to it.
    async fn delete_vpc(&self, id: &str) -> ControlResult<Removal>;

    async fn put_network(&self, n: &Network) -> ControlResult<()>;
    async fn get_network(&self, id: &str) -> ControlResult<Option<Network>>;
    async fn list_networks(&self, project_id: &str) -> ControlResult<Vec<Network>>;
    /// Deletes a network with its subnets; in use while a port is on it.
    async fn delete_network(&self, id: &str) -> ControlResult<Removal>;

    /// Creates a subnet unless its block overlaps another subnet of the same
    /// `scope` (its VPC, or its network outside any VPC); false if it does.
    async fn create_subnet(&self, s: &Subnet, scope: &str) -> ControlResult<bool>;
    /// Replaces a subnet's record (its block never changes).
    async fn update_subnet(&self, s: &Subnet) -> ControlResult<()>;
    async fn get_subnet(&self, id: &str) -> ControlResult<Option<Subnet>>;
    async fn subnets_of(&self, network_id: &str) -> ControlResult<Vec<Subnet>>;
    async fn list_subnets(&self, project_id: &str) -> ControlResult<Vec<Subnet>>;
    /// In use while a port has an address in it.
    async fn delete_subnet(&self, id: &str) -> ControlResult<Removal>;

    async fn put_security_group(&self, g: &SecurityGroup) -> ControlResult<()>;
    async fn get_security_group(&self, id: &str) -> ControlResult<Option<SecurityGroup>>;
    async fn list_security_groups(&self, project_id: &str) -> ControlResult<Vec<SecurityGroup>>;
    /// The project's group of that name, if any (a read, no write).
    async fn security_group_named(&self, project_id: &str, name: &str) -> ControlResult<Option<SecurityGroup>>;
    /// Creates the group with its rules unless the project already has a
    /// group of that name; returns the group that has it.
    async fn ensure_security_group(
        &self,
        g: &SecurityGroup,
        rules: &[SecurityGroupRule],
    ) -> ControlResult<SecurityGroup>;
    /// Deletes a group and its rules; in use while another group's rule
    /// names it as its remote group.
    async fn delete_security_group(&self, id: &str) -> ControlResult<Removal>;
    /// Adds a rule; false when the group already has the same rule.
    async fn create_rule(&self, r: &SecurityGroupRule) -> ControlResult<bool>;
    async fn get_rule(&self, id: &str) -> ControlResult<Option<SecurityGroupRule>>;
    async fn rules_of(&self, group_id: &str) -> ControlResult<Vec<SecurityGroupRule>>;
    async fn list_rules(&self, project_id: &str) -> ControlResult<Vec<SecurityGroupRule>>;
    async fn delete_rule(&self, id: &str) -> ControlResult<Removal>;

    /// Creates or replaces a floating IP; false (nothing written) when it
    /// would map to a port another floating IP maps to.
    async fn put_floating_ip(&self, f: &FloatingIp) -> ControlResult<bool>;
    async fn get_floating_ip(&self, id: &str) -> ControlResult<Option<FloatingIp>>;
    async fn list_floating_ips(&self, project_id: &str) -> ControlResult<Vec<FloatingIp>>;
    /// The floating IPs mapped to these ports.
    async fn floating_ips_of(&self, port_ids: &[String]) -> ControlResult<Vec<FloatingIp>>;
    /// Deletes the floating IP and releases its address port.
    async fn delete_floating_ip(&self, id: &str) -> ControlResult<Removal>;
}

/// A volume attached to or detached from a server with its job, finished
/// at once, in one transaction: written only if the server is still at the
/// generation admission saw and the volume still in the state the caller
/// read (status and holder), so two attaches of one volume admit one.
#[derive(Debug, Clone)]
pub struct AttachmentChange {
    pub server_id: String,
    pub server_generation: i64,
    /// The volume's record after the change.
    pub volume: Volume,
    pub expected_status: String,
    pub expected_server: Option<String>,
    pub job: Job,
    pub action: Option<InstanceAction>,
}

/// Why an attachment or binding change was not written, or that it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentOutcome {
    Written,
    /// The server changed (another operation claimed it) or is gone.
    ServerChanged,
    /// The volume or port changed (attached elsewhere, detached, deleted).
    VolumeChanged,
}

/// A port bound to a server or unbound from it with its job, finished at
/// once, in one transaction checked like an [`AttachmentChange`]: the
/// server unmoved, the port still held by `expected_server`.
#[derive(Debug, Clone)]
pub struct BindingChange {
    pub server_id: String,
    pub server_generation: i64,
    /// The port's record after the change.
    pub port: Port,
    pub expected_server: Option<String>,
    pub job: Job,
    pub action: Option<InstanceAction>,
}

/// What a server holds besides itself, changed while it runs: volumes
/// attached and ports bound, each with its job.
#[async_trait]
pub trait BindingStore: Send + Sync {
    async fn change_attachment(&self, change: &AttachmentChange) -> ControlResult<AttachmentOutcome>;
    async fn change_port_binding(&self, change: &BindingChange) -> ControlResult<AttachmentOutcome>;
}

/// Volume writes whose condition is checked in their own transaction.
#[async_trait]
pub trait VolumeStore: Send + Sync {
    /// Writes new volumes with the jobs that record their creation.
    async fn create_volumes(&self, volumes: &[Volume], jobs: &[Job]) -> ControlResult<()>;
    /// Replaces a volume's record if its holder and status are still those
    /// of `was` (the record it was made from); false (nothing written) otherwise.
    async fn replace_volume(&self, v: &Volume, was: &Volume) -> ControlResult<bool>;
    /// Deletes a volume if no server holds it and its status is one of
    /// `statuses`; false (nothing deleted) otherwise.
    async fn delete_free_volume(&self, id: &str, statuses: &[&str]) -> ControlResult<bool>;
}

/// Images: the region's public ones (owner none) and each project's own.
#[async_trait]
pub trait ImageStore: Send + Sync {
    /// Writes an image unless one with its id exists; true if written.
    async fn insert_image(&self, i: &Image) -> ControlResult<bool>;
    /// Replaces an image's record.
    async fn put_image(&self, i: &Image) -> ControlResult<()>;
    async fn get_image(&self, id: &str) -> ControlResult<Option<Image>>;
    /// The images a project sees: public and community ones, its own, and
    /// those shared with it that it accepted, in id order.
    async fn list_images(&self, project_id: &str) -> ControlResult<Vec<Image>>;
    /// Deletes the image with its members.
    async fn delete_image(&self, id: &str) -> ControlResult<()>;
    /// Adds a member; false when the project is one already.
    async fn add_image_member(&self, m: &ImageMember) -> ControlResult<bool>;
    /// Replaces a member's record (its status).
    async fn put_image_member(&self, m: &ImageMember) -> ControlResult<()>;
    async fn image_member(&self, image_id: &str, member_id: &str) -> ControlResult<Option<ImageMember>>;
    async fn image_members(&self, image_id: &str) -> ControlResult<Vec<ImageMember>>;
    async fn remove_image_member(&self, image_id: &str, member_id: &str) -> ControlResult<bool>;
}

/// Users' key pairs, by user and name.
#[async_trait]
pub trait KeyPairStore: Send + Sync {
    /// Adds a key pair; false when the user has one of that name.
    async fn insert_keypair(&self, k: &KeyPair) -> ControlResult<bool>;
    async fn get_keypair(&self, user_id: &str, name: &str) -> ControlResult<Option<KeyPair>>;
    /// A user's key pairs in name order.
    async fn list_keypairs(&self, user_id: &str) -> ControlResult<Vec<KeyPair>>;
    async fn delete_keypair(&self, user_id: &str, name: &str) -> ControlResult<bool>;
}

/// Quota overrides per project, and the usage counts quotas are checked
/// against that no other list gives (servers by flavor).
#[async_trait]
pub trait QuotaStore: Send + Sync {
    /// A project's overrides (the rest take the defaults).
    async fn quota_overrides(&self, project_id: &str) -> ControlResult<QuotaSet>;
    /// Sets these limits for the project, leaving its other overrides.
    async fn set_quotas(&self, project_id: &str, limits: &QuotaSet) -> ControlResult<()>;
    /// Drops every override: the project is back on the defaults.
    async fn clear_quotas(&self, project_id: &str) -> ControlResult<()>;
    /// A project's live servers counted by flavor (from a partial index of
    /// live servers, so deleted ones cost nothing).
    async fn live_servers_by_flavor(&self, project_id: &str) -> ControlResult<Vec<(String, i64)>>;
    /// A project's volumes: how many, and their total size in GB.
    async fn volume_usage(&self, project_id: &str) -> ControlResult<(i64, i64)>;
}

/// How far a batch's sub-jobs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubJobCounts {
    pub total: u64,
    pub unfinished: u64,
    /// Sub-jobs past INIT (running or ended).
    pub begun: u64,
}

/// Durable jobs and the log of their steps.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Writes jobs no worker runs (batch parents, refused sub-jobs).
    async fn insert_jobs(&self, jobs: &[Job]) -> ControlResult<()>;
    async fn get_job(&self, id: &str) -> ControlResult<Option<Job>>;
    async fn sub_jobs(&self, parent_id: &str) -> ControlResult<Vec<Job>>;
    /// A parent's sub-jobs counted from the index, without reading them.
    async fn sub_job_counts(&self, parent_id: &str) -> ControlResult<SubJobCounts>;
    /// The oldest `limit` unfinished jobs whose lease is free or expired,
    /// or held by `also_held_by` (a node taking up its own jobs: left from
    /// before a restart, or waiting for room to run).
    async fn runnable_jobs(
        &self,
        also_held_by: Option<&str>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> ControlResult<Vec<Job>>;
    /// Takes or renews the lease on an unfinished job (a new epoch when it
    /// changes hands); `None` if another node holds it or it has finished.
    async fn lease_job(&self, job_id: &str, node: &str, until: DateTime<Utc>) -> ControlResult<Option<Lease>>;
    /// Writes a job that no worker holds (a batch parent's status).
    async fn put_job(&self, job: &Job) -> ControlResult<()>;
    /// A worker's fenced write for its job; see [`StepCommit`].
    async fn commit_step(&self, commit: StepCommit<'_>) -> ControlResult<StepOutcome>;
    async fn job_steps(&self, job_id: &str) -> ControlResult<Vec<JobStepRecord>>;
}

/// The whole store: every family, so that one `Arc<dyn Store>` serves all.
pub trait Store:
    MetaStore
    + IdentityStore
    + AuditStore
    + ServerStore
    + VolumeStore
    + BindingStore
    + ImageStore
    + QuotaStore
    + KeyPairStore
    + NetworkStore
    + JobStore
    + 'static
{
}

impl<
        T: MetaStore
            + IdentityStore
            + AuditStore
            + ServerStore
            + VolumeStore
            + BindingStore
            + ImageStore
            + QuotaStore
            + KeyPairStore
            + NetworkStore
            + JobStore
            + 'static,
    > Store for T
{
}

/// The family traits, for code that calls store methods on a concrete store.
pub mod prelude {
    pub use super::{AuditStore, IdentityStore, JobStore, MetaStore, NetworkStore, ServerStore, Store, VolumeStore};
}
