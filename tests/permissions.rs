//! Every operation with its routes, body selector, access, IAM actions,
//! self-service exception and job type, as a checked-in golden file reviewed
//! as text. Regenerate with `UPDATE_GOLDEN=1 cargo test --test permissions`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

#[test]
fn permission_table_matches_golden_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/permissions.txt");
    let actual = ecsd::catalog::permissions_table();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(path).expect("golden file exists; run with UPDATE_GOLDEN=1 to create it");
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .filter(|(e, a)| e != a)
            .take(10)
            .map(|(e, a)| format!("- {e}\n+ {a}"))
            .collect();
        panic!(
            "permission table changed (UPDATE_GOLDEN=1 to accept):\n{}\n({} lines expected, {} now)",
            diff.join("\n"),
            expected.lines().count(),
            actual.lines().count()
        );
    }
}
