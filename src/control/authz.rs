//! The single authorization seam: `authorize(caller, operation, target)`,
//! fed by the operation's catalog row, decided by the IAM policy engine over
//! the policies granted to the caller. Deny by default.
//!
//! Each decision is also noted on the request (a task-local the API layer
//! scopes around every request), so the audit trail and the soft mode's
//! response header see exactly what was decided.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::RwLock;
use serde::Serialize;

use crate::catalog::Operation;
use crate::domain::GrantScope;
use crate::domain::{Caller, ControlError, ControlResult, DecisionNote, Server};
use crate::iam::{self, CompiledPolicy, Context, Limits, MultiDecision, PolicySet};
use crate::store::Store;

#[async_trait]
pub trait Authorizer: Send + Sync + 'static {
    /// Ok when the caller holds every action of the row for this target.
    async fn authorize(&self, caller: &Caller, op: &Operation, target: Option<&Server>) -> Result<(), ControlError>;

    /// Ok when the caller holds every one of `actions` (identity management
    /// and other calls outside the compute catalog).
    async fn authorize_actions(&self, caller: &Caller, actions: &[&str]) -> Result<(), ControlError>;

    /// Forgets compiled policies after identities, grants or policies change.
    fn invalidate(&self) {}
}

/// How authorization decisions are applied, chosen at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EnforcementMode {
    /// Refuse what policies do not allow (the default).
    Enforce,
    /// Allow, but log and report (response header) what would be refused.
    Soft,
    /// No authorization beyond authentication and account isolation.
    Off,
}

/// The URN of a server for `Resource` matching.
pub fn server_urn(region: &str, domain_id: &str, server_id: &str) -> String {
    format!("ecs:{region}:{domain_id}:instance:{server_id}")
}

/// Authorization by fine-grained policies: system roles and custom policies
/// granted to the caller (directly or through its groups) on its project,
/// on all projects, or on its account.
pub struct PolicyAuthorizer {
    store: Arc<dyn Store>,
    region: String,
    mode: EnforcementMode,
    /// Compiled policy sets per (user, project); cleared on any IAM change.
    cache: RwLock<HashMap<(String, String), Arc<PolicySet>>>,
    generation: AtomicU64,
}

/// The decision on a set of actions, with the policies that were consulted.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub account_admin: bool,
    pub mode: EnforcementMode,
    pub resource: Option<String>,
    /// The policies granted to the principal in that scope (ids).
    pub policies: Vec<String>,
    pub decision: MultiDecision,
}

impl PolicyAuthorizer {
    pub fn new(store: Arc<dyn Store>, region: &str, mode: EnforcementMode) -> PolicyAuthorizer {
        PolicyAuthorizer {
            store,
            region: region.to_string(),
            mode,
            cache: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    pub fn mode(&self) -> EnforcementMode {
        self.mode
    }

    /// Forgets every compiled policy set (same as `Authorizer::invalidate`).
    pub fn invalidate_all(&self) {
        Authorizer::invalidate(self);
    }

    /// The compiled policies the caller holds in its current scope.
    pub async fn policy_set(&self, caller: &Caller) -> ControlResult<Arc<PolicySet>> {
        let key = (caller.user_id.clone(), caller.project_id.clone());
        if let Some(set) = self.cache.read().get(&key) {
            return Ok(set.clone());
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let mut actors = vec![caller.user_id.clone()];
        actors.extend(self.store.groups_of(&caller.user_id).await?);
        let grants = self.store.grants_of(&actors).await?;
        let mut seen = HashSet::new();
        let mut policies: Vec<CompiledPolicy> = Vec::new();
        for g in grants {
            let applies = g.domain_id == caller.domain_id
                && match g.scope {
                    GrantScope::Project => g.scope_id == caller.project_id,
                    GrantScope::AllProjects | GrantScope::Domain => g.scope_id == caller.domain_id,
                };
            if !applies || !seen.insert(g.role_id.clone()) {
                continue;
            }
            if let Some(role) = iam::find_system_role(&g.role_id) {
                policies.push(role.compiled().clone());
            } else if let Some(role) = self.store.get_role(&g.role_id).await? {
                if role.domain_id != caller.domain_id {
                    continue;
                }
                // Stored policies were validated on write; built-in limits here
                // only guard against a record edited behind ecsd's back.
                match iam::validate_with_limits(&role.policy, &Limits::BUILT_IN) {
                    Ok(doc) => policies.push(CompiledPolicy::new(role.id.as_str(), &doc)),
                    Err(e) => tracing::warn!(role = %role.id, error = %e, "ignoring an invalid stored policy"),
                }
            }
        }
        let set = Arc::new(PolicySet::new(policies));
        if self.generation.load(Ordering::SeqCst) == generation {
            self.cache.write().insert(key, set.clone());
        }
        Ok(set)
    }

    /// The condition keys of a request.
    fn context(&self, caller: &Caller, target: Option<&Server>) -> Context {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut ctx = Context::new()
            .with("g:UserId", caller.user_id.as_str())
            .with("g:UserName", caller.user_name.as_str())
            .with("g:DomainId", caller.domain_id.as_str())
            .with("g:DomainName", caller.domain_name.as_str())
            .with("g:CurrentTime", now)
            .with("g:MFAPresent", "false");
        if !caller.project_id.is_empty() {
            ctx = ctx
                .with("g:ProjectId", caller.project_id.as_str())
                .with("g:ProjectName", caller.project_name.as_str());
        }
        if let Some(ip) = caller.trace.source_ip() {
            ctx = ctx.with("g:SourceIp", ip);
        }
        if let Some(s) = target {
            for tag in &s.tags {
                let (k, v) = tag.split_once('=').unwrap_or((tag.as_str(), ""));
                ctx.set(&format!("g:ResourceTag/{k}"), [v]);
            }
        }
        ctx
    }

    /// Evaluates `actions` for a caller; the core of both entry points and
    /// of the explain API.
    pub async fn evaluate(
        &self,
        caller: &Caller,
        actions: &[&str],
        resource: Option<&str>,
        target: Option<&Server>,
    ) -> ControlResult<(Arc<PolicySet>, MultiDecision)> {
        let set = self.policy_set(caller).await?;
        let ctx = self.context(caller, target);
        let decision = iam::decide_all(&set, actions, resource, &ctx);
        Ok((set, decision))
    }

    /// Explains a decision without enforcing or noting it.
    pub async fn explain(
        &self,
        caller: &Caller,
        actions: &[&str],
        target: Option<&Server>,
        instance_authz: bool,
    ) -> ControlResult<Explanation> {
        let resource = target
            .filter(|_| instance_authz)
            .map(|s| server_urn(&self.region, &s.domain_id, &s.id));
        let (set, decision) = self.evaluate(caller, actions, resource.as_deref(), target).await?;
        Ok(Explanation {
            account_admin: caller.is_admin,
            mode: self.mode,
            resource,
            policies: set.policies().iter().map(|p| p.id().to_string()).collect(),
            decision,
        })
    }

    async fn check(
        &self,
        caller: &Caller,
        operation: Option<&str>,
        actions: &[&str],
        target: Option<&Server>,
        instance_authz: bool,
    ) -> Result<(), ControlError> {
        let resource = target
            .filter(|_| instance_authz)
            .map(|s| server_urn(&self.region, &s.domain_id, &s.id));
        let note = |decision: &'static str, missing: Vec<String>| DecisionNote {
            operation: operation.map(str::to_string),
            actions: actions.iter().map(|a| a.to_string()).collect(),
            decision,
            missing,
            resource: resource.clone(),
        };
        // Another account's resources never reach here (they are 404), but
        // a target from elsewhere is refused all the same.
        let own_account = target.is_none_or(|s| s.domain_id == caller.domain_id);
        if !own_account {
            caller
                .trace
                .note_decision(note("deny", actions.iter().map(|a| a.to_string()).collect()));
            return Err(ControlError::Forbidden {
                missing: actions.iter().map(|a| a.to_string()).collect(),
            });
        }
        if caller.is_admin || actions.is_empty() {
            caller.trace.note_decision(note("allow", Vec::new()));
            return Ok(());
        }
        if self.mode == EnforcementMode::Off {
            caller.trace.note_decision(note("off", Vec::new()));
            return Ok(());
        }
        let set = self.policy_set(caller).await?;
        let ctx = self.context(caller, target);
        // The hot path: a decision without allocation; the per-action detail
        // is computed only to say what is missing.
        if iam::is_allowed_all(&set, actions, resource.as_deref(), &ctx) {
            caller.trace.note_decision(note("allow", Vec::new()));
            return Ok(());
        }
        let decision = iam::decide_all(&set, actions, resource.as_deref(), &ctx);
        if self.mode == EnforcementMode::Soft {
            tracing::info!(user = %caller.user_id, operation = ?operation, missing = ?decision.missing, "soft mode: would deny");
            caller.trace.note_decision(note("soft_deny", decision.missing));
            return Ok(());
        }
        caller.trace.note_decision(note("deny", decision.missing.clone()));
        Err(ControlError::Forbidden {
            missing: decision.missing,
        })
    }
}

#[async_trait]
impl Authorizer for PolicyAuthorizer {
    async fn authorize(&self, caller: &Caller, op: &Operation, target: Option<&Server>) -> Result<(), ControlError> {
        caller.trace.note_operation(op.name());
        self.check(caller, Some(op.name()), op.actions, target, op.instance_authz)
            .await
    }

    async fn authorize_actions(&self, caller: &Caller, actions: &[&str]) -> Result<(), ControlError> {
        self.check(caller, None, actions, None, false).await
    }

    fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.cache.write().clear();
    }
}

/// Account administrators hold every action within their own account;
/// everyone else holds none. Used where no policies exist (tests).
pub struct AccountAdminAuthorizer;

#[async_trait]
impl Authorizer for AccountAdminAuthorizer {
    async fn authorize(&self, caller: &Caller, op: &Operation, target: Option<&Server>) -> Result<(), ControlError> {
        let own_account = target.is_none_or(|s| s.domain_id == caller.domain_id);
        if caller.is_admin && own_account {
            return Ok(());
        }
        Err(ControlError::Forbidden {
            missing: op.actions.iter().map(|a| a.to_string()).collect(),
        })
    }

    async fn authorize_actions(&self, caller: &Caller, actions: &[&str]) -> Result<(), ControlError> {
        if caller.is_admin {
            return Ok(());
        }
        Err(ControlError::Forbidden {
            missing: actions.iter().map(|a| a.to_string()).collect(),
        })
    }
}
