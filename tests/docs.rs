//! The README shows the operation catalog exactly as the code has it.

#[test]
fn readme_catalog_table_matches_the_catalog() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let begin = "<!-- catalog:begin -->\n";
    let start = readme.find(begin).expect("catalog begin marker") + begin.len();
    let end = readme.find("<!-- catalog:end -->").expect("catalog end marker");
    assert_eq!(
        &readme[start..end],
        ecsd::catalog::markdown_table(),
        "README's catalog table is stale: replace it with the output of `ecsd catalog`"
    );
}
