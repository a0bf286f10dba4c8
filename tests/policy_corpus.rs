//! Runs the policy corpus in `tests/policy_corpus/`.
//!
//! Every file but `invalid.json` is an array of decision cases:
//! `{"name", "policies": [{"id", "document"} | {"system": "<id or name>"}],
//!   "request": {"action" | "actions", "resource"?, "context"?: {key: [values]}},
//!   "expect": "Allow" | "Deny", "reason"?, "matched"?: [[policy, statement, effect]],
//!   "missing"?: [actions]}`.
//! A request with `actions` is decided with `decide_all` (`expect` is its
//! verdict, `missing` its missing actions). `invalid.json` holds documents
//! that must be refused: `{"name", "document", "error_path", "error_contains"}`.
//!
//! Every case runs; the test fails listing every failing case by name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ecsd::iam::{self, CompiledPolicy, Context, Effect, PolicySet, Reason, Request};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    policies: Vec<PolicyRef>,
    request: CaseRequest,
    expect: Effect,
    reason: Option<Reason>,
    matched: Option<Vec<(String, usize, Effect)>>,
    missing: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PolicyRef {
    Custom { id: String, document: Value },
    System { system: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseRequest {
    action: Option<String>,
    actions: Option<Vec<String>>,
    resource: Option<String>,
    #[serde(default)]
    context: BTreeMap<String, Values>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Values {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvalidCase {
    name: String,
    document: Value,
    error_path: String,
    error_contains: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/policy_corpus")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn compile(policies: &[PolicyRef]) -> Result<Vec<CompiledPolicy>, String> {
    policies
        .iter()
        .map(|p| match p {
            PolicyRef::Custom { id, document } => iam::validate(document)
                .map(|doc| CompiledPolicy::new(id.as_str(), &doc))
                .map_err(|e| format!("policy {id} does not validate: {e}")),
            PolicyRef::System { system } => iam::find_system_role(system)
                .map(|r| r.compiled().clone())
                .ok_or_else(|| format!("no system role {system}")),
        })
        .collect()
}

fn run_case(case: &Case) -> Result<(), String> {
    let policies = compile(&case.policies)?;
    let mut reversed = policies.clone();
    reversed.reverse();
    let set = PolicySet::new(policies);
    let reversed = PolicySet::new(reversed);
    let mut ctx = Context::new();
    for (key, values) in &case.request.context {
        match values {
            Values::One(v) => ctx.set(key, [v.as_str()]),
            Values::Many(vs) => ctx.set(key, vs.iter().map(String::as_str)),
        }
    }
    let resource = case.request.resource.as_deref();
    match (&case.request.action, &case.request.actions) {
        (Some(action), None) => {
            let req = Request {
                action,
                resource,
                context: &ctx,
            };
            let d = iam::decide(&set, &req);
            if d.effect != case.expect {
                return Err(format!(
                    "expected {:?}, got {:?} ({:?})",
                    case.expect, d.effect, d.reason
                ));
            }
            if let Some(reason) = case.reason {
                if d.reason != reason {
                    return Err(format!("expected reason {reason:?}, got {:?}", d.reason));
                }
            }
            if let Some(expected) = &case.matched {
                let got: Vec<(String, usize, Effect)> = d
                    .matched
                    .iter()
                    .map(|m| (m.policy_id.to_string(), m.statement, m.effect))
                    .collect();
                if &got != expected {
                    return Err(format!("expected matched {expected:?}, got {got:?}"));
                }
            }
            if iam::is_allowed(&set, &req) != d.is_allowed() {
                return Err("is_allowed disagrees with decide".into());
            }
            let r = iam::decide(&reversed, &req);
            if (r.effect, r.reason) != (d.effect, d.reason) {
                return Err("reversing the policies changed the decision".into());
            }
            if case.missing.is_some() {
                return Err("`missing` needs `actions`".into());
            }
        }
        (None, Some(actions)) => {
            let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
            let d = iam::decide_all(&set, &actions, resource, &ctx);
            let expected_allowed = case.expect == Effect::Allow;
            if d.allowed != expected_allowed {
                return Err(format!("expected {:?}, missing {:?}", case.expect, d.missing));
            }
            if let Some(missing) = &case.missing {
                if &d.missing != missing {
                    return Err(format!("expected missing {missing:?}, got {:?}", d.missing));
                }
            }
            if iam::is_allowed_all(&set, &actions, resource, &ctx) != d.allowed {
                return Err("is_allowed_all disagrees with decide_all".into());
            }
            if d.per_action.len() != actions.len() {
                return Err("per_action does not list every action".into());
            }
            if case.reason.is_some() || case.matched.is_some() {
                return Err("`reason` and `matched` need a single `action`".into());
            }
        }
        _ => return Err("request needs exactly one of `action` and `actions`".into()),
    }
    Ok(())
}

fn run_invalid(case: &InvalidCase) -> Result<(), String> {
    match iam::validate(&case.document) {
        Ok(_) => Err("validated, expected an error".into()),
        Err(e) if e.path != case.error_path => Err(format!("expected path {:?}, got {e:?}", case.error_path)),
        Err(e) if !e.message.contains(&case.error_contains) => Err(format!(
            "expected message containing {:?}, got {e:?}",
            case.error_contains
        )),
        Err(_) => Ok(()),
    }
}

#[test]
fn policy_corpus() {
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut names = std::collections::HashSet::new();
    for file in corpus_files() {
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&file).expect("read corpus file");
        let outcomes: Vec<(String, Result<(), String>)> = if file_name == "invalid.json" {
            let cases: Vec<InvalidCase> =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file_name}: not a case list: {e}"));
            cases.iter().map(|c| (c.name.clone(), run_invalid(c))).collect()
        } else {
            let cases: Vec<Case> =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file_name}: not a case list: {e}"));
            cases.iter().map(|c| (c.name.clone(), run_case(c))).collect()
        };
        for (name, outcome) in outcomes {
            ran += 1;
            if !names.insert(name.clone()) {
                failures.push(format!("{file_name}: {name}: duplicate case name"));
            }
            if let Err(why) = outcome {
                failures.push(format!("{file_name}: {name}: {why}"));
            }
        }
    }
    assert!(ran >= 200, "the corpus should have at least 200 cases, found {ran}");
    assert!(
        failures.is_empty(),
        "{} of {ran} corpus cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{ran} corpus cases passed");
}
