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
//!
//! One file per family: `users`, `groups` (with membership), `projects`
//! (with domains, i.e. accounts), `roles` (built-in roles and custom
//! policies), `grants` (with role assignments) and `credentials` (AK/SK).
//! This file holds [`Admin`], [`Actor`] and the checks they share.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::{Caller, ControlError, ControlResult};
use crate::domain::{CustomRole, Domain, Group, Project, User};
use crate::store::Store;

mod authn;
mod credentials;
mod grants;
mod groups;
mod projects;
mod roles;
pub mod sealing;
mod users;

pub use authn::*;
pub use credentials::{seal_secret, MAX_ACCESS_KEYS_PER_USER};
pub use grants::{AssignmentFilter, GrantTarget};
pub use projects::{NewProject, ProjectFilter};
pub use roles::{
    validate_custom_policy, CustomPatch, CustomSpec, RoleFilter, RoleRef, MAX_CUSTOM_POLICIES, MAX_POLICY_DESCRIPTION,
    MAX_POLICY_DISPLAY_NAME,
};
pub use users::{NewUser, UserFilter, UserPatch};

/// Longest name of a user, group, project or domain.
pub const MAX_NAME: usize = 64;
/// Longest description of a user, group, project, domain or credential.
pub const MAX_DESCRIPTION: usize = 255;
pub const MIN_PASSWORD: usize = 6;
pub const MAX_PASSWORD: usize = 128;
pub const MAX_EMAIL: usize = 255;

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

    /// The domain a new object goes to: the named one if visible, else the
    /// caller's own.
    async fn target_domain(&self, actor: &Actor, domain_id: Option<&str>) -> ControlResult<String> {
        match domain_id {
            None => Ok(actor.domain_id.clone()),
            Some(d) => Ok(self.get_domain(actor, d).await?.id),
        }
    }
}

/// Milliseconds since the epoch, Huawei's form for policy and group times.
pub fn epoch_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
