//! Answers "why": the decision on each action of an operation for a
//! principal, with the statements that matched; and "what is enough": the
//! least-privilege policy that would have allowed exactly what a user
//! attempted, from the audit trail. Shared by the API and the CLI.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::authz::{Explanation, PolicyAuthorizer};
use crate::catalog::CATALOG;
use crate::domain::{AuditFilter, Domain, User};
use crate::domain::{AuthMethod, Caller, ControlError, ControlResult};
use crate::store::Store;

/// What to explain. Users and projects may be named by id or by name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainRequest {
    pub user: String,
    /// The account of a user named by name (default: the asker's account).
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    /// A catalog operation name, e.g. `nova.resize` or `ecs.changeOS`.
    #[serde(default)]
    pub operation: Option<String>,
    /// Further actions to decide (alone or beside the operation's).
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub server_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    pub user_id: String,
    pub user_name: String,
    pub domain_id: String,
    pub domain_name: String,
    pub project_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExplainResponse {
    pub principal: Principal,
    pub operation: Option<String>,
    pub actions: Vec<String>,
    pub allowed: bool,
    /// `account_administrator` (holds everything in its account) or `policies`.
    pub basis: &'static str,
    #[serde(flatten)]
    pub explanation: Explanation,
}

async fn find_domain(store: &dyn Store, key: &str) -> ControlResult<Option<Domain>> {
    Ok(match store.get_domain(key).await? {
        Some(d) => Some(d),
        None => store.find_domain(key).await?,
    })
}

/// Resolves the user named in a request, within `default_domain` unless
/// the request names another account.
pub async fn resolve_user(
    store: &dyn Store,
    user: &str,
    domain: Option<&str>,
    default_domain: &str,
) -> ControlResult<(User, Domain)> {
    let not_found = || ControlError::NotFound {
        code: "IAM.0004",
        message: format!("User {user} could not be found."),
    };
    let domain = find_domain(store, domain.unwrap_or(default_domain))
        .await?
        .ok_or_else(not_found)?;
    let u = match store.get_user(user).await? {
        Some(u) if u.domain_id == domain.id => u,
        _ => store.find_user(&domain.id, user).await?.ok_or_else(not_found)?,
    };
    Ok((u, domain))
}

/// Explains a request. `asker_domain` bounds which accounts may be named:
/// `None` (the local CLI) may name any.
pub async fn explain(
    store: &dyn Store,
    authz: &PolicyAuthorizer,
    req: &ExplainRequest,
    default_domain: &str,
    asker_domain: Option<&str>,
) -> ControlResult<ExplainResponse> {
    let (user, domain) = resolve_user(store, &req.user, req.domain.as_deref(), default_domain).await?;
    if asker_domain.is_some_and(|d| d != domain.id) {
        return Err(ControlError::NotFound {
            code: "IAM.0004",
            message: format!("User {} could not be found.", req.user),
        });
    }
    let project = match &req.project {
        None => None,
        Some(p) => {
            let found = match store.get_project(p).await? {
                Some(pr) if pr.domain_id == domain.id => Some(pr),
                _ => store.find_project(&domain.id, p).await?,
            };
            Some(found.ok_or_else(|| ControlError::NotFound {
                code: "IAM.0004",
                message: format!("Project {p} could not be found."),
            })?)
        }
    };
    let op = match &req.operation {
        None => None,
        Some(name) => Some(
            CATALOG
                .iter()
                .find(|o| o.name() == name)
                .ok_or_else(|| ControlError::bad_request(format!("Unknown operation {name}.")))?,
        ),
    };
    let mut actions: Vec<String> = op
        .map(|o| o.actions.iter().map(|a| a.to_string()).collect())
        .unwrap_or_default();
    for a in &req.actions {
        if !actions.contains(a) {
            actions.push(a.clone());
        }
    }
    if actions.is_empty() {
        return Err(ControlError::bad_request("Give an operation or at least one action."));
    }
    let server = match &req.server_id {
        None => None,
        Some(id) => {
            let s = store.get_server(id).await?;
            match (s, &project) {
                (Some(s), Some(p)) if s.project_id == p.id => Some(s),
                _ => return Err(ControlError::ServerNotFound { id: id.clone() }),
            }
        }
    };
    let caller = Caller {
        user_id: user.id.clone(),
        user_name: user.name.clone(),
        domain_id: domain.id.clone(),
        domain_name: domain.name.clone(),
        project_id: project.as_ref().map(|p| p.id.clone()).unwrap_or_default(),
        project_name: project.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        is_admin: user.account_admin,
        method: AuthMethod::Token,
        trace: Default::default(),
    };
    let refs: Vec<&str> = actions.iter().map(String::as_str).collect();
    let explanation = authz
        .explain(&caller, &refs, server.as_ref(), op.is_some_and(|o| o.instance_authz))
        .await?;
    let allowed = user.account_admin || explanation.decision.allowed;
    Ok(ExplainResponse {
        principal: Principal {
            user_id: user.id,
            user_name: user.name,
            domain_id: domain.id,
            domain_name: domain.name,
            project_id: project.map(|p| p.id),
        },
        operation: op.map(|o| o.name().to_string()),
        actions,
        allowed,
        basis: if user.account_admin {
            "account_administrator"
        } else {
            "policies"
        },
        explanation,
    })
}

/// The minimal v1.1 policy that allows exactly the actions a user's
/// recorded requests needed in a window (every action of each operation it
/// attempted, dependents included, whether it was allowed or not).
pub async fn suggest(
    store: &dyn Store,
    domain_id: &str,
    user_id: &str,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> ControlResult<Value> {
    let mut actions = BTreeSet::new();
    let mut operations = BTreeSet::new();
    let mut seen = 0usize;
    let mut before = None;
    // Pages of 1000, newest first, up to the retention's worth.
    loop {
        let page = store
            .query_audit(&AuditFilter {
                domain_id: Some(domain_id.to_string()),
                user_id: Some(user_id.to_string()),
                since,
                until,
                before_seq: before,
                limit: 1000,
                ..AuditFilter::default()
            })
            .await?;
        let Some(last) = page.last() else { break };
        before = Some(last.seq);
        seen += page.len();
        for r in &page {
            if let Some(op) = &r.operation {
                operations.insert(op.clone());
            }
            actions.extend(r.actions.iter().cloned());
        }
        if page.len() < 1000 || seen >= 100_000 {
            break;
        }
    }
    // A statement holds at most 100 actions.
    let actions: Vec<String> = actions.into_iter().collect();
    let statements: Vec<Value> = actions
        .chunks(crate::iam::policy::MAX_ACTIONS)
        .map(|chunk| json!({"Effect": "Allow", "Action": chunk}))
        .collect();
    Ok(json!({
        "user_id": user_id,
        "records": seen,
        "operations": operations,
        "policy": {"Version": "1.1", "Statement": statements},
    }))
}
