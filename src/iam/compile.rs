//! Compiling policies once so that a decision is lookups, not parsing.
//!
//! A [`CompiledPolicy`] holds one document's statements with their patterns
//! pre-built; it is cheap to clone and can be shared by every principal that
//! holds the policy. A [`PolicySet`] is one principal's policies plus an
//! index from action to the statements that name it, kept separately for
//! `Deny` and `Allow` statements so a decision can stop at the first
//! deciding statement.
//!
//! Action matching: the service part (before the first `:`) is compared
//! case-sensitively (it is lower-case by definition), the rest
//! case-insensitively. `*` matches any run of characters and `?` one. The
//! rest is matched as one string, so `*` may cross a `:`; since a valid
//! pattern and a real action both have exactly three parts, that never
//! changes a result (whether Huawei lets `*` cross `:` is undocumented).
//!
//! Resource matching: a statement without `Resource` applies to every
//! request. Otherwise the request's URN must match one of its patterns part
//! by part: the service part case-insensitively (`ECS` and `ecs`), the other
//! parts case-sensitively; `*` stays inside its part except in the last part
//! (the resource path), which is the rest of the URN. A request without a
//! resource (an API without instance-level authorization: create, list, the
//! native actions) is matched only by statements without `Resource` or with a
//! pattern that matches everything (`*` or `*:*:*:*:*`), as the service
//! requires `"*"` for such APIs.
//!
//! Action aliases: Huawei's published example policies grant
//! `ecs:cloudServers:get`, a name absent from the action tables, to show a
//! server. A statement naming exactly that action therefore also covers
//! `ecs:cloudServers:showServer`. Wildcards are not widened: `ecs:*:get*`
//! does not cover `showServer` (the built-in policies add `ecs:*:show*`).

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use super::condition::CompiledCondition;
use super::context::Context;
use super::glob::Glob;
use super::policy::{Effect, PolicyDocument};

/// Exact action names (lower-cased after the service) that also grant or
/// deny another exact action.
const ACTION_ALIASES: &[(&str, &str)] = &[("ecs:cloudservers:get", "ecs:cloudservers:showserver")];

/// Longest action looked up without a fallback scan; real actions are far
/// shorter.
const MAX_FAST_ACTION_LEN: usize = 192;

/// One policy, compiled. Cloning shares it.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    inner: Arc<PolicyInner>,
}

#[derive(Debug)]
struct PolicyInner {
    id: Arc<str>,
    statements: Vec<CompiledStatement>,
}

#[derive(Debug)]
pub(crate) struct CompiledStatement {
    pub(crate) effect: Effect,
    actions: Vec<ActionPattern>,
    resources: Resources,
    conditions: Vec<CompiledCondition>,
}

#[derive(Debug)]
enum ActionPattern {
    /// `service:rest` with `rest` lower-cased.
    Exact(Box<str>),
    /// Literal service, wildcard rest.
    Service { service: Box<str>, rest: Glob },
    /// Wildcard service.
    Any { service: Glob, rest: Glob },
}

#[derive(Debug)]
enum Resources {
    /// No `Resource`: every resource, and requests without one.
    All,
    Patterns {
        patterns: Vec<ResourcePattern>,
        /// One pattern matches everything, so resource-less requests match.
        matches_all: bool,
    },
}

#[derive(Debug)]
struct ResourcePattern {
    parts: [Glob; 5],
    /// Every part is `*`: matches any URN, even a malformed one.
    any: bool,
}

impl CompiledPolicy {
    /// Compiles a validated document; `policy_id` is what decisions report.
    pub fn new(policy_id: impl Into<Arc<str>>, doc: &PolicyDocument) -> CompiledPolicy {
        let statements = doc
            .statements
            .iter()
            .map(|s| CompiledStatement {
                effect: s.effect,
                actions: s.actions.iter().map(|a| ActionPattern::new(a)).collect(),
                resources: match &s.resources {
                    None => Resources::All,
                    Some(list) => {
                        let patterns: Vec<ResourcePattern> = list.iter().map(|r| ResourcePattern::new(r)).collect();
                        let matches_all = patterns.iter().any(ResourcePattern::is_any);
                        Resources::Patterns { patterns, matches_all }
                    }
                },
                conditions: s
                    .conditions
                    .iter()
                    .map(|c| CompiledCondition::new(c.operator, &c.key, &c.values))
                    .collect(),
            })
            .collect();
        CompiledPolicy {
            inner: Arc::new(PolicyInner {
                id: policy_id.into(),
                statements,
            }),
        }
    }

    /// A policy that grants and denies nothing.
    pub(crate) fn empty(policy_id: impl Into<Arc<str>>) -> CompiledPolicy {
        CompiledPolicy {
            inner: Arc::new(PolicyInner {
                id: policy_id.into(),
                statements: Vec::new(),
            }),
        }
    }

    pub fn id(&self) -> &str {
        &self.inner.id
    }

    pub(crate) fn id_arc(&self) -> &Arc<str> {
        &self.inner.id
    }

    pub fn statement_count(&self) -> usize {
        self.inner.statements.len()
    }

    pub(crate) fn statement(&self, index: usize) -> Option<&CompiledStatement> {
        self.inner.statements.get(index)
    }
}

impl ActionPattern {
    fn new(action: &str) -> ActionPattern {
        let (service, rest) = action.split_once(':').unwrap_or((action, ""));
        let wild = |s: &str| s.contains(['*', '?']);
        if wild(service) {
            ActionPattern::Any {
                service: Glob::new(service, false),
                rest: Glob::new(rest, true),
            }
        } else if wild(rest) {
            ActionPattern::Service {
                service: service.into(),
                rest: Glob::new(rest, true),
            }
        } else {
            ActionPattern::Exact(format!("{service}:{}", rest.to_ascii_lowercase()).into())
        }
    }
}

impl ResourcePattern {
    fn new(pattern: &str) -> ResourcePattern {
        let mut split = pattern.splitn(5, ':');
        let parts: [Glob; 5] = if pattern == "*" {
            std::array::from_fn(|_| Glob::new("*", false))
        } else {
            std::array::from_fn(|i| Glob::new(split.next().unwrap_or(""), i == 0))
        };
        let any = parts.iter().all(Glob::is_any);
        ResourcePattern { parts, any }
    }

    fn is_any(&self) -> bool {
        self.any
    }

    fn matches(&self, urn: &str) -> bool {
        if self.any {
            return true;
        }
        let mut parts = urn.splitn(5, ':');
        self.parts
            .iter()
            .all(|glob| parts.next().is_some_and(|part| glob.matches(part)))
    }
}

impl CompiledStatement {
    /// Resource and conditions; the action was matched by the index.
    pub(crate) fn applies(&self, resource: Option<&str>, ctx: &Context) -> bool {
        let resource_ok = match (&self.resources, resource) {
            (Resources::All, _) => true,
            (Resources::Patterns { matches_all, .. }, None) => *matches_all,
            (Resources::Patterns { patterns, .. }, Some(urn)) => patterns.iter().any(|p| p.matches(urn)),
        };
        resource_ok && self.conditions.iter().all(|c| c.eval(ctx))
    }
}

/// A statement of a set: indexes into `PolicySet::policies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct StmtRef {
    pub(crate) policy: u32,
    pub(crate) statement: u32,
}

/// One principal's compiled policies. `Send + Sync`; share it in an `Arc`.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    policies: Vec<CompiledPolicy>,
    deny: ActionIndex,
    allow: ActionIndex,
}

impl PolicySet {
    pub fn new(policies: Vec<CompiledPolicy>) -> PolicySet {
        let mut deny = ActionIndex::default();
        let mut allow = ActionIndex::default();
        for (p, policy) in policies.iter().enumerate() {
            for (s, statement) in policy.inner.statements.iter().enumerate() {
                let at = StmtRef {
                    policy: u32::try_from(p).unwrap_or(u32::MAX),
                    statement: u32::try_from(s).unwrap_or(u32::MAX),
                };
                let index = match statement.effect {
                    Effect::Deny => &mut deny,
                    Effect::Allow => &mut allow,
                };
                for action in &statement.actions {
                    index.insert(action, at);
                }
            }
        }
        PolicySet { policies, deny, allow }
    }

    pub fn policies(&self) -> &[CompiledPolicy] {
        &self.policies
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    pub(crate) fn statement(&self, at: StmtRef) -> Option<(&CompiledPolicy, &CompiledStatement)> {
        let policy = self.policies.get(at.policy as usize)?;
        Some((policy, policy.statement(at.statement as usize)?))
    }

    /// Calls `f` with every statement of `effect` whose actions match
    /// `action` (a statement may come more than once), until `f` breaks.
    pub(crate) fn for_each_candidate(
        &self,
        effect: Effect,
        action: &str,
        f: impl FnMut(StmtRef) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        match effect {
            Effect::Deny => self.deny.for_each(action, f),
            Effect::Allow => self.allow.for_each(action, f),
        }
    }
}

/// Statements whose action has a literal service and a wildcard rest.
type RestPatterns = Vec<(Glob, StmtRef)>;

#[derive(Debug, Clone, Default)]
struct ActionIndex {
    /// `service:rest` (rest lower-cased) to the statements naming it.
    exact: HashMap<Box<str>, Vec<StmtRef>>,
    /// Literal service to (wildcard rest, statement); a handful of services,
    /// so a scan beats hashing.
    by_service: Vec<(Box<str>, RestPatterns)>,
    /// Wildcard services (`*:*:get*`).
    any_service: Vec<(Glob, Glob, StmtRef)>,
    /// The wildcard statements each action asked about so far matched: a
    /// principal with many policies decides the same few actions again
    /// and again, and trying every wildcard each time was nearly all of
    /// the cost.
    wildcard_hits: WildcardMemo,
}

/// Most actions remembered per index; further ones are matched each time.
const MEMO_ACTIONS: usize = 4096;

#[derive(Debug, Default)]
struct WildcardMemo(parking_lot::RwLock<HashMap<Box<str>, std::sync::Arc<[StmtRef]>>>);

impl Clone for WildcardMemo {
    /// A copy starts with an empty memo: it is only a cache.
    fn clone(&self) -> Self {
        WildcardMemo::default()
    }
}

impl ActionIndex {
    fn insert(&mut self, action: &ActionPattern, at: StmtRef) {
        match action {
            ActionPattern::Exact(key) => {
                self.exact.entry(key.clone()).or_default().push(at);
                for (from, to) in ACTION_ALIASES {
                    if **key == **from {
                        self.exact.entry((*to).into()).or_default().push(at);
                    }
                }
            }
            ActionPattern::Service { service, rest } => match self.by_service.iter_mut().find(|(s, _)| s == service) {
                Some((_, list)) => list.push((rest.clone(), at)),
                None => self.by_service.push((service.clone(), vec![(rest.clone(), at)])),
            },
            ActionPattern::Any { service, rest } => self.any_service.push((service.clone(), rest.clone(), at)),
        }
    }

    fn for_each(&self, action: &str, mut f: impl FnMut(StmtRef) -> ControlFlow<()>) -> ControlFlow<()> {
        let (service, rest) = action.split_once(':').unwrap_or((action, ""));
        if !self.exact.is_empty() {
            // Fold the request into a stack buffer: no allocation per decision.
            let mut buf = [0u8; MAX_FAST_ACTION_LEN];
            if action.len() <= buf.len() {
                let key = &mut buf[..action.len()];
                key.copy_from_slice(action.as_bytes());
                key[service.len()..].make_ascii_lowercase();
                if let Some(list) = std::str::from_utf8(key).ok().and_then(|k| self.exact.get(k)) {
                    for &at in list {
                        f(at)?;
                    }
                }
            } else {
                for (key, list) in &self.exact {
                    if exact_eq(key, service, rest) {
                        for &at in list {
                            f(at)?;
                        }
                    }
                }
            }
        }
        if self.by_service.is_empty() && self.any_service.is_empty() {
            return ControlFlow::Continue(());
        }
        let remembered = self.wildcard_hits.0.read().get(action).cloned();
        let hits = match remembered {
            Some(hits) => hits,
            None => {
                let hits: std::sync::Arc<[StmtRef]> = self.wildcard_matches(service, rest).into();
                let mut memo = self.wildcard_hits.0.write();
                if memo.len() < MEMO_ACTIONS {
                    memo.insert(action.into(), hits.clone());
                }
                hits
            }
        };
        for &at in hits.iter() {
            f(at)?;
        }
        ControlFlow::Continue(())
    }
}

impl ActionIndex {
    /// The statements whose wildcard actions match `service:rest`, in order.
    fn wildcard_matches(&self, service: &str, rest: &str) -> Vec<StmtRef> {
        let mut hits = Vec::new();
        if let Some((_, list)) = self.by_service.iter().find(|(s, _)| **s == *service) {
            hits.extend(list.iter().filter(|(glob, _)| glob.matches(rest)).map(|(_, at)| *at));
        }
        hits.extend(
            self.any_service
                .iter()
                .filter(|(service_glob, glob, _)| service_glob.matches(service) && glob.matches(rest))
                .map(|(_, _, at)| *at),
        );
        hits
    }
}

/// `key == service + ":" + lower(rest)`, for the rare over-long action.
fn exact_eq(key: &str, service: &str, rest: &str) -> bool {
    key.len() == service.len() + 1 + rest.len()
        && key.starts_with(service)
        && key.as_bytes()[service.len()] == b':'
        && key.as_bytes()[service.len() + 1..].eq_ignore_ascii_case(rest.as_bytes())
}
