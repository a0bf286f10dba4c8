use std::collections::{BTreeMap, HashSet};

use super::*;

#[test]
fn every_op_has_exactly_one_row_and_a_route() {
    let mut seen = HashSet::new();
    for row in CATALOG.iter() {
        assert!(seen.insert(row.id), "duplicate row {:?}", row.id);
        assert!(!row.routes.is_empty(), "row {:?} has no route", row.id);
        assert_eq!(op(row.id).id, row.id);
        assert_eq!(by_name(row.name()).map(|o| o.id), Some(row.id));
    }
    assert_eq!(seen.len(), OpId::ALL.len());
    assert!(by_name("no.such.operation").is_none());
}

#[test]
fn access_agrees_with_actions() {
    for o in CATALOG.iter() {
        match o.access {
            Access::Actions => assert!(!o.actions.is_empty(), "{} checks no action", o.name()),
            _ => assert!(o.actions.is_empty(), "{} lists actions it does not check", o.name()),
        }
        for a in o.actions {
            let parts: Vec<&str> = a.split(':').collect();
            assert_eq!(parts.len(), 3, "{a}");
            assert!(parts.iter().all(|p| !p.is_empty() && !p.contains('*')), "{a}");
        }
    }
}

#[test]
fn a_shared_route_is_told_apart_by_its_selectors() {
    let mut by_route: BTreeMap<(&str, &str), Vec<&Operation>> = BTreeMap::new();
    for o in CATALOG.iter() {
        for r in o.routes {
            by_route.entry((r.method, r.path)).or_default().push(o);
        }
    }
    for ((method, path), rows) in by_route {
        let mut selectors = HashSet::new();
        for o in &rows {
            let r = o.routes.iter().find(|r| r.method == method && r.path == path).unwrap();
            if rows.len() > 1 {
                let s = r
                    .selector
                    .unwrap_or_else(|| panic!("{method} {path}: {} has no selector", o.name()));
                assert!(
                    selectors.insert((s.key, s.field)),
                    "{method} {path}: two rows select alike"
                );
            }
        }
        let endpoints: HashSet<_> = rows
            .iter()
            .flat_map(|o| {
                o.routes
                    .iter()
                    .filter(|r| r.method == method && r.path == path)
                    .map(|r| r.endpoint)
            })
            .collect();
        assert_eq!(endpoints.len(), 1, "{method} {path} reaches more than one handler");
    }
}

#[test]
fn selectors_pick_their_rows() {
    use serde_json::json;
    let pick = |endpoint, key, value| select(endpoint, Some(key), &value).map(|o| o.id);
    assert_eq!(
        pick(Endpoint::NovaServerAction, "os-stop", json!(null)),
        Some(OpId::NovaStop)
    );
    assert_eq!(
        pick(Endpoint::NovaServerAction, "reboot", json!({"type": "hard"})),
        Some(OpId::NovaRebootHard)
    );
    assert_eq!(
        pick(Endpoint::NovaServerAction, "reboot", json!({"type": "SOFT"})),
        Some(OpId::NovaRebootSoft)
    );
    assert_eq!(pick(Endpoint::NovaServerAction, "reboot", json!({})), None);
    assert_eq!(pick(Endpoint::NovaServerAction, "os-migrate", json!({})), None);
    assert_eq!(
        pick(Endpoint::HwChangeOs, "os-change", json!({"mode": "withStopServer"})),
        Some(OpId::HwChangeOsWithStop)
    );
    assert_eq!(
        pick(Endpoint::HwChangeOs, "os-change", json!({})),
        Some(OpId::HwChangeOs)
    );
    assert_eq!(
        pick(Endpoint::HwBatchAction, "reboot", json!({"type": "HARD"})),
        Some(OpId::HwBatchRebootHard)
    );
}

#[test]
fn seed_rows_carry_exactly_the_seed_actions() {
    let seed: BTreeMap<u8, Vec<&str>> = [
        (1, vec!["ecs:cloudServers:changeOS"]),
        (2, vec!["ecs:cloudServers:rebuild"]),
        (3, vec!["ecs:cloudServers:resize"]),
        (4, vec!["ecs:cloudServers:migrate"]),
        (5, vec!["ecs:servers:stop", "ecs:servers:get"]),
        (6, vec!["ecs:servers:reboot", "ecs:servers:get"]),
        (7, nova::NATIVE_RESIZE_ACTIONS.to_vec()),
        (8, nova::NATIVE_REBUILD_ACTIONS.to_vec()),
        (9, vec!["ecs:servers:lock", "ecs:servers:get"]),
        (10, vec!["ecs:servers:unlock", "ecs:servers:get"]),
    ]
    .into_iter()
    .collect();
    for (row, actions) in &seed {
        let rows: Vec<_> = CATALOG.iter().filter(|o| o.seed_row == Some(*row)).collect();
        assert!(!rows.is_empty(), "seed row {row} has no operation");
        for o in rows {
            assert_eq!(&o.actions.to_vec(), actions, "seed row {row}: {}", o.name());
        }
    }
    // The seed's native rows exist under /v2 and /v2.1.
    for row in 5..=10u8 {
        let o = CATALOG.iter().find(|o| o.seed_row == Some(row)).unwrap();
        assert!(o.routes.iter().any(|r| r.path.starts_with("/v2/")));
        assert!(o.routes.iter().any(|r| r.path.starts_with("/v2.1/")));
    }
}
