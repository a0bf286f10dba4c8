//! Flavors, images, hosts and the authenticated caller.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flavor {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub vcpus: i64,
    pub ram_mb: i64,
    #[serde(default)]
    pub disk_gb: i64,
    /// `x86_64` or `arm64`; resizing across architectures is refused.
    #[serde(default = "default_arch")]
    pub arch: String,
    /// Huawei `ecs:performancetype`, e.g. `normal`, `computingv3`.
    #[serde(default = "default_perf")]
    pub performance_type: String,
    /// Huawei `cond:operation:status`: `normal`, `sellout`, `abandon`.
    #[serde(default = "default_sale")]
    pub sale_status: String,
    #[serde(default)]
    pub disabled: bool,
}

fn default_arch() -> String {
    "x86_64".into()
}
fn default_perf() -> String {
    "normal".into()
}
fn default_sale() -> String {
    "normal".into()
}

impl Flavor {
    /// The family prefix of a Huawei flavor name (`s6` of `s6.large.2`).
    pub fn family(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }

    pub fn sellable(&self) -> bool {
        !self.disabled && self.sale_status == "normal"
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub id: String,
    pub name: String,
    /// `Linux` or `Windows`.
    pub os_type: String,
    pub os_version: String,
    #[serde(default = "default_bit")]
    pub os_bit: String,
    #[serde(default)]
    pub min_disk_gb: i64,
    #[serde(default)]
    pub min_ram_mb: i64,
    #[serde(default = "default_arch")]
    pub arch: String,
    #[serde(default = "default_image_status")]
    pub status: String,
    #[serde(default = "default_visibility")]
    pub visibility: String,
    #[serde(default)]
    pub size_bytes: i64,
    /// The project that owns it; none for the region's seeded images.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub disk_format: Option<String>,
    #[serde(default)]
    pub container_format: Option<String>,
    /// A protected image cannot be deleted.
    #[serde(default)]
    pub protected: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Glance's free-form properties (IMS shows them as its `__` keys too).
    #[serde(default)]
    pub properties: std::collections::BTreeMap<String, String>,
    /// The server a private image was made from (Nova's `instance_uuid`).
    #[serde(default)]
    pub source_server: Option<String>,
    #[serde(default)]
    pub created: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    pub updated: Option<chrono::DateTime<chrono::Utc>>,
}

/// A user's SSH key pair (Nova's key pairs belong to a user, not a
/// project); only the public half is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPair {
    pub user_id: String,
    pub name: String,
    /// `ssh` or `x509`.
    pub key_type: String,
    pub public_key: String,
    /// MD5 of the key's blob, colon-separated hex (Nova's form).
    pub fingerprint: String,
    pub created: chrono::DateTime<chrono::Utc>,
}

/// A project an image is shared with, and whether it took the share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageMember {
    pub image_id: String,
    pub member_id: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub created: chrono::DateTime<chrono::Utc>,
    pub updated: chrono::DateTime<chrono::Utc>,
}

impl Image {
    /// Whether a caller of `project_id` may see it: public and community
    /// images, and the project's own.
    pub fn visible_to(&self, project_id: &str) -> bool {
        matches!(self.visibility.as_str(), "public" | "community") || self.owner.as_deref() == Some(project_id)
    }
}

fn default_bit() -> String {
    "64".into()
}
fn default_image_status() -> String {
    "active".into()
}
fn default_visibility() -> String {
    "public".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HostKind {
    Shared,
    Dedicated,
}

/// A compute host with its capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// For dedicated hosts this is the DeH id that clients pass.
    pub id: String,
    pub name: String,
    pub availability_zone: String,
    pub kind: HostKind,
    pub vcpus: i64,
    pub ram_mb: i64,
}

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Token,
    AkSk,
}

/// The authenticated principal, scoped to one project.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub user_id: String,
    pub user_name: String,
    pub domain_id: String,
    pub domain_name: String,
    pub project_id: String,
    pub project_name: String,
    /// Account administrator: holds every action within its account.
    pub is_admin: bool,
    pub method: AuthMethod,
    /// The notes of the request this caller made, for the audit trail.
    pub trace: super::RequestTrace,
}

impl Caller {
    /// Who the caller is, as audited.
    pub fn principal(&self) -> super::Principal {
        super::Principal {
            user_id: self.user_id.clone(),
            user_name: self.user_name.clone(),
            domain_id: self.domain_id.clone(),
            project_id: self.project_id.clone(),
        }
    }

    /// A caller authenticated for its account only (IAM calls), not a project.
    pub fn is_domain_scoped(&self) -> bool {
        self.project_id.is_empty()
    }
}
