//! Decision speed for a principal with ten policies: the three ECS system
//! policies and seven custom ones with wildcards, resources and conditions;
//! and for a principal with 1,000 generated custom policies (the `iam_1000`
//! group: `cargo bench --bench policy -- 1000`).
//! Design target: at least a million single decisions a second on one core.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ecsd::iam::{self, CompiledPolicy, Context, PolicySet, Request};
use serde_json::json;

/// Seed row 7 (native resize) with its dependents.
const ROW_7: &[&str] = ecsd::catalog::nova::NATIVE_RESIZE_ACTIONS;

const SERVER: &str = "ECS:local-1:0123456789abcdef0123456789abcdef:instance:9e0263ee-542a-4114-bf4a-5dd14d3f8a18";

fn principal() -> PolicySet {
    let custom = [
        json!({"Version": "1.1", "Statement": [
            {"Effect": "Deny", "Action": ["ecs:cloudServers:deleteServers", "ecs:servers:delete"],
             "Condition": {"Bool": {"g:MFAPresent": ["false"]}}}]}),
        json!({"Version": "1.1", "Statement": [
            {"Effect": "Allow", "Action": ["ecs:cloudServers:*"], "Resource": ["ECS:*:*:instance:*"],
             "Condition": {"StringEqualsIgnoreCase": {"g:ResourceTag/team": ["dev", "ops"]}}}]}),
        json!({"Version": "1.1", "Statement": [
            {"Effect": "Allow", "Action": ["evs:volumes:*", "evs:snapshots:*"]},
            {"Effect": "Deny", "Action": ["evs:volumes:delete"], "Resource": ["EVS:*:*:volume:prod-*"]}]}),
        json!({"Version": "1.1", "Statement": [
            {"Effect": "Allow", "Action": ["vpc:ports:*", "vpc:securityGroups:get*", "vpc:*:list*"]}]}),
        json!({"Version": "1.1", "Statement": [
            {"Effect": "Deny", "Action": ["ecs:servers:lock", "ecs:servers:unlock"],
             "Condition": {"NotIpAddress": {"g:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}}]}),
        json!({"Version": "1.1", "Statement": [
            {"Effect": "Allow", "Action": ["ims:images:*"],
             "Condition": {"DateLessThan": {"g:CurrentTime": ["2030-01-01T00:00:00Z"]},
                           "StringEquals": {"g:ProjectName": ["local-1"]}}}]}),
        json!({"Version": "1.1", "Statement": [
            {"Effect": "Allow", "Resource": ["*"], "Action": [
                "ecs:servers:start", "ecs:servers:stop", "ecs:servers:reboot", "ecs:servers:resize",
                "ecs:servers:confirmResize", "ecs:servers:revertResize", "ecs:servers:rebuild",
                "ecs:servers:get", "ecs:servers:list", "ecs:servers:update", "ecs:servers:setMetadata",
                "ecs:servers:createImage", "ecs:serverInterfaces:use", "ecs:serverVolumes:use",
                "ecs:flavors:get", "ecs:quotas:get"]}]}),
    ];
    let mut policies: Vec<CompiledPolicy> = ["ECS FullAccess", "ECS CommonOperations", "ECS ReadOnlyAccess"]
        .iter()
        .filter_map(|name| iam::find_system_role(name).map(|r| r.compiled().clone()))
        .collect();
    for (i, doc) in custom.iter().enumerate() {
        let doc = iam::validate(doc).expect("custom policy validates");
        policies.push(CompiledPolicy::new(format!("custom-{i}"), &doc));
    }
    assert_eq!(policies.len(), 10);
    PolicySet::new(policies)
}

fn context() -> Context {
    Context::new()
        .with("g:UserId", "7e25b1da389f4697a79df3a0e5bd494e")
        .with("g:UserName", "alice")
        .with("g:DomainName", "ecsd")
        .with("g:ProjectName", "local-1")
        .with("g:CurrentTime", "2026-11-01T10:00:00Z")
        .with("g:MFAPresent", "false")
        .with("g:SourceIp", "10.1.2.3")
        .with_many("g:ResourceTag/team", ["dev"])
}

fn bench(c: &mut Criterion) {
    let set = principal();
    let ctx = context();
    let mut g = c.benchmark_group("iam");
    g.throughput(Throughput::Elements(1));
    let cases: &[(&str, &str, Option<&str>, bool)] = &[
        ("is_allowed/exact_allow", "ecs:servers:stop", None, true),
        (
            "is_allowed/wildcard_allow_resource",
            "ecs:cloudServers:resize",
            Some(SERVER),
            true,
        ),
        (
            "is_allowed/conditional_deny",
            "ecs:cloudServers:deleteServers",
            Some(SERVER),
            false,
        ),
        ("is_allowed/implicit_deny", "iam:users:create", None, false),
    ];
    for &(name, action, resource, expected) in cases {
        let req = Request {
            action,
            resource,
            context: &ctx,
        };
        assert_eq!(iam::is_allowed(&set, &req), expected, "{name}");
        g.bench_function(name, |b| b.iter(|| iam::is_allowed(black_box(&set), black_box(&req))));
    }
    let req = Request {
        action: "ecs:servers:resize",
        resource: None,
        context: &ctx,
    };
    g.bench_function("decide/explain_one", |b| {
        b.iter(|| iam::decide(black_box(&set), black_box(&req)))
    });

    g.throughput(Throughput::Elements(ROW_7.len() as u64));
    assert!(iam::is_allowed_all(&set, ROW_7, None, &ctx));
    g.bench_function("is_allowed_all/row_7", |b| {
        b.iter(|| iam::is_allowed_all(black_box(&set), black_box(ROW_7), None, black_box(&ctx)))
    });
    g.bench_function("decide_all/row_7", |b| {
        b.iter(|| iam::decide_all(black_box(&set), black_box(ROW_7), None, black_box(&ctx)))
    });
    g.finish();

    c.bench_function("iam/compile_policy_set", |b| b.iter(|| black_box(principal())));
}

/// Services a large account's custom policies name, ECS among them.
const SERVICES: &[&str] = &[
    "ecs", "evs", "vpc", "ims", "obs", "rds", "elb", "dns", "kms", "cce", "as", "ces",
];
const RESOURCES: &[&str] = &[
    "cloudServers",
    "servers",
    "serverVolumes",
    "serverInterfaces",
    "volumes",
    "snapshots",
    "ports",
    "securityGroups",
    "images",
    "buckets",
    "instances",
    "loadbalancers",
    "recordsets",
    "keys",
    "clusters",
];
const VERBS: &[&str] = &[
    "get", "list", "create", "delete", "update", "start", "stop", "reboot", "attach", "detach",
];

/// Seed row 5 (native stop) with its dependent action.
const ROW_5: &[&str] = &["ecs:servers:stop", "ecs:servers:get"];

/// A small deterministic generator: the same 1,000 policies on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.next() % 100 < percent
    }
}

/// One generated action: mostly exact names, some service globs, a few
/// globs over every service. Only the three leading policies name
/// `ecs:servers:stop` exactly; globs may still cover it.
fn generated_action(rng: &mut Lcg) -> String {
    let service = if rng.chance(25) { "ecs" } else { rng.pick(SERVICES) };
    let resource = rng.pick(RESOURCES);
    let verb = rng.pick(VERBS);
    match rng.next() % 20 {
        0 => format!("*:*:{verb}*"),
        1..=4 => format!("{service}:{resource}:*"),
        5..=6 => format!("{service}:*:{verb}*"),
        7 => format!("{service}:{resource}:{verb}*"),
        _ if service == "ecs" && resource == "servers" && verb == "stop" => "ecs:servers:start".into(),
        _ => format!("{service}:{resource}:{verb}"),
    }
}

/// `*` and `?` globs, case-insensitive: enough to keep the generated Denies
/// off the decided action.
fn glob_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

fn generated_condition(rng: &mut Lcg) -> serde_json::Value {
    match rng.next() % 4 {
        0 => json!({"StringEquals": {"g:ProjectName": [format!("project-{}", rng.next() % 50)]}}),
        1 => json!({"IpAddress": {"g:SourceIp": ["10.0.0.0/8"]}}),
        2 => json!({"DateLessThan": {"g:CurrentTime": ["2030-01-01T00:00:00Z"]}}),
        _ => json!({"StringEqualsIgnoreCase": {"g:ResourceTag/team": ["dev", "qa"]}}),
    }
}

/// 1,000 custom policies of one to three statements: about a fifth Deny
/// (no generated one covering seed row 5), a tenth with conditions, a
/// tenth with ECS resources. The first three name `ecs:servers:stop`: an
/// Allow of the row, a conditional Deny that does not hold (MFA is present)
/// and an Allow conditional on another project.
fn principal_1000() -> PolicySet {
    let mut rng = Lcg(0x5eed_1000);
    let mut docs = vec![
        json!({"Version": "1.1", "Statement": [
            {"Effect": "Allow", "Action": ["ecs:servers:stop", "ecs:servers:start", "ecs:servers:get"]}]}),
        json!({"Version": "1.1", "Statement": [
            {"Effect": "Deny", "Action": ["ecs:servers:stop", "ecs:servers:delete"],
             "Condition": {"Bool": {"g:MFAPresent": ["false"]}}}]}),
        json!({"Version": "1.1", "Statement": [
            {"Effect": "Allow", "Action": ["ecs:servers:*"],
             "Condition": {"StringEquals": {"g:ProjectName": ["other-project"]}}}]}),
    ];
    while docs.len() < 1000 {
        let statements: Vec<serde_json::Value> = (0..1 + rng.next() % 3)
            .map(|_| {
                let actions: Vec<String> = (0..1 + rng.next() % 4).map(|_| generated_action(&mut rng)).collect();
                // Deny is common, but none denies the decided row outright.
                let covers_row = actions
                    .iter()
                    .any(|a| ROW_5.iter().any(|action| glob_matches(a, action)));
                let effect = if rng.chance(20) && !covers_row { "Deny" } else { "Allow" };
                let mut statement = json!({"Effect": effect, "Action": actions});
                if rng.chance(10) {
                    statement["Condition"] = generated_condition(&mut rng);
                }
                if rng.chance(10) {
                    statement["Resource"] = json!([format!("ECS:*:*:instance:{:08x}-*", rng.next())]);
                }
                statement
            })
            .collect();
        docs.push(json!({"Version": "1.1", "Statement": statements}));
    }
    let policies: Vec<CompiledPolicy> = docs
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            CompiledPolicy::new(
                format!("custom-{i}"),
                &iam::validate(doc).expect("generated policy validates"),
            )
        })
        .collect();
    assert_eq!(policies.len(), 1000);
    PolicySet::new(policies)
}

fn bench_1000(c: &mut Criterion) {
    let set = principal_1000();
    let ctx = context().with("g:MFAPresent", "true");
    let statements: usize = set.policies().iter().map(CompiledPolicy::statement_count).sum();
    let mut g = c.benchmark_group("iam_1000");
    g.throughput(Throughput::Elements(1));
    let cases: &[(&str, &str, Option<&str>, bool)] = &[
        ("is_allowed/row_action", "ecs:servers:stop", None, true),
        (
            "is_allowed/with_resource",
            "ecs:cloudServers:resize",
            Some(SERVER),
            false,
        ),
        ("is_allowed/implicit_deny", "ecs:serverGroups:manage", None, false),
    ];
    for &(name, action, resource, expected) in cases {
        let req = Request {
            action,
            resource,
            context: &ctx,
        };
        assert_eq!(iam::is_allowed(&set, &req), expected, "{name}");
        let matched = iam::decide(&set, &req).matched.len();
        eprintln!("iam_1000/{name}: {action}, {matched} of {statements} statements match");
        g.bench_function(name, |b| b.iter(|| iam::is_allowed(black_box(&set), black_box(&req))));
    }
    g.throughput(Throughput::Elements(ROW_5.len() as u64));
    assert!(iam::is_allowed_all(&set, ROW_5, None, &ctx));
    g.bench_function("is_allowed_all/row_5", |b| {
        b.iter(|| iam::is_allowed_all(black_box(&set), black_box(ROW_5), None, black_box(&ctx)))
    });
    g.finish();
}

criterion_group!(benches, bench, bench_1000);
criterion_main!(benches);
