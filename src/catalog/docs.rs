//! The catalog as text: the README's tables (`ecsd catalog`) and the
//! reviewed permission table (`tests/golden/permissions.txt`).

use super::{Access, LockRule, OpId, Operation, CATALOG};

/// The compute rows (servers, flavors, jobs, images): the ones with a
/// Huawei ECS, Nova or image route.
fn is_compute(o: &Operation) -> bool {
    o.id <= OpId::GlanceMemberDelete
}

/// The network and block storage rows: Huawei VPC, Neutron, Cinder and EVS.
fn is_network(o: &Operation) -> bool {
    (OpId::VpcCreate..=OpId::EvsQuotas).contains(&o.id)
}

fn routes_text(o: &Operation, sep: &str) -> String {
    let mut routes: Vec<String> = Vec::new();
    for r in o.routes {
        let text = format!("`{} {}`", r.method, r.path);
        if !routes.contains(&text) {
            routes.push(text);
        }
    }
    routes.join(sep)
}

fn access_text(o: &Operation) -> String {
    let base = match o.access {
        Access::Public => "none (public)".to_string(),
        Access::Member => "(any caller of the project)".to_string(),
        Access::Administrator => "account administrator".to_string(),
        Access::Actions => o
            .actions
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    match o.self_service {
        Some(when) => format!("{base} (none when {when})"),
        None => base,
    }
}

/// The compute rows as a Markdown table: what the README shows (a test
/// keeps the two equal) and what `ecsd catalog` prints first.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| operation | seed row | routes | IAM actions (all required) | admitted in (vm_state) | task while running |\n\
         |---|---|---|---|---|---|\n",
    );
    for o in CATALOG.iter().filter(|o| is_compute(o)) {
        let states = match o.states {
            Some(rule) => {
                let vm: Vec<&str> = rule.vm_states.iter().map(|v| v.as_str()).collect();
                let lock = if o.lock == LockRule::Checked {
                    "; not locked"
                } else {
                    ""
                };
                format!("{}{lock}", vm.join(", "))
            }
            None => "any".to_string(),
        };
        out.push_str(&format!(
            "| `{}` {} | {} | {} | {} | {} | {} |\n",
            o.name(),
            o.summary,
            o.seed_row.map(|r| r.to_string()).unwrap_or_default(),
            routes_text(o, "<br>"),
            access_text(o),
            states,
            o.claim_task.map(|t| t.as_str()).unwrap_or("-"),
        ));
    }
    out
}

/// The identity, token, version and operator rows as a Markdown table.
pub fn identity_table() -> String {
    rows_table(|o| !is_compute(o) && !is_network(o))
}

/// The network and block storage rows (Huawei VPC, Neutron, Cinder): the second table `ecsd
/// catalog` prints.
pub fn network_table() -> String {
    rows_table(is_network)
}

fn rows_table(pick: impl Fn(&Operation) -> bool) -> String {
    let mut out = String::from("| operation | routes | IAM actions |\n|---|---|---|\n");
    for o in CATALOG.iter().filter(|o| pick(o)) {
        out.push_str(&format!(
            "| `{}` {} | {} | {} |\n",
            o.name(),
            o.summary,
            routes_text(o, "<br>"),
            access_text(o)
        ));
    }
    out
}

/// Every operation with its routes and selector, who may call it, every
/// IAM action it needs and its job type: reviewed as text in
/// `tests/golden/permissions.txt`.
pub fn permissions_table() -> String {
    let mut out = String::from("# operation | access | actions (all required) | self-service | job type\n#   routes\n");
    for o in CATALOG.iter() {
        let access = match o.access {
            Access::Public => "public",
            Access::Member => "member",
            Access::Actions => "actions",
            Access::Administrator => "administrator",
        };
        let job = match (o.job_type, o.sub_job_type) {
            (Some(j), Some(s)) => format!("{j} (sub-jobs {s})"),
            (Some(j), None) => j.to_string(),
            _ => "-".to_string(),
        };
        out.push_str(&format!(
            "{} | {access} | {} | {} | {job}\n",
            o.name(),
            if o.actions.is_empty() {
                "-".to_string()
            } else {
                o.actions.join(", ")
            },
            o.self_service.unwrap_or("-"),
        ));
        for r in o.routes {
            let selector = match r.selector {
                Some(s) => {
                    let key = s.key.unwrap_or("");
                    match s.field {
                        Some((field, value)) => format!("  body {key}.{field}={value}"),
                        None => format!("  body {key}"),
                    }
                }
                None => String::new(),
            };
            out.push_str(&format!("    {} {}{selector}\n", r.method, r.path));
        }
    }
    out
}
