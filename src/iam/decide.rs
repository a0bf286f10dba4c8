//! Decisions: explicit `Deny` wins, then `Allow`, else the default deny.
//!
//! [`is_allowed`] is the hot path: no allocation, and it stops at the first
//! matching `Deny` (or, without one, the first matching `Allow`).
//! [`decide`] does the same work but reports every statement that matched,
//! for the explain API and audit. Both are pure functions of their inputs,
//! so the effect and reason never depend on the order of policies or
//! statements; only the order of [`Decision::matched`] follows the set.

use std::ops::ControlFlow;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::compile::{PolicySet, StmtRef};
use super::context::Context;
use super::policy::Effect;

/// One action asked of the engine.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `service:resourceType:operation`, e.g. `ecs:cloudServers:resize`.
    pub action: &'a str,
    /// The target's URN, e.g. `ECS:local-1:<domain_id>:instance:<server_id>`;
    /// `None` for APIs without instance-level authorization.
    pub resource: Option<&'a str>,
    pub context: &'a Context,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Reason {
    /// A matching `Deny` statement.
    ExplicitDeny,
    /// A matching `Allow` statement and no matching `Deny`.
    Allowed,
    /// No statement matched.
    ImplicitDeny,
}

/// A statement that matched the request (action, resource and conditions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub policy_id: Arc<str>,
    /// Index into the policy's `Statement` array, from 0.
    pub statement: usize,
    pub effect: Effect,
}

impl Serialize for Match {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Match", 3)?;
        s.serialize_field("policy_id", &*self.policy_id)?;
        s.serialize_field("statement", &self.statement)?;
        s.serialize_field("effect", &self.effect)?;
        s.end()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    pub effect: Effect,
    pub reason: Reason,
    /// Every matching statement, by policy then statement index.
    pub matched: Vec<Match>,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        self.effect == Effect::Allow
    }
}

/// The decision on every action an operation requires.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MultiDecision {
    /// True when every action is allowed.
    pub allowed: bool,
    pub per_action: Vec<(String, Decision)>,
    /// Every action not allowed, in input order.
    pub missing: Vec<String>,
}

/// Whether `Deny` or `Allow` statements match the request.
fn any_match(set: &PolicySet, effect: Effect, req: &Request) -> bool {
    set.for_each_candidate(effect, req.action, |at| match set.statement(at) {
        Some((_, s)) if s.applies(req.resource, req.context) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

/// The decision alone, without allocating.
pub fn is_allowed(set: &PolicySet, req: &Request) -> bool {
    !any_match(set, Effect::Deny, req) && any_match(set, Effect::Allow, req)
}

/// The decision with every statement that matched.
pub fn decide(set: &PolicySet, req: &Request) -> Decision {
    let mut candidates: Vec<StmtRef> = Vec::new();
    for effect in [Effect::Deny, Effect::Allow] {
        let _ = set.for_each_candidate(effect, req.action, |at| {
            candidates.push(at);
            ControlFlow::Continue(())
        });
    }
    candidates.sort_unstable();
    candidates.dedup();
    let matched: Vec<Match> = candidates
        .into_iter()
        .filter_map(|at| {
            let (policy, statement) = set.statement(at)?;
            statement.applies(req.resource, req.context).then(|| Match {
                policy_id: policy.id_arc().clone(),
                statement: at.statement as usize,
                effect: statement.effect,
            })
        })
        .collect();
    let (effect, reason) = if matched.iter().any(|m| m.effect == Effect::Deny) {
        (Effect::Deny, Reason::ExplicitDeny)
    } else if matched.iter().any(|m| m.effect == Effect::Allow) {
        (Effect::Allow, Reason::Allowed)
    } else {
        (Effect::Deny, Reason::ImplicitDeny)
    };
    Decision {
        effect,
        reason,
        matched,
    }
}

/// Decides every action of an operation against the same resource and
/// context; allowed only when all are.
pub fn decide_all(set: &PolicySet, actions: &[&str], resource: Option<&str>, ctx: &Context) -> MultiDecision {
    let per_action: Vec<(String, Decision)> = actions
        .iter()
        .map(|&action| {
            let req = Request {
                action,
                resource,
                context: ctx,
            };
            (action.to_string(), decide(set, &req))
        })
        .collect();
    let missing: Vec<String> = per_action
        .iter()
        .filter(|(_, d)| !d.is_allowed())
        .map(|(a, _)| a.clone())
        .collect();
    MultiDecision {
        allowed: missing.is_empty(),
        per_action,
        missing,
    }
}

/// [`decide_all`]'s verdict alone, without allocating.
pub fn is_allowed_all(set: &PolicySet, actions: &[&str], resource: Option<&str>, ctx: &Context) -> bool {
    actions.iter().all(|&action| {
        is_allowed(
            set,
            &Request {
                action,
                resource,
                context: ctx,
            },
        )
    })
}
