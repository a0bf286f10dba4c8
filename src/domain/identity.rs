//! Identity records: accounts (domains), projects, users, AK/SK credentials,
//! groups, custom policies, grants and tokens, as stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Domain {
    pub id: String,
    pub name: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub parent_id: Option<String>,
    pub description: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    /// PHC string of an argon2id hash.
    pub password_hash: String,
    pub enabled: bool,
    /// The account administrator holds every action within its account.
    pub account_admin: bool,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub default_project_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    pub access: String,
    pub user_id: String,
    /// The secret key, sealed with the data directory's key.
    pub secret_sealed: String,
    pub status: String,
    pub description: String,
    pub created: DateTime<Utc>,
}

/// A token as stored: only the SHA-256 of the token string is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub hash: String,
    pub user_id: String,
    pub project_id: Option<String>,
    pub domain_id: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub audit_id: String,
    pub methods: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub domain_id: String,
    pub description: String,
    pub created: DateTime<Utc>,
}

/// A custom policy (Huawei `OS-ROLE` role) owned by an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomRole {
    pub id: String,
    /// `custom_<domain_id>_<n>`, as Huawei names them.
    pub name: String,
    pub display_name: String,
    pub domain_id: String,
    /// `XA` (project-level services) or `AX` (global services).
    pub role_type: String,
    pub description: String,
    pub description_cn: String,
    pub policy: serde_json::Value,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// Where a grant applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    /// One project.
    Project,
    /// The account itself (global services such as IAM).
    Domain,
    /// Every project of the account (`OS-INHERIT ... inherited_to_projects`).
    AllProjects,
}

impl GrantScope {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantScope::Project => "project",
            GrantScope::Domain => "domain",
            GrantScope::AllProjects => "all_projects",
        }
    }
}

/// Who receives a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Group,
    User,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Group => "group",
            ActorKind::User => "user",
        }
    }
}

/// A role (system or custom policy) granted to a group or user on a scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub scope: GrantScope,
    /// Project id for `Project`, domain id otherwise.
    pub scope_id: String,
    pub actor: ActorKind,
    pub actor_id: String,
    pub role_id: String,
    /// The account the grant belongs to.
    pub domain_id: String,
    pub created: DateTime<Utc>,
}
