//! The operator API's questions about authorization, over the store: explain
//! a decision, suggest a least-privilege policy, read the audit trail. The
//! audit queue is flushed first so a caller reads its own latest requests.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::audit::AuditLog;
use super::authz::PolicyAuthorizer;
use super::explain::{self, ExplainRequest, ExplainResponse};
use crate::domain::{AuditFilter, AuditRecord, ControlResult};
use crate::store::Store;

pub struct Insight {
    store: Arc<dyn Store>,
    authz: Arc<PolicyAuthorizer>,
    audit: Arc<AuditLog>,
}

impl Insight {
    pub fn new(store: Arc<dyn Store>, authz: Arc<PolicyAuthorizer>, audit: Arc<AuditLog>) -> Insight {
        Insight { store, authz, audit }
    }

    /// Explains a decision for a principal of the asker's account.
    pub async fn explain(&self, ask: &ExplainRequest, asker_domain: &str) -> ControlResult<ExplainResponse> {
        explain::explain(self.store.as_ref(), &self.authz, ask, asker_domain, Some(asker_domain)).await
    }

    /// The least-privilege policy for what a user of the account attempted.
    pub async fn suggest(
        &self,
        domain_id: &str,
        user_id: &str,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> ControlResult<Value> {
        self.audit.flush().await;
        explain::suggest(self.store.as_ref(), domain_id, user_id, since, until).await
    }

    /// Audit records, newest first.
    pub async fn audit(&self, filter: &AuditFilter) -> ControlResult<Vec<AuditRecord>> {
        self.audit.flush().await;
        self.store.query_audit(filter).await
    }
}
