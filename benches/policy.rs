//! Decision speed for a principal with ten policies: the three ECS system
//! policies and seven custom ones with wildcards, resources and conditions.
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

criterion_group!(benches, bench);
criterion_main!(benches);
