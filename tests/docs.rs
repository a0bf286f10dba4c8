//! The README shows the operation catalog exactly as the code has it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

fn between(text: &str, name: &str) -> String {
    let begin = format!("<!-- {name}:begin -->\n");
    let start = text.find(&begin).unwrap_or_else(|| panic!("{name} begin marker")) + begin.len();
    let end = text
        .find(&format!("<!-- {name}:end -->"))
        .unwrap_or_else(|| panic!("{name} end marker"));
    text[start..end].to_string()
}

#[test]
fn readme_catalog_tables_match_the_catalog() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    assert_eq!(
        between(&readme, "catalog"),
        ecsd::catalog::markdown_table(),
        "README's compute table is stale: replace it with the first table `ecsd catalog` prints"
    );
    assert_eq!(
        between(&readme, "network"),
        ecsd::catalog::network_table(),
        "README's network table is stale: replace it with the second table `ecsd catalog` prints"
    );
    assert_eq!(
        between(&readme, "identity"),
        ecsd::catalog::identity_table(),
        "README's identity table is stale: replace it with the third table `ecsd catalog` prints"
    );
}
