//! Every operation with its routes, body selector, access, IAM actions,
//! self-service exception and job type, as a checked-in golden file reviewed
//! as text. Regenerate with `UPDATE_GOLDEN=1 cargo test --test permissions`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

#[test]
fn permission_table_matches_golden_file() {
    common::assert_golden("permissions.txt", &ecsd::catalog::permissions_table());
}
