//! Identity records: accounts (domains), projects, users, AK/SK credentials
//! and tokens, as stored.

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
