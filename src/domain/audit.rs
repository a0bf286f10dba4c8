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

/// One authorization decision, as noted on the request for the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionNote {
    pub operation: Option<String>,
    pub actions: Vec<String>,
    /// `allow`, `deny`, `soft_deny` or `off`.
    pub decision: &'static str,
    pub missing: Vec<String>,
    pub resource: Option<String>,
}

/// Who made a request, as audited.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub user_id: String,
    pub user_name: String,
    pub domain_id: String,
    pub project_id: String,
}

/// What the layers serving a request learn about it: who called, from
/// where, which operation it reached and every decision taken.
#[derive(Debug, Clone, Default)]
pub struct RequestNotes {
    pub principal: Option<Principal>,
    pub source_ip: String,
    pub operation: Option<String>,
    pub decisions: Vec<DecisionNote>,
}

/// The notes of one request, shared by the layers that serve it: the API
/// layer opens it, the caller carries it down, authorization writes to it,
/// and the API layer reads it back for the audit record. A caller made
/// outside a request (tests, the explain CLI) has a detached one.
#[derive(Clone, Default)]
pub struct RequestTrace(std::sync::Arc<parking_lot::Mutex<RequestNotes>>);

impl RequestTrace {
    /// A trace for a request from `source_ip`.
    pub fn from_source(source_ip: String) -> RequestTrace {
        RequestTrace(std::sync::Arc::new(parking_lot::Mutex::new(RequestNotes {
            source_ip,
            ..RequestNotes::default()
        })))
    }

    pub fn note_principal(&self, principal: Principal) {
        self.0.lock().principal = Some(principal);
    }

    pub fn note_operation(&self, name: &str) {
        self.0.lock().operation = Some(name.to_string());
    }

    pub fn note_decision(&self, note: DecisionNote) {
        self.0.lock().decisions.push(note);
    }

    /// The client's address, when the request came over a socket.
    pub fn source_ip(&self) -> Option<String> {
        Some(self.0.lock().source_ip.clone()).filter(|s| !s.is_empty())
    }

    /// Everything noted so far, leaving the trace empty.
    pub fn take(&self) -> RequestNotes {
        std::mem::take(&mut *self.0.lock())
    }
}

impl std::fmt::Debug for RequestTrace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestTrace")
    }
}

/// The trace says nothing about who a caller is: two callers that differ
/// only in their request's trace are the same caller.
impl PartialEq for RequestTrace {
    fn eq(&self, _: &RequestTrace) -> bool {
        true
    }
}
