//! Properties of the decision function over generated policies and requests:
//! adding a Deny never grants, adding an Allow never revokes, the order of
//! statements and policies never changes the decision, and decisions are
//! deterministic and agree with the fast path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ecsd::iam::{self, CompiledPolicy, Context, Decision, Effect, Limits, PolicySet, Reason, Request};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Counts this thread's allocations, to check that the fast path makes none.
struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const ACTION_PATTERNS: &[&str] = &[
    "ecs:servers:get",
    "ecs:servers:stop",
    "ecs:cloudServers:resize",
    "ecs:CLOUDSERVERS:RESIZE",
    "ecs:cloudServers:get",
    "evs:volumes:create",
    "vpc:ports:get",
    "ecs:*:*",
    "ecs:*:get*",
    "ecs:*:show*",
    "*:*:*",
    "*:*:list",
    "ecs:servers:?et",
    "evs:volumes:*",
    "e?s:*:create",
];

const REQUEST_ACTIONS: &[&str] = &[
    "ecs:servers:get",
    "ecs:servers:stop",
    "ecs:servers:list",
    "ecs:cloudServers:resize",
    "ecs:cloudservers:Resize",
    "ecs:cloudServers:showServer",
    "evs:volumes:create",
    "vpc:ports:get",
    "vpc:ports:list",
    "ECS:servers:get",
    "iam:users:create",
];

const RESOURCE_SETS: &[Option<&[&str]>] = &[
    None,
    Some(&["*"]),
    Some(&["ECS:*:*:instance:a"]),
    Some(&["ECS:*:*:instance:*"]),
    Some(&["*:*:*:*:*", "ECS:*:*:instance:b"]),
];

const REQUEST_RESOURCES: &[Option<&str>] = &[
    None,
    Some("ECS:local-1:d1:instance:a"),
    Some("ecs:local-1:d1:instance:b"),
];

fn conditions() -> Vec<Option<Value>> {
    vec![
        None,
        Some(json!({"StringEquals": {"g:UserName": ["alice"]}})),
        Some(json!({"StringNotEquals": {"g:UserName": ["alice"]}})),
        Some(json!({"Bool": {"g:MFAPresent": ["true"]}})),
        Some(json!({"ForAllValues:StringEquals": {"g:ResourceTag/team": ["dev", "ops"]}})),
        Some(json!({"ForAnyValue:StringEqualsIgnoreCase": {"g:ResourceTag/team": ["DEV"]}})),
        Some(json!({"IpAddress": {"g:SourceIp": ["10.0.0.0/8"]}})),
        Some(json!({"NotIpAddress": {"g:SourceIp": ["10.0.0.0/8"]}})),
        Some(json!({"NumberLessThan": {"g:MFAAge": ["300"]}})),
        Some(json!({"Null": {"g:ResourceTag/team": ["true"]}})),
        Some(json!({"StringMatchIfExists": {"g:ProjectName": ["dev-*"]}})),
        Some(json!({"DateLessThan": {"g:CurrentTime": ["2025-01-01T00:00:00Z"]}})),
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop::bool::ANY,
        prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..4),
        prop::sample::select(RESOURCE_SETS),
        prop::sample::select(conditions()),
    )
        .prop_map(|(deny, actions, resources, condition)| {
            let mut s = json!({"Effect": if deny { "Deny" } else { "Allow" }, "Action": actions});
            if let Some(r) = resources {
                s["Resource"] = json!(r);
            }
            if let Some(c) = condition {
                s["Condition"] = c;
            }
            s
        })
}

/// Policies as lists of statements.
fn policies() -> impl Strategy<Value = Vec<Vec<Value>>> {
    prop::collection::vec(prop::collection::vec(statement(), 1..4), 0..5)
}

fn context() -> impl Strategy<Value = Context> {
    (
        prop::sample::select(vec![None, Some("alice"), Some("bob")]),
        prop::sample::select(vec![None, Some("true"), Some("false")]),
        prop::sample::select(vec![None, Some(vec!["dev"]), Some(vec!["dev", "qa"]), Some(vec![])]),
        prop::sample::select(vec![None, Some("10.1.1.1"), Some("192.168.0.1")]),
        prop::sample::select(vec![None, Some("100"), Some("900")]),
        prop::sample::select(vec![None, Some("dev-1"), Some("prod")]),
        prop::sample::select(vec![None, Some("2024-06-01T00:00:00Z"), Some("2026-06-01T00:00:00Z")]),
    )
        .prop_map(|(user, mfa, tags, ip, age, project, time)| {
            let mut ctx = Context::new();
            let mut put = |key: &str, value: Option<&str>| {
                if let Some(v) = value {
                    ctx.set(key, [v]);
                }
            };
            put("g:UserName", user);
            put("g:MFAPresent", mfa);
            put("g:SourceIp", ip);
            put("g:MFAAge", age);
            put("g:ProjectName", project);
            put("g:CurrentTime", time);
            if let Some(tags) = tags {
                ctx.set("g:ResourceTag/team", tags);
            }
            ctx
        })
}

#[derive(Debug, Clone)]
struct Req {
    action: &'static str,
    resource: Option<&'static str>,
    context: Context,
}

fn request() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(REQUEST_ACTIONS),
        prop::sample::select(REQUEST_RESOURCES),
        context(),
    )
        .prop_map(|(action, resource, context)| Req {
            action,
            resource,
            context,
        })
}

fn compile(policies: &[Vec<Value>]) -> PolicySet {
    let compiled = policies
        .iter()
        .enumerate()
        .map(|(i, statements)| {
            let doc = json!({"Version": "1.1", "Statement": statements});
            let doc = iam::validate_with_limits(&doc, &Limits::BUILT_IN).expect("generated policy validates");
            CompiledPolicy::new(format!("p{i}"), &doc)
        })
        .collect();
    PolicySet::new(compiled)
}

fn decide(set: &PolicySet, req: &Req) -> Decision {
    let r = Request {
        action: req.action,
        resource: req.resource,
        context: &req.context,
    };
    let d = iam::decide(set, &r);
    assert_eq!(iam::is_allowed(set, &r), d.is_allowed(), "fast path disagrees");
    d
}

fn with_effect(mut s: Value, effect: Effect) -> Value {
    s["Effect"] = json!(effect.as_str());
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_a_deny_never_grants(
        policies in policies(),
        extra in statement(),
        target in any::<prop::sample::Index>(),
        req in request(),
    ) {
        let before = decide(&compile(&policies), &req);
        let extra = with_effect(extra, Effect::Deny);
        // As a new policy, and inside an existing one.
        let mut as_policy = policies.clone();
        as_policy.push(vec![extra.clone()]);
        let after = decide(&compile(&as_policy), &req);
        prop_assert!(before.is_allowed() || !after.is_allowed());
        if !policies.is_empty() {
            let mut inside = policies.clone();
            let i = target.index(inside.len());
            inside[i].push(extra);
            let after = decide(&compile(&inside), &req);
            prop_assert!(before.is_allowed() || !after.is_allowed());
        }
    }

    #[test]
    fn adding_an_allow_never_revokes(
        policies in policies(),
        extra in statement(),
        target in any::<prop::sample::Index>(),
        req in request(),
    ) {
        let before = decide(&compile(&policies), &req);
        let extra = with_effect(extra, Effect::Allow);
        let mut as_policy = policies.clone();
        as_policy.push(vec![extra.clone()]);
        let after = decide(&compile(&as_policy), &req);
        prop_assert!(!before.is_allowed() || after.is_allowed());
        // An added Allow can also never turn an explicit deny into anything else.
        prop_assert!(before.reason != Reason::ExplicitDeny || after.reason == Reason::ExplicitDeny);
        if !policies.is_empty() {
            let mut inside = policies.clone();
            let i = target.index(inside.len());
            inside[i].insert(0, extra);
            let after = decide(&compile(&inside), &req);
            prop_assert!(!before.is_allowed() || after.is_allowed());
        }
    }

    #[test]
    fn order_never_matters(
        (policies, order, statement_orders) in policies().prop_flat_map(|ps| {
            let n = ps.len();
            let per_policy: Vec<_> = ps
                .iter()
                .map(|stmts| Just((0..stmts.len()).collect::<Vec<usize>>()).prop_shuffle())
                .collect();
            (Just(ps), Just((0..n).collect::<Vec<usize>>()).prop_shuffle(), per_policy)
        }),
        req in request(),
    ) {
        let before = decide(&compile(&policies), &req);
        let shuffled: Vec<Vec<Value>> = order
            .iter()
            .map(|&p| statement_orders[p].iter().map(|&s| policies[p][s].clone()).collect())
            .collect();
        let after = decide(&compile(&shuffled), &req);
        prop_assert_eq!((before.effect, before.reason), (after.effect, after.reason));
        prop_assert_eq!(before.matched.len(), after.matched.len());
    }

    #[test]
    fn decisions_are_deterministic_and_consistent(policies in policies(), req in request()) {
        let set = compile(&policies);
        let first = decide(&set, &req);
        prop_assert_eq!(&first, &decide(&set, &req));
        prop_assert_eq!(&first, &decide(&compile(&policies), &req));
        let has = |e: Effect| first.matched.iter().any(|m| m.effect == e);
        let expected = if has(Effect::Deny) {
            (Effect::Deny, Reason::ExplicitDeny)
        } else if has(Effect::Allow) {
            (Effect::Allow, Reason::Allowed)
        } else {
            (Effect::Deny, Reason::ImplicitDeny)
        };
        prop_assert_eq!((first.effect, first.reason), expected);
        let mut sorted = first.matched.clone();
        sorted.sort_by(|a, b| (a.policy_id[1..].parse::<usize>().ok(), a.statement)
            .cmp(&(b.policy_id[1..].parse::<usize>().ok(), b.statement)));
        sorted.dedup();
        prop_assert_eq!(&sorted, &first.matched, "matched is ordered and without duplicates");
    }

    #[test]
    fn decide_all_agrees_with_single_decisions(
        policies in policies(),
        actions in prop::collection::vec(prop::sample::select(REQUEST_ACTIONS), 0..6),
        req in request(),
    ) {
        let set = compile(&policies);
        let multi = iam::decide_all(&set, &actions, req.resource, &req.context);
        let mut missing = Vec::new();
        for (i, &action) in actions.iter().enumerate() {
            let single = decide(&set, &Req { action, ..req.clone() });
            prop_assert_eq!(&multi.per_action[i].1, &single);
            if !single.is_allowed() {
                missing.push(action.to_string());
            }
        }
        prop_assert_eq!(&multi.missing, &missing);
        prop_assert_eq!(multi.allowed, missing.is_empty());
        prop_assert_eq!(iam::is_allowed_all(&set, &actions, req.resource, &req.context), multi.allowed);
    }
}

#[test]
fn policy_sets_are_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PolicySet>();
    assert_send_sync::<CompiledPolicy>();
    assert_send_sync::<Context>();
}

#[test]
fn the_fast_path_does_not_allocate() {
    let custom = json!({"Version": "1.1", "Statement": [
        {"Effect": "Allow", "Action": ["ecs:cloudServers:*", "ecs:cloudServers:get"], "Resource": ["ECS:*:*:instance:*"],
         "Condition": {"StringEqualsIgnoreCase": {"g:UserName": ["élodie"]},
                       "DateLessThan": {"g:CurrentTime": ["2030-01-01T00:00:00Z"]},
                       "IpAddress": {"g:SourceIp": ["10.0.0.0/8"]},
                       "NumberLessThan": {"g:MFAAge": ["600"]},
                       "ForAllValues:StringMatch": {"g:ResourceTag/team": ["d?v*"]}}},
        {"Effect": "Deny", "Action": ["*:*:delete*"], "Condition": {"Bool": {"g:MFAPresent": ["false"]}}}]});
    let mut policies: Vec<CompiledPolicy> = ["ECS FullAccess", "ECS CommonOperations", "Tenant Administrator"]
        .iter()
        .filter_map(|name| iam::find_system_role(name).map(|r| r.compiled().clone()))
        .collect();
    let doc = iam::validate(&custom).expect("valid");
    policies.push(CompiledPolicy::new("custom", &doc));
    let set = PolicySet::new(policies);
    let ctx = Context::new()
        .with("g:UserName", "ÉLODIE")
        .with("g:CurrentTime", "2026-01-01T00:00:00+08:00")
        .with("g:SourceIp", "10.1.2.3")
        .with("g:MFAAge", "30")
        .with("g:MFAPresent", "false")
        .with_many("g:ResourceTag/team", ["dev", "devops"]);
    let long = format!("ecs:{}:get", "x".repeat(300));
    let actions = [
        "ecs:cloudServers:resize",
        "ecs:cloudServers:showServer",
        "ecs:CLOUDSERVERS:DeleteServers",
        "iam:users:create",
        "vpc:ports:get",
        "ECS:servers:get",
        "nocolon",
        long.as_str(),
    ];
    let resources = [None, Some("ECS:local-1:d1:instance:abc"), Some("garbage")];
    // The first decision of an action remembers which wildcard statements
    // match it (one allocation per action and policy set); every later one
    // allocates nothing.
    let decide_all = |set: &PolicySet| {
        let mut allowed = 0;
        for action in actions {
            for resource in resources {
                let req = Request {
                    action,
                    resource,
                    context: &ctx,
                };
                allowed += usize::from(iam::is_allowed(set, &req));
            }
        }
        allowed
    };
    let cold = ALLOCATIONS.with(Cell::get);
    decide_all(&set);
    assert!(ALLOCATIONS.with(Cell::get) > cold, "the first decisions fill the memo");
    let before = ALLOCATIONS.with(Cell::get);
    let mut allowed = decide_all(&set);
    allowed += usize::from(iam::is_allowed_all(&set, &actions[..2], None, &ctx));
    let after = ALLOCATIONS.with(Cell::get);
    assert_eq!(after - before, 0, "is_allowed allocated");
    assert!(allowed > 0);
    // The counter works: the explaining path does allocate its report.
    let req = Request {
        action: actions[0],
        resource: resources[1],
        context: &ctx,
    };
    assert!(iam::decide(&set, &req).is_allowed());
    assert!(ALLOCATIONS.with(Cell::get) > after);
}
