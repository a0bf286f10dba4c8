//! Identity management: accounts (domains), projects, users, groups and
//! membership, custom policies, grants and AK/SK credentials, as the IAM
//! management APIs need them. No HTTP here: the API layer authorizes each
//! call against its IAM action first, then calls in here for validation,
//! uniqueness, account isolation and the revocation hooks.
//!
//! Rules decided here:
//! - Isolation: every object belongs to one account (domain) and is visible
//!   only to callers of that account; another account's objects are "not
//!   found" (404), never "forbidden". The one exception is the operator, an
//!   administrator of the bootstrap account: it creates further accounts
//!   (`POST /v3/domains`) and manages the identities inside them (their first
//!   users and the grants that make them account administrators).
//! - Tokens are revoked when a user is disabled or deleted, its password
//!   changes, it leaves a group, or a grant it holds directly or through one
//!   of its groups is added or removed (Huawei: "permission changes").
//! - Account administrators: a grant of Keystone's `admin` role to a user on
//!   its own domain sets [`User::account_admin`]; revoking that grant clears
//!   it again (never for the bootstrap administrator, the account's owner).
//! - Grant placement (Huawei's rule): a policy of type `AX` (global services)
//!   is granted on the account only, one of type `XA` (project-level
//!   services) on projects or on all projects only. The `BASE` catalog roles
//!   (Keystone's `admin`, `member`, `reader`, Tenant Administrator/Guest) may
//!   be granted anywhere, as Keystone allows.
//! - Limits: names 1..=64 characters, descriptions up to 255 (1000 for
//!   custom policies), passwords 6..=128 characters, two access keys per
//!   user, 200 custom policies per account.
//! - Error codes for the Huawei-format routes: `IAM.0007` (invalid request
//!   parameter, as documented); the not-found and conflict codes are ecsd's
//!   choice, as Huawei documents none for these cases.

use std::collections::HashSet;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::bootstrap::access_key_id;
use super::{hash_password, random_secret, verify_password, Identity};
use crate::domain::REGION;
use crate::domain::{hex_id, Caller, ControlError, ControlResult};
use crate::domain::{ActorKind, Credential, CustomRole, Domain, Grant, GrantScope, Group, Project, User};
use crate::iam::{find_system_role, system_roles, SystemRole};
use crate::store::Store;

/// Longest name of a user, group, project or domain.
pub const MAX_NAME: usize = 64;
/// Longest description of a user, group, project, domain or credential.
pub const MAX_DESCRIPTION: usize = 255;
pub const MIN_PASSWORD: usize = 6;
pub const MAX_PASSWORD: usize = 128;
pub const MAX_EMAIL: usize = 255;
/// Huawei allows two permanent access keys per user.
pub const MAX_ACCESS_KEYS_PER_USER: usize = 2;
/// Custom policies per account.
pub const MAX_CUSTOM_POLICIES: usize = 200;
pub const MAX_POLICY_DISPLAY_NAME: usize = 128;
pub const MAX_POLICY_DESCRIPTION: usize = 1000;

/// Huawei IAM's code for an invalid request parameter.
pub const CODE_INVALID: &str = "IAM.0007";
/// Not found (ecsd's choice of code).
pub const CODE_NOT_FOUND: &str = "IAM.0004";
/// Duplicate name or state conflict (ecsd's choice of code).
pub const CODE_CONFLICT: &str = "IAM.0009";

/// Serializes identity writes so that "check the name is free, then store"
/// cannot race (the store's unique indexes would otherwise turn the loser
/// into an internal error).
static WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Seals an AK/SK secret key for storage, with the data directory's key.
/// The plain secret is shown once, in the create response, and never logged.
pub fn seal_secret(identity: &Identity, plain: &str) -> ControlResult<String> {
    identity.seal(plain)
}

pub fn invalid(message: impl Into<String>) -> ControlError {
    ControlError::BadRequest {
        code: CODE_INVALID,
        message: message.into(),
    }
}

pub fn not_found(kind: &str, id: &str) -> ControlError {
    not_found_with(format!("Could not find {kind}: {id}."))
}

/// Not found, for what is not an object of its own (a membership, a grant).
pub fn not_found_with(message: impl Into<String>) -> ControlError {
    ControlError::NotFound {
        code: CODE_NOT_FOUND,
        message: message.into(),
    }
}

pub fn conflict(message: impl Into<String>) -> ControlError {
    ControlError::Conflict {
        code: CODE_CONFLICT,
        message: message.into(),
    }
}

/// A unique index refusing a write that raced past our own check.
fn unique_conflict(e: ControlError, what: &str) -> ControlError {
    match e {
        ControlError::Internal(m) if m.contains("UNIQUE") => conflict(format!("Duplicate entry: {what}.")),
        other => other,
    }
}

/// [`unique_conflict`] for the names that are unique within a domain.
fn unique_in_domain(e: ControlError, kind: &str) -> ControlError {
    unique_conflict(e, &format!("a {kind} of that name exists in the domain"))
}

/// Keystone's conflict for a user or group name taken in its domain.
fn duplicate_in_domain(kind: &str, name: &str, domain_id: &str) -> ControlError {
    conflict(format!(
        "Conflict occurred attempting to store {kind} - Duplicate entry found with name {name} at domain ID {domain_id}."
    ))
}

/// Keystone's conflict for a project name taken in its domain.
fn duplicate_project(name: &str) -> ControlError {
    conflict(format!(
        "Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : {name}."
    ))
}

/// An identity object that belongs to one account (domain).
trait InAccount {
    /// What a "not found" error calls it.
    const KIND: &'static str;
    /// The account whose callers may see it.
    fn account(&self) -> &str;
    fn name(&self) -> &str;
}

/// Each record, what "not found" calls it, and its field naming the account.
macro_rules! in_account {
    ($($record:ty, $kind:literal, $account:ident;)*) => {$(
        impl InAccount for $record {
            const KIND: &'static str = $kind;
            fn account(&self) -> &str {
                &self.$account
            }
            fn name(&self) -> &str {
                &self.name
            }
        }
    )*};
}

in_account! {
    Domain, "domain", id;
    Project, "project", domain_id;
    User, "user", domain_id;
    Group, "group", domain_id;
    CustomRole, "role", domain_id;
}

/// The object looked up as `id`, if the caller may see it. Missing and
/// another account's objects are both "not found" (isolation, see above).
fn visible<T: InAccount>(actor: &Actor, id: &str, found: Option<T>) -> ControlResult<T> {
    found
        .filter(|o| actor.sees(o.account()))
        .ok_or_else(|| not_found(T::KIND, id))
}

/// Loads the objects of `ids` that still exist, sorted by name (a list of
/// ids read apart from the objects may name one deleted meanwhile).
async fn load_sorted_by_name<T, F, Fut>(ids: Vec<String>, load: F) -> ControlResult<Vec<T>>
where
    T: InAccount,
    F: Fn(String) -> Fut,
    Fut: Future<Output = ControlResult<Option<T>>>,
{
    let mut out = Vec::new();
    for id in ids {
        if let Some(o) = load(id).await? {
            out.push(o);
        }
    }
    out.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(out)
}

fn check_text(field: &str, value: &str, min: usize, max: usize) -> ControlResult<()> {
    let n = value.chars().count();
    if n < min || (min > 0 && value.trim().is_empty()) {
        return Err(invalid(format!(
            "Invalid input for field '{field}': it must not be empty."
        )));
    }
    if n > max {
        return Err(invalid(format!(
            "Invalid input for field '{field}': at most {max} characters are allowed, got {n}."
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(format!(
            "Invalid input for field '{field}': control characters are not allowed."
        )));
    }
    Ok(())
}

/// A name: 1..=64 characters, no control characters, no surrounding blanks.
pub fn check_name(field: &str, value: &str) -> ControlResult<()> {
    check_text(field, value, 1, MAX_NAME)?;
    if value.trim() != value {
        return Err(invalid(format!(
            "Invalid input for field '{field}': leading or trailing blanks are not allowed."
        )));
    }
    Ok(())
}

pub fn check_description(field: &str, value: &str) -> ControlResult<()> {
    check_text(field, value, 0, MAX_DESCRIPTION)
}

/// Checks `<kind>.name` and `<kind>.description` where they are given.
fn check_name_and_description(kind: &str, name: Option<&str>, description: Option<&str>) -> ControlResult<()> {
    if let Some(n) = name {
        check_name(&format!("{kind}.name"), n)?;
    }
    if let Some(d) = description {
        check_description(&format!("{kind}.description"), d)?;
    }
    Ok(())
}

pub fn check_password(field: &str, value: &str) -> ControlResult<()> {
    let n = value.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) || value.trim().is_empty() {
        return Err(invalid(format!(
            "Invalid input for field '{field}': a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters."
        )));
    }
    Ok(())
}

pub fn check_email(field: &str, value: &str) -> ControlResult<()> {
    let ok = value.len() <= MAX_EMAIL
        && value
            .split_once('@')
            .is_some_and(|(local, host)| !local.is_empty() && host.contains('.') && !host.contains('@'))
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "Invalid input for field '{field}': not an email address."
        )))
    }
}

/// Validates a custom policy document: the policy engine's grammar and
/// limits, and `Version` `1.1` (custom policies are fine-grained only).
/// Errors name the JSON path of the fault, e.g. `Statement[0].Effect`.
pub fn validate_custom_policy(field: &str, policy: &Value) -> ControlResult<()> {
    match crate::iam::validate(policy) {
        Ok(doc) if doc.version == crate::iam::Version::V1_1 => Ok(()),
        Ok(_) => Err(invalid(format!(
            "Invalid policy in '{field}': Version: custom policies must be Version \"1.1\"."
        ))),
        Err(e) => Err(invalid(format!("Invalid policy in '{field}': {e}"))),
    }
}

async fn hash_blocking(password: String) -> ControlResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ControlError::internal)?
}

/// Who is calling, as identity management sees it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub domain_id: String,
    pub is_admin: bool,
    /// An administrator of the bootstrap account: may create accounts and
    /// manage the identities of every account.
    pub operator: bool,
}

impl Actor {
    /// Whether objects of `domain_id` are visible to this caller.
    pub fn sees(&self, domain_id: &str) -> bool {
        self.operator || self.domain_id == domain_id
    }

    /// The account a list shows: the one asked for, else the caller's own;
    /// `None` (an empty list) when the caller may not see it.
    fn listed_account<'a>(&'a self, asked: Option<&'a str>) -> Option<&'a str> {
        let domain = asked.unwrap_or(&self.domain_id);
        self.sees(domain).then_some(domain)
    }
}

/// A role as granted: a built-in one or a custom policy of an account.
#[derive(Debug, Clone)]
pub enum RoleRef {
    System(&'static SystemRole),
    Custom(Box<CustomRole>),
}

impl RoleRef {
    pub fn id(&self) -> &str {
        match self {
            RoleRef::System(r) => r.id,
            RoleRef::Custom(r) => &r.id,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            RoleRef::System(r) => r.name,
            RoleRef::Custom(r) => &r.name,
        }
    }

    pub fn display_name(&self) -> &str {
        match self {
            RoleRef::System(r) => r.display_name,
            RoleRef::Custom(r) => &r.display_name,
        }
    }

    pub fn role_type(&self) -> &str {
        match self {
            RoleRef::System(r) => r.role_type,
            RoleRef::Custom(r) => &r.role_type,
        }
    }

    /// `CUSTOMED` for custom policies, as Huawei spells it.
    pub fn catalog(&self) -> &str {
        match self {
            RoleRef::System(r) => r.catalog,
            RoleRef::Custom(_) => "CUSTOMED",
        }
    }

    /// `fine_grained` for `1.1` policies (every custom policy is one).
    pub fn flag(&self) -> Option<&str> {
        match self {
            RoleRef::System(r) => r.flag,
            RoleRef::Custom(_) => Some("fine_grained"),
        }
    }

    pub fn domain_id(&self) -> Option<&str> {
        match self {
            RoleRef::System(_) => None,
            RoleRef::Custom(r) => Some(&r.domain_id),
        }
    }

    /// Keystone's `admin` role, whose grant on a domain makes an account
    /// administrator.
    pub fn is_keystone_admin(&self) -> bool {
        matches!(self, RoleRef::System(r) if r.name == "admin")
    }
}

/// Filters of `GET /v3/users`.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub domain_id: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub name: String,
    pub domain_id: Option<String>,
    pub password: Option<String>,
    pub enabled: bool,
    pub description: String,
    pub email: Option<String>,
    pub default_project_id: Option<String>,
}

/// A change to a user; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub password: Option<String>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
    pub email: Option<Option<String>>,
    pub default_project_id: Option<Option<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct NewProject {
    pub name: String,
    pub domain_id: Option<String>,
    pub parent_id: Option<String>,
    pub description: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub domain_id: Option<String>,
    pub name: Option<String>,
    pub parent_id: Option<String>,
    pub enabled: Option<bool>,
}

/// Filters of `GET /v3/roles`.
#[derive(Debug, Clone, Default)]
pub struct RoleFilter {
    pub name: Option<String>,
    pub display_name: Option<String>,
    /// Huawei's `type`: `domain` (global: AX, AA) or `project` (XA, AA).
    pub scope_type: Option<String>,
    pub catalog: Option<String>,
    /// Only the custom policies of this account.
    pub domain_id: Option<String>,
    /// `policy` (fine-grained) or `role` (coarse).
    pub permission_type: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CustomSpec {
    pub display_name: String,
    pub role_type: String,
    pub description: String,
    pub description_cn: String,
    pub policy: Value,
}

#[derive(Debug, Clone, Default)]
pub struct CustomPatch {
    pub display_name: Option<String>,
    pub role_type: Option<String>,
    pub description: Option<String>,
    pub description_cn: Option<String>,
    pub policy: Option<Value>,
}

/// The scope and receiver of a grant.
#[derive(Debug, Clone)]
pub struct GrantTarget {
    pub scope: GrantScope,
    /// Project id for [`GrantScope::Project`], domain id otherwise.
    pub scope_id: String,
    pub actor: ActorKind,
    pub actor_id: String,
}

impl GrantTarget {
    /// What messages call the scope: a project, or a domain (also for all
    /// its projects).
    fn scope_noun(&self) -> &'static str {
        if self.scope == GrantScope::Project {
            "project"
        } else {
            "domain"
        }
    }
}

/// Filters of `GET /v3/role_assignments`.
#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub project_id: Option<String>,
    pub domain_id: Option<String>,
    pub role_id: Option<String>,
    /// Only `inherited_to_projects` grants.
    pub inherited: bool,
}

/// Identity management over the store, with the revocation hooks.
pub struct Admin<'a> {
    identity: &'a Identity,
    /// Called after any change that may change a decision (users, groups,
    /// memberships, grants, policies): the authorizer forgets its caches.
    on_change: Box<dyn Fn() + Send + Sync + 'a>,
}

impl<'a> Admin<'a> {
    pub fn new(identity: &'a Identity, on_change: Box<dyn Fn() + Send + Sync + 'a>) -> Admin<'a> {
        Admin { identity, on_change }
    }

    fn store(&self) -> &dyn Store {
        self.identity.store().as_ref()
    }

    fn changed(&self) {
        (self.on_change)()
    }

    /// What follows every change that may take rights away: the tokens of
    /// these users are revoked, then the authorizer forgets its caches.
    async fn revoke_then_changed<S: AsRef<str>>(&self, user_ids: &[S]) -> ControlResult<()> {
        for id in user_ids {
            self.identity.revoke_user_tokens(id.as_ref()).await?;
        }
        self.changed();
        Ok(())
    }

    /// The bootstrap account and its administrator, from the bootstrap record.
    async fn bootstrap_ids(&self) -> ControlResult<Option<(String, String)>> {
        let Some(text) = self.store().get_meta("bootstrap").await? else {
            return Ok(None);
        };
        let v: Value = serde_json::from_str(&text)?;
        let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        Ok(Some((field("domain_id"), field("user_id"))))
    }

    /// The account's owner (the bootstrap administrator) cannot be deleted,
    /// disabled or lose its administrator status.
    async fn is_owner(&self, user_id: &str) -> ControlResult<bool> {
        Ok(self.bootstrap_ids().await?.is_some_and(|(_, u)| u == user_id))
    }

    pub async fn actor(&self, caller: &Caller) -> ControlResult<Actor> {
        let operator = caller.is_admin
            && self
                .bootstrap_ids()
                .await?
                .is_some_and(|(d, _)| !d.is_empty() && d == caller.domain_id);
        Ok(Actor {
            user_id: caller.user_id.clone(),
            domain_id: caller.domain_id.clone(),
            is_admin: caller.is_admin,
            operator,
        })
    }

    // ---- domains ----

    pub async fn get_domain(&self, actor: &Actor, id: &str) -> ControlResult<Domain> {
        visible(actor, id, self.store().get_domain(id).await?)
    }

    /// The operator sees every account; everyone else only its own.
    pub async fn list_domains(
        &self,
        actor: &Actor,
        name: Option<&str>,
        enabled: Option<bool>,
    ) -> ControlResult<Vec<Domain>> {
        let all = self.store().list_domains().await?;
        Ok(all
            .into_iter()
            .filter(|d| actor.sees(&d.id))
            .filter(|d| name.is_none_or(|n| d.name == n))
            .filter(|d| enabled.is_none_or(|e| d.enabled == e))
            .collect())
    }

    /// Creates an account with its region project (Huawei: every account has
    /// one project per region, named after the region). Operator only.
    pub async fn create_domain(
        &self,
        actor: &Actor,
        name: &str,
        description: &str,
        enabled: bool,
    ) -> ControlResult<Domain> {
        if !actor.operator {
            return Err(ControlError::Forbidden {
                missing: vec!["iam:domains:createDomain".into()],
            });
        }
        check_name_and_description("domain", Some(name), Some(description))?;
        let _w = WRITES.lock().await;
        if self.store().find_domain(name).await?.is_some() {
            return Err(conflict(format!(
                "Conflict occurred attempting to store domain - Duplicate entry found with name {name}."
            )));
        }
        let domain = Domain {
            id: hex_id(),
            name: name.to_string(),
            enabled,
        };
        let project = Project {
            id: hex_id(),
            name: REGION.to_string(),
            domain_id: domain.id.clone(),
            parent_id: None,
            description: format!("Region {REGION}"),
            enabled: true,
        };
        self.store()
            .put_domain(&domain)
            .await
            .map_err(|e| unique_conflict(e, "a domain of that name exists"))?;
        self.store().put_project(&project).await?;
        drop(_w);
        self.changed();
        tracing::info!(domain = %domain.id, name = %domain.name, "account created");
        Ok(domain)
    }

    /// The domain a new object goes to: the named one if visible, else the
    /// caller's own.
    async fn target_domain(&self, actor: &Actor, domain_id: Option<&str>) -> ControlResult<String> {
        match domain_id {
            None => Ok(actor.domain_id.clone()),
            Some(d) => Ok(self.get_domain(actor, d).await?.id),
        }
    }

    // ---- users ----

    pub async fn get_user(&self, actor: &Actor, id: &str) -> ControlResult<User> {
        visible(actor, id, self.store().get_user(id).await?)
    }

    pub async fn is_domain_owner(&self, user: &User) -> ControlResult<bool> {
        self.is_owner(&user.id).await
    }

    pub async fn list_users(&self, actor: &Actor, f: &UserFilter) -> ControlResult<Vec<User>> {
        let Some(domain) = actor.listed_account(f.domain_id.as_deref()) else {
            return Ok(Vec::new());
        };
        let users = self.store().list_users(domain).await?;
        Ok(users
            .into_iter()
            .filter(|u| f.name.as_deref().is_none_or(|n| u.name == n))
            .filter(|u| f.enabled.is_none_or(|e| u.enabled == e))
            .collect())
    }

    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> ControlResult<User> {
        check_name_and_description("user", Some(&new.name), Some(&new.description))?;
        if let Some(p) = &new.password {
            check_password("user.password", p)?;
        }
        if let Some(e) = &new.email {
            check_email("user.email", e)?;
        }
        let domain_id = self.target_domain(actor, new.domain_id.as_deref()).await?;
        if let Some(p) = &new.default_project_id {
            self.project_in_domain(actor, p, &domain_id).await?;
        }
        let password_hash = match new.password {
            Some(p) => hash_blocking(p).await?,
            // No password: the user cannot log in with one (AK/SK only).
            None => String::new(),
        };
        let _w = WRITES.lock().await;
        if self.store().find_user(&domain_id, &new.name).await?.is_some() {
            return Err(duplicate_in_domain("user", &new.name, &domain_id));
        }
        let user = User {
            id: hex_id(),
            name: new.name,
            domain_id,
            password_hash,
            enabled: new.enabled,
            account_admin: false,
            created: Utc::now(),
            description: new.description,
            email: new.email,
            default_project_id: new.default_project_id,
        };
        self.store()
            .put_user(&user)
            .await
            .map_err(|e| unique_in_domain(e, "user"))?;
        drop(_w);
        self.changed();
        Ok(user)
    }

    async fn project_in_domain(&self, actor: &Actor, project_id: &str, domain_id: &str) -> ControlResult<Project> {
        let p = self.get_project(actor, project_id).await?;
        if p.domain_id != domain_id {
            return Err(invalid(format!(
                "Invalid input for field 'default_project_id': project {project_id} is not in domain {domain_id}."
            )));
        }
        Ok(p)
    }

    /// Updates a user. A new password, or disabling, revokes its tokens.
    pub async fn update_user(&self, actor: &Actor, id: &str, patch: UserPatch) -> ControlResult<User> {
        let mut user = self.get_user(actor, id).await?;
        check_name_and_description("user", patch.name.as_deref(), patch.description.as_deref())?;
        if let Some(p) = &patch.password {
            check_password("user.password", p)?;
        }
        if let Some(Some(e)) = &patch.email {
            check_email("user.email", e)?;
        }
        if let Some(Some(p)) = &patch.default_project_id {
            self.project_in_domain(actor, p, &user.domain_id).await?;
        }
        if patch.enabled == Some(false) && self.is_owner(&user.id).await? {
            return Err(invalid("The account administrator cannot be disabled."));
        }
        let new_hash = match patch.password.clone() {
            Some(p) => Some(hash_blocking(p).await?),
            None => None,
        };
        let _w = WRITES.lock().await;
        // Re-read under the lock so that concurrent changes are not lost.
        user = self.get_user(actor, id).await?;
        if let Some(n) = &patch.name {
            if n != &user.name && self.store().find_user(&user.domain_id, n).await?.is_some() {
                return Err(duplicate_in_domain("user", n, &user.domain_id));
            }
        }
        let was_enabled = user.enabled;
        if let Some(n) = patch.name {
            user.name = n;
        }
        if let Some(d) = patch.description {
            user.description = d;
        }
        if let Some(e) = patch.enabled {
            user.enabled = e;
        }
        if let Some(e) = patch.email {
            user.email = e;
        }
        if let Some(p) = patch.default_project_id {
            user.default_project_id = p;
        }
        let password_changed = new_hash.is_some();
        if let Some(h) = new_hash {
            user.password_hash = h;
        }
        self.store()
            .put_user(&user)
            .await
            .map_err(|e| unique_in_domain(e, "user"))?;
        drop(_w);
        if password_changed || (was_enabled && !user.enabled) {
            self.identity.revoke_user_tokens(&user.id).await?;
        } else {
            self.identity.refresh_cached_user(&user);
        }
        self.changed();
        Ok(user)
    }

    /// Self-service password change: the original password must match.
    /// Revokes every token of the user.
    pub async fn change_password(&self, actor: &Actor, id: &str, original: &str, new: &str) -> ControlResult<()> {
        let user = self.get_user(actor, id).await?;
        check_password("user.password", new)?;
        let (orig, hash) = (original.to_string(), user.password_hash.clone());
        let ok = tokio::task::spawn_blocking(move || verify_password(&orig, &hash))
            .await
            .map_err(ControlError::internal)?;
        if !ok {
            return Err(ControlError::Unauthenticated {
                message: "Invalid authentication: the original password is incorrect.".into(),
            });
        }
        if original == new {
            return Err(invalid("The new password must be different from the old password."));
        }
        self.update_user(
            actor,
            id,
            UserPatch {
                password: Some(new.to_string()),
                ..UserPatch::default()
            },
        )
        .await
        .map(|_| ())
    }

    /// Deletes a user with its memberships, grants, credentials and tokens.
    pub async fn delete_user(&self, actor: &Actor, id: &str) -> ControlResult<()> {
        let user = self.get_user(actor, id).await?;
        if self.is_owner(&user.id).await? {
            return Err(invalid("The account administrator cannot be deleted."));
        }
        self.store().delete_user(&user.id).await?;
        self.revoke_then_changed(&[&user.id]).await
    }

    pub async fn groups_of_user(&self, actor: &Actor, id: &str) -> ControlResult<Vec<Group>> {
        let user = self.get_user(actor, id).await?;
        let store = self.store();
        load_sorted_by_name(store.groups_of(&user.id).await?, |gid| async move {
            store.get_group(&gid).await
        })
        .await
    }

    // ---- groups ----

    pub async fn get_group(&self, actor: &Actor, id: &str) -> ControlResult<Group> {
        visible(actor, id, self.store().get_group(id).await?)
    }

    pub async fn list_groups(
        &self,
        actor: &Actor,
        domain_id: Option<&str>,
        name: Option<&str>,
    ) -> ControlResult<Vec<Group>> {
        let Some(domain) = actor.listed_account(domain_id) else {
            return Ok(Vec::new());
        };
        let groups = self.store().list_groups(domain).await?;
        Ok(groups
            .into_iter()
            .filter(|g| name.is_none_or(|n| g.name == n))
            .collect())
    }

    pub async fn create_group(
        &self,
        actor: &Actor,
        name: &str,
        domain_id: Option<&str>,
        description: &str,
    ) -> ControlResult<Group> {
        check_name_and_description("group", Some(name), Some(description))?;
        let domain_id = self.target_domain(actor, domain_id).await?;
        let _w = WRITES.lock().await;
        if self.group_named(&domain_id, name).await?.is_some() {
            return Err(duplicate_in_domain("group", name, &domain_id));
        }
        let group = Group {
            id: hex_id(),
            name: name.to_string(),
            domain_id,
            description: description.to_string(),
            created: Utc::now(),
        };
        self.store()
            .put_group(&group)
            .await
            .map_err(|e| unique_in_domain(e, "group"))?;
        drop(_w);
        self.changed();
        Ok(group)
    }

    async fn group_named(&self, domain_id: &str, name: &str) -> ControlResult<Option<Group>> {
        Ok(self
            .store()
            .list_groups(domain_id)
            .await?
            .into_iter()
            .find(|g| g.name == name))
    }

    pub async fn update_group(
        &self,
        actor: &Actor,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
    ) -> ControlResult<Group> {
        check_name_and_description("group", name, description)?;
        let _w = WRITES.lock().await;
        let mut group = self.get_group(actor, id).await?;
        if let Some(n) = name {
            if n != group.name && self.group_named(&group.domain_id, n).await?.is_some() {
                return Err(duplicate_in_domain("group", n, &group.domain_id));
            }
            group.name = n.to_string();
        }
        if let Some(d) = description {
            group.description = d.to_string();
        }
        self.store()
            .put_group(&group)
            .await
            .map_err(|e| unique_in_domain(e, "group"))?;
        drop(_w);
        self.changed();
        Ok(group)
    }

    /// Deletes a group with its memberships and grants; members lose the
    /// group's grants, so their tokens are revoked when it had any.
    pub async fn delete_group(&self, actor: &Actor, id: &str) -> ControlResult<()> {
        let group = self.get_group(actor, id).await?;
        let had_grants = !self
            .store()
            .grants_of(std::slice::from_ref(&group.id))
            .await?
            .is_empty();
        let members = self.store().members_of(&group.id).await?;
        self.store().delete_group(&group.id).await?;
        let revoked: &[String] = if had_grants { &members } else { &[] };
        self.revoke_then_changed(revoked).await
    }

    pub async fn group_users(&self, actor: &Actor, id: &str) -> ControlResult<Vec<User>> {
        let group = self.get_group(actor, id).await?;
        let store = self.store();
        load_sorted_by_name(store.members_of(&group.id).await?, |uid| async move {
            store.get_user(&uid).await
        })
        .await
    }

    async fn group_and_user(&self, actor: &Actor, group_id: &str, user_id: &str) -> ControlResult<(Group, User)> {
        let group = self.get_group(actor, group_id).await?;
        let user = self.get_user(actor, user_id).await?;
        if group.domain_id != user.domain_id {
            return Err(invalid(format!(
                "User {user_id} and group {group_id} belong to different accounts."
            )));
        }
        Ok((group, user))
    }

    pub async fn add_member(&self, actor: &Actor, group_id: &str, user_id: &str) -> ControlResult<()> {
        let (group, user) = self.group_and_user(actor, group_id, user_id).await?;
        self.store().add_member(&group.id, &user.id).await?;
        self.changed();
        Ok(())
    }

    pub async fn is_member(&self, actor: &Actor, group_id: &str, user_id: &str) -> ControlResult<bool> {
        let (group, user) = self.group_and_user(actor, group_id, user_id).await?;
        Ok(self.store().members_of(&group.id).await?.contains(&user.id))
    }

    /// Removes a user from a group; its tokens are revoked.
    pub async fn remove_member(&self, actor: &Actor, group_id: &str, user_id: &str) -> ControlResult<()> {
        let (group, user) = self.group_and_user(actor, group_id, user_id).await?;
        if !self.store().remove_member(&group.id, &user.id).await? {
            return Err(not_found_with(format!(
                "Could not find membership: user {user_id} is not a member of group {group_id}."
            )));
        }
        self.revoke_then_changed(&[&user.id]).await
    }

    // ---- projects ----

    pub async fn get_project(&self, actor: &Actor, id: &str) -> ControlResult<Project> {
        visible(actor, id, self.store().get_project(id).await?)
    }

    pub async fn list_projects(&self, actor: &Actor, f: &ProjectFilter) -> ControlResult<Vec<Project>> {
        let Some(domain) = actor.listed_account(f.domain_id.as_deref()) else {
            return Ok(Vec::new());
        };
        let projects = self.store().list_projects(domain).await?;
        Ok(projects
            .into_iter()
            .filter(|p| f.name.as_deref().is_none_or(|n| p.name == n))
            .filter(|p| f.enabled.is_none_or(|e| p.enabled == e))
            .filter(|p| {
                f.parent_id
                    .as_deref()
                    .is_none_or(|parent| p.parent_id.as_deref().unwrap_or(&p.domain_id) == parent)
            })
            .collect())
    }

    /// Creates a project, or a sub-project with `parent_id` (a parent that is
    /// the domain itself means a top-level project, as in Keystone).
    pub async fn create_project(&self, actor: &Actor, new: NewProject) -> ControlResult<Project> {
        check_name_and_description("project", Some(&new.name), Some(&new.description))?;
        let (domain_id, parent_id) = match new.parent_id.as_deref() {
            Some(pid)
                if Some(pid) == new.domain_id.as_deref() || (new.domain_id.is_none() && pid == actor.domain_id) =>
            {
                (self.target_domain(actor, Some(pid)).await?, None)
            }
            Some(pid) => {
                let parent = self.get_project(actor, pid).await?;
                if let Some(d) = &new.domain_id {
                    if d != &parent.domain_id {
                        return Err(invalid(format!(
                            "Invalid input for field 'project.parent_id': project {pid} is not in domain {d}."
                        )));
                    }
                }
                (parent.domain_id, Some(parent.id))
            }
            None => (self.target_domain(actor, new.domain_id.as_deref()).await?, None),
        };
        let _w = WRITES.lock().await;
        if self.store().find_project(&domain_id, &new.name).await?.is_some() {
            return Err(duplicate_project(&new.name));
        }
        let project = Project {
            id: hex_id(),
            name: new.name,
            domain_id,
            parent_id,
            description: new.description,
            enabled: new.enabled,
        };
        self.store()
            .put_project(&project)
            .await
            .map_err(|e| unique_in_domain(e, "project"))?;
        drop(_w);
        self.changed();
        Ok(project)
    }

    pub async fn update_project(
        &self,
        actor: &Actor,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
        enabled: Option<bool>,
    ) -> ControlResult<Project> {
        check_name_and_description("project", name, description)?;
        let _w = WRITES.lock().await;
        let mut project = self.get_project(actor, id).await?;
        if let Some(n) = name {
            if n != project.name && self.store().find_project(&project.domain_id, n).await?.is_some() {
                return Err(duplicate_project(n));
            }
            project.name = n.to_string();
        }
        if let Some(d) = description {
            project.description = d.to_string();
        }
        if let Some(e) = enabled {
            project.enabled = e;
        }
        self.store()
            .put_project(&project)
            .await
            .map_err(|e| unique_in_domain(e, "project"))?;
        drop(_w);
        self.changed();
        Ok(project)
    }

    // ---- roles and custom policies ----

    /// A built-in role (by id or name) or a custom policy visible to the caller.
    pub async fn get_role(&self, actor: &Actor, id: &str) -> ControlResult<RoleRef> {
        if let Some(r) = find_system_role(id) {
            return Ok(RoleRef::System(r));
        }
        Ok(RoleRef::Custom(Box::new(self.get_custom(actor, id).await?)))
    }

    pub async fn get_custom(&self, actor: &Actor, id: &str) -> ControlResult<CustomRole> {
        visible(actor, id, self.store().get_role(id).await?)
    }

    /// Built-in roles and the account's custom policies, filtered.
    pub async fn list_roles(&self, actor: &Actor, f: &RoleFilter) -> ControlResult<Vec<RoleRef>> {
        let mut out: Vec<RoleRef> = Vec::new();
        if f.domain_id.is_none() {
            out.extend(system_roles().iter().map(RoleRef::System));
        }
        if let Some(custom_domain) = actor.listed_account(f.domain_id.as_deref()) {
            out.extend(
                self.store()
                    .list_roles(custom_domain)
                    .await?
                    .into_iter()
                    .map(|r| RoleRef::Custom(Box::new(r))),
            );
        }
        Ok(out
            .into_iter()
            .filter(|r| f.name.as_deref().is_none_or(|n| r.name() == n))
            .filter(|r| {
                f.display_name
                    .as_deref()
                    .is_none_or(|n| r.display_name().eq_ignore_ascii_case(n))
            })
            .filter(|r| f.catalog.as_deref().is_none_or(|c| r.catalog().eq_ignore_ascii_case(c)))
            .filter(|r| match f.scope_type.as_deref() {
                Some("domain") => matches!(r.role_type(), "AX" | "AA"),
                Some("project") => matches!(r.role_type(), "XA" | "AA"),
                _ => true,
            })
            .filter(|r| match f.permission_type.as_deref() {
                Some("policy") => r.flag() == Some("fine_grained"),
                Some("role") => r.flag() != Some("fine_grained"),
                _ => true,
            })
            .collect())
    }

    fn check_role_type(field: &str, t: &str) -> ControlResult<()> {
        if matches!(t, "XA" | "AX") {
            Ok(())
        } else {
            Err(invalid(format!(
                "Invalid input for field '{field}': must be \"XA\" (project-level services) or \"AX\" (global services), got {t:?}."
            )))
        }
    }

    fn check_policy_texts(
        display_name: Option<&str>,
        description: Option<&str>,
        description_cn: Option<&str>,
    ) -> ControlResult<()> {
        if let Some(n) = display_name {
            check_text("role.display_name", n, 1, MAX_POLICY_DISPLAY_NAME)?;
        }
        if let Some(d) = description {
            check_text("role.description", d, 0, MAX_POLICY_DESCRIPTION)?;
        }
        if let Some(d) = description_cn {
            check_text("role.description_cn", d, 0, MAX_POLICY_DESCRIPTION)?;
        }
        Ok(())
    }

    async fn display_name_taken(&self, domain_id: &str, name: &str, except: Option<&str>) -> ControlResult<bool> {
        let taken_by_custom = self
            .store()
            .list_roles(domain_id)
            .await?
            .iter()
            .any(|r| r.display_name == name && Some(r.id.as_str()) != except);
        let taken_by_system = system_roles().iter().any(|r| r.display_name == name);
        Ok(taken_by_custom || taken_by_system)
    }

    /// Creates a custom policy, named `custom_<domain_id>_<n>` as Huawei does.
    pub async fn create_custom(&self, actor: &Actor, spec: CustomSpec) -> ControlResult<CustomRole> {
        Self::check_policy_texts(
            Some(&spec.display_name),
            Some(&spec.description),
            Some(&spec.description_cn),
        )?;
        Self::check_role_type("role.type", &spec.role_type)?;
        validate_custom_policy("role.policy", &spec.policy)?;
        let domain_id = actor.domain_id.clone();
        let _w = WRITES.lock().await;
        let existing = self.store().list_roles(&domain_id).await?;
        if existing.len() >= MAX_CUSTOM_POLICIES {
            return Err(invalid(format!(
                "The number of custom policies has reached the maximum allowed limit ({MAX_CUSTOM_POLICIES})."
            )));
        }
        if self.display_name_taken(&domain_id, &spec.display_name, None).await? {
            return Err(conflict(format!(
                "A policy with the display name '{}' already exists.",
                spec.display_name
            )));
        }
        let prefix = format!("custom_{domain_id}_");
        let n = existing
            .iter()
            .filter_map(|r| r.name.strip_prefix(&prefix).and_then(|s| s.parse::<u64>().ok()))
            .max()
            .unwrap_or(0)
            + 1;
        let now = Utc::now();
        let role = CustomRole {
            id: hex_id(),
            name: format!("{prefix}{n}"),
            display_name: spec.display_name,
            domain_id,
            role_type: spec.role_type,
            description: spec.description,
            description_cn: spec.description_cn,
            policy: spec.policy,
            created: now,
            updated: now,
        };
        self.store().put_role(&role).await?;
        drop(_w);
        self.changed();
        Ok(role)
    }

    pub async fn update_custom(&self, actor: &Actor, id: &str, patch: CustomPatch) -> ControlResult<CustomRole> {
        Self::check_policy_texts(
            patch.display_name.as_deref(),
            patch.description.as_deref(),
            patch.description_cn.as_deref(),
        )?;
        if let Some(t) = &patch.role_type {
            Self::check_role_type("role.type", t)?;
        }
        if let Some(p) = &patch.policy {
            validate_custom_policy("role.policy", p)?;
        }
        let _w = WRITES.lock().await;
        let mut role = self.get_custom(actor, id).await?;
        if let Some(n) = patch.display_name {
            if n != role.display_name && self.display_name_taken(&role.domain_id, &n, Some(&role.id)).await? {
                return Err(conflict(format!(
                    "A policy with the display name '{n}' already exists."
                )));
            }
            role.display_name = n;
        }
        if let Some(t) = patch.role_type {
            role.role_type = t;
        }
        if let Some(d) = patch.description {
            role.description = d;
        }
        if let Some(d) = patch.description_cn {
            role.description_cn = d;
        }
        if let Some(p) = patch.policy {
            role.policy = p;
        }
        role.updated = Utc::now();
        self.store().put_role(&role).await?;
        drop(_w);
        self.changed();
        Ok(role)
    }

    /// Deletes a custom policy and every grant of it; the holders' tokens
    /// are revoked.
    pub async fn delete_custom(&self, actor: &Actor, id: &str) -> ControlResult<()> {
        let role = self.get_custom(actor, id).await?;
        let grants: Vec<Grant> = self
            .grants_in_account(&role.domain_id)
            .await?
            .into_iter()
            .filter(|g| g.role_id == role.id)
            .collect();
        self.store().delete_role(&role.id).await?;
        let mut holders = Vec::new();
        for g in &grants {
            holders.extend(self.holders(g.actor, &g.actor_id).await?);
        }
        self.revoke_then_changed(&holders).await
    }

    /// How many grants use a role within an account.
    pub async fn references(&self, role_id: &str, domain_id: &str) -> ControlResult<usize> {
        Ok(self
            .grants_in_account(domain_id)
            .await?
            .iter()
            .filter(|g| g.role_id == role_id)
            .count())
    }

    /// Every grant of an account: on its projects, on itself and on all its
    /// projects.
    async fn grants_in_account(&self, domain_id: &str) -> ControlResult<Vec<Grant>> {
        let mut out = self.store().grants_on(domain_id).await?;
        for p in self.store().list_projects(domain_id).await? {
            out.extend(self.store().grants_on(&p.id).await?);
        }
        out.retain(|g| g.domain_id == domain_id);
        Ok(out)
    }

    // ---- grants ----

    /// Checks the scope, the receiver and the role of a grant; returns the
    /// account it belongs to and the role.
    async fn resolve_grant(&self, actor: &Actor, t: &GrantTarget, role_id: &str) -> ControlResult<(String, RoleRef)> {
        let (domain_id, actor_domain) = self.grant_accounts(actor, t).await?;
        if actor_domain != domain_id {
            return Err(invalid(format!(
                "The {} {} belongs to another account than the {} {}.",
                t.actor.as_str(),
                t.actor_id,
                t.scope_noun(),
                t.scope_id
            )));
        }
        let role = self.get_role(actor, role_id).await?;
        if role.domain_id().is_some_and(|d| d != domain_id) {
            return Err(not_found("role", role_id));
        }
        Ok((domain_id, role))
    }

    /// The accounts of a grant's scope and of its receiver; both must be
    /// visible to the caller.
    async fn grant_accounts(&self, actor: &Actor, t: &GrantTarget) -> ControlResult<(String, String)> {
        let scope_domain = match t.scope {
            GrantScope::Project => self.get_project(actor, &t.scope_id).await?.domain_id,
            GrantScope::Domain | GrantScope::AllProjects => self.get_domain(actor, &t.scope_id).await?.id,
        };
        let actor_domain = match t.actor {
            ActorKind::User => self.get_user(actor, &t.actor_id).await?.domain_id,
            ActorKind::Group => self.get_group(actor, &t.actor_id).await?.domain_id,
        };
        Ok((scope_domain, actor_domain))
    }

    /// Huawei's placement rule (see the module documentation).
    fn check_placement(role: &RoleRef, scope: GrantScope) -> ControlResult<()> {
        if role.catalog() == "BASE" {
            return Ok(());
        }
        match (role.role_type(), scope) {
            ("AX", GrantScope::Project | GrantScope::AllProjects) => Err(invalid(format!(
                "The policy '{}' is for global services (type AX): grant it on the account (domain), not on projects.",
                role.display_name()
            ))),
            ("XA", GrantScope::Domain) => Err(invalid(format!(
                "The policy '{}' is for project-level services (type XA): grant it on projects or on all projects, not on the account.",
                role.display_name()
            ))),
            _ => Ok(()),
        }
    }

    fn grant_of(t: &GrantTarget, role_id: &str, domain_id: &str) -> Grant {
        Grant {
            scope: t.scope,
            scope_id: t.scope_id.clone(),
            actor: t.actor,
            actor_id: t.actor_id.clone(),
            role_id: role_id.to_string(),
            domain_id: domain_id.to_string(),
            created: Utc::now(),
        }
    }

    /// The users who hold a grant to a receiver: the user, or every member
    /// of the group.
    async fn holders(&self, kind: ActorKind, id: &str) -> ControlResult<Vec<String>> {
        match kind {
            ActorKind::User => Ok(vec![id.to_string()]),
            ActorKind::Group => self.store().members_of(id).await,
        }
    }

    /// Keeps [`User::account_admin`] in step with a grant of Keystone's
    /// `admin` role to a user on its own domain.
    async fn sync_account_admin(&self, t: &GrantTarget, role: &RoleRef, granted: bool) -> ControlResult<()> {
        if !(role.is_keystone_admin() && t.scope == GrantScope::Domain && t.actor == ActorKind::User) {
            return Ok(());
        }
        let Some(mut user) = self.store().get_user(&t.actor_id).await? else {
            return Ok(());
        };
        if user.domain_id != t.scope_id || user.account_admin == granted {
            return Ok(());
        }
        if !granted && self.is_owner(&user.id).await? {
            return Ok(());
        }
        user.account_admin = granted;
        self.store().put_user(&user).await?;
        self.identity.refresh_cached_user(&user);
        tracing::info!(user = %user.id, account_admin = granted, "account administrator status changed");
        Ok(())
    }

    /// Grants a role; idempotent. The holders' tokens are revoked when the
    /// grant is new.
    pub async fn grant(&self, actor: &Actor, t: &GrantTarget, role_id: &str) -> ControlResult<()> {
        let (domain_id, role) = self.resolve_grant(actor, t, role_id).await?;
        Self::check_placement(&role, t.scope)?;
        let g = Self::grant_of(t, role.id(), &domain_id);
        let _w = WRITES.lock().await;
        let added = self.store().put_grant(&g).await?;
        self.sync_account_admin(t, &role, true).await?;
        drop(_w);
        let holders = if added {
            self.holders(t.actor, &t.actor_id).await?
        } else {
            Vec::new()
        };
        self.revoke_then_changed(&holders).await
    }

    pub async fn has_grant(&self, actor: &Actor, t: &GrantTarget, role_id: &str) -> ControlResult<bool> {
        let (_, role) = self.resolve_grant(actor, t, role_id).await?;
        Ok(self.scope_grants(t).await?.iter().any(|g| g.role_id == role.id()))
    }

    /// Removes a grant; 404 when there is none.
    pub async fn revoke(&self, actor: &Actor, t: &GrantTarget, role_id: &str) -> ControlResult<()> {
        let (domain_id, role) = self.resolve_grant(actor, t, role_id).await?;
        let g = Self::grant_of(t, role.id(), &domain_id);
        let _w = WRITES.lock().await;
        if !self.store().delete_grant(&g).await? {
            return Err(not_found_with(format!(
                "Could not find role assignment with role: {}, {}: {}, {}: {}.",
                role.id(),
                t.actor.as_str(),
                t.actor_id,
                t.scope_noun(),
                t.scope_id
            )));
        }
        self.sync_account_admin(t, &role, false).await?;
        drop(_w);
        let holders = self.holders(t.actor, &t.actor_id).await?;
        self.revoke_then_changed(&holders).await
    }

    async fn scope_grants(&self, t: &GrantTarget) -> ControlResult<Vec<Grant>> {
        Ok(self
            .store()
            .grants_on(&t.scope_id)
            .await?
            .into_iter()
            .filter(|g| g.scope == t.scope && g.actor == t.actor && g.actor_id == t.actor_id)
            .collect())
    }

    /// The roles granted to a user or group on a scope.
    pub async fn granted_roles(&self, actor: &Actor, t: &GrantTarget) -> ControlResult<Vec<RoleRef>> {
        self.grant_accounts(actor, t).await?;
        let mut out = Vec::new();
        for g in self.scope_grants(t).await? {
            if let Some(r) = find_system_role(&g.role_id) {
                out.push(RoleRef::System(r));
            } else if let Some(r) = self.store().get_role(&g.role_id).await? {
                out.push(RoleRef::Custom(Box::new(r)));
            }
        }
        Ok(out)
    }

    /// Grants of the caller's account (or, for the operator, of the account
    /// the filter's scope names), filtered.
    pub async fn assignments(&self, actor: &Actor, f: &AssignmentFilter) -> ControlResult<Vec<Grant>> {
        let domain_id = match (&f.project_id, &f.domain_id) {
            (Some(p), _) => self.get_project(actor, p).await?.domain_id,
            (None, Some(d)) => self.get_domain(actor, d).await?.id,
            (None, None) => actor.domain_id.clone(),
        };
        let mut grants = self.grants_in_account(&domain_id).await?;
        grants.retain(|g| {
            f.user_id
                .as_deref()
                .is_none_or(|u| g.actor == ActorKind::User && g.actor_id == u)
                && f.group_id
                    .as_deref()
                    .is_none_or(|x| g.actor == ActorKind::Group && g.actor_id == x)
                && f.project_id
                    .as_deref()
                    .is_none_or(|p| g.scope == GrantScope::Project && g.scope_id == p)
                && f.domain_id
                    .as_deref()
                    .is_none_or(|d| g.scope != GrantScope::Project && g.scope_id == d)
                && f.role_id.as_deref().is_none_or(|r| g.role_id == r)
                && (!f.inherited || g.scope == GrantScope::AllProjects)
        });
        grants.sort_by_key(|g| g.created);
        Ok(grants)
    }

    // ---- credentials ----

    /// The owner of an access key, if it exists (for the self-service rule).
    pub async fn credential_owner(&self, access: &str) -> ControlResult<Option<String>> {
        Ok(self.store().get_credential(access).await?.map(|c| c.user_id))
    }

    pub async fn get_credential(&self, actor: &Actor, access: &str) -> ControlResult<Credential> {
        let cred = self.store().get_credential(access).await?;
        if let Some(c) = cred {
            if let Some(u) = self.store().get_user(&c.user_id).await? {
                if actor.sees(&u.domain_id) {
                    return Ok(c);
                }
            }
        }
        Err(not_found("credential", access))
    }

    /// Creates a permanent access key; returns it with the plain secret,
    /// which is shown once and stored sealed.
    pub async fn create_credential(
        &self,
        actor: &Actor,
        user_id: &str,
        description: &str,
    ) -> ControlResult<(Credential, String)> {
        check_description("credential.description", description)?;
        let user = self.get_user(actor, user_id).await?;
        let _w = WRITES.lock().await;
        let existing = self.store().list_credentials(Some(&user.id)).await?;
        if existing.len() >= MAX_ACCESS_KEYS_PER_USER {
            return Err(invalid(format!(
                "The number of access keys of user {user_id} has reached the maximum allowed limit ({MAX_ACCESS_KEYS_PER_USER})."
            )));
        }
        let secret = random_secret(30);
        let cred = Credential {
            access: access_key_id(),
            user_id: user.id.clone(),
            secret_sealed: seal_secret(self.identity, &secret)?,
            status: "active".into(),
            description: description.to_string(),
            created: Utc::now(),
        };
        self.store().put_credential(&cred).await?;
        tracing::info!(user = %user.id, access_key = %cred.access, "access key created");
        Ok((cred, secret))
    }

    /// Access keys of one user, or (`user_id` None) of the whole account.
    pub async fn list_credentials(&self, actor: &Actor, user_id: Option<&str>) -> ControlResult<Vec<Credential>> {
        match user_id {
            Some(u) => {
                let user = self.get_user(actor, u).await?;
                self.store().list_credentials(Some(&user.id)).await
            }
            None => {
                let users: HashSet<String> = self
                    .store()
                    .list_users(&actor.domain_id)
                    .await?
                    .into_iter()
                    .map(|u| u.id)
                    .collect();
                let all = self.store().list_credentials(None).await?;
                Ok(all.into_iter().filter(|c| users.contains(&c.user_id)).collect())
            }
        }
    }

    pub async fn update_credential(
        &self,
        actor: &Actor,
        access: &str,
        status: Option<&str>,
        description: Option<&str>,
    ) -> ControlResult<Credential> {
        if let Some(s) = status {
            if !matches!(s, "active" | "inactive") {
                return Err(invalid(format!(
                    "Invalid input for field 'credential.status': must be \"active\" or \"inactive\", got {s:?}."
                )));
            }
        }
        if let Some(d) = description {
            check_description("credential.description", d)?;
        }
        let _w = WRITES.lock().await;
        let mut cred = self.get_credential(actor, access).await?;
        if let Some(s) = status {
            cred.status = s.to_string();
        }
        if let Some(d) = description {
            cred.description = d.to_string();
        }
        self.store().put_credential(&cred).await?;
        tracing::info!(access_key = %cred.access, status = %cred.status, "access key updated");
        Ok(cred)
    }

    pub async fn delete_credential(&self, actor: &Actor, access: &str) -> ControlResult<()> {
        let cred = self.get_credential(actor, access).await?;
        self.store().delete_credential(&cred.access).await?;
        tracing::info!(access_key = %cred.access, "access key deleted");
        Ok(())
    }
}

/// Milliseconds since the epoch, Huawei's form for policy and group times.
pub fn epoch_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_checked() {
        assert!(check_name("n", "alice").is_ok());
        assert!(check_name("n", "").is_err());
        assert!(check_name("n", "   ").is_err());
        assert!(check_name("n", " alice").is_err());
        assert!(check_name("n", &"x".repeat(MAX_NAME)).is_ok());
        assert!(check_name("n", &"x".repeat(MAX_NAME + 1)).is_err());
        assert!(check_name("n", "a\nb").is_err());
    }

    #[test]
    fn passwords_and_emails_are_checked() {
        assert!(check_password("p", "short").is_err());
        assert!(check_password("p", "long-enough").is_ok());
        assert!(check_password("p", &"x".repeat(MAX_PASSWORD + 1)).is_err());
        assert!(check_email("e", "a@example.com").is_ok());
        assert!(check_email("e", "not-an-address").is_err());
        assert!(check_email("e", "a@b@c.d").is_err());
    }

    #[test]
    fn custom_policies_name_the_path_of_the_fault() {
        let good = json!({"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["ecs:servers:stop"]}]});
        assert!(validate_custom_policy("role.policy", &good).is_ok());
        let bad = json!({"Version": "1.1", "Statement": [{"Effect": "Maybe", "Action": ["ecs:servers:stop"]}]});
        let err = validate_custom_policy("role.policy", &bad).unwrap_err().to_string();
        assert!(err.contains("Statement[0].Effect"), "{err}");
        let legacy = json!({"Version": "1.0", "Statement": [{"Action": ["ecs:*:*"]}]});
        let err = validate_custom_policy("role.policy", &legacy).unwrap_err().to_string();
        assert!(err.contains("Version"), "{err}");
    }

    #[test]
    fn placement_follows_the_role_type() {
        let ecs = RoleRef::System(find_system_role("ECS FullAccess").expect("built in"));
        assert!(Admin::check_placement(&ecs, GrantScope::Project).is_ok());
        assert!(Admin::check_placement(&ecs, GrantScope::AllProjects).is_ok());
        assert!(Admin::check_placement(&ecs, GrantScope::Domain).is_err());
        let sec = RoleRef::System(find_system_role("Security Administrator").expect("built in"));
        assert!(Admin::check_placement(&sec, GrantScope::Domain).is_ok());
        assert!(Admin::check_placement(&sec, GrantScope::Project).is_err());
        let member = RoleRef::System(find_system_role("member").expect("built in"));
        assert!(Admin::check_placement(&member, GrantScope::Domain).is_ok());
        assert!(RoleRef::System(find_system_role("admin").expect("built in")).is_keystone_admin());
    }
}
