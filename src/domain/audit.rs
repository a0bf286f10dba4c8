//! Audit records: one per authenticated request, and the query over them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One authenticated request and its authorization decision, as audited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub time: DateTime<Utc>,
    pub request_id: String,
    pub user_id: String,
    pub user_name: String,
    pub domain_id: String,
    pub project_id: String,
    pub method: String,
    pub path: String,
    /// Catalog operation name, when the request reached one.
    pub operation: Option<String>,
    pub actions: Vec<String>,
    /// `allow`, `deny`, `soft_deny` (allowed by the soft mode) or `none`.
    pub decision: String,
    pub missing: Vec<String>,
    pub resource: Option<String>,
    pub source: String,
    pub status: u16,
}

/// Filters for the audit query.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub domain_id: Option<String>,
    pub user_id: Option<String>,
    pub project_id: Option<String>,
    pub operation: Option<String>,
    pub decision: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only records with `seq` below this (paging backwards from newest).
    pub before_seq: Option<i64>,
    pub limit: usize,
}
