#!/usr/bin/env bash
# Every test of ecsd, in the order that fails fastest:
# formatting, lints, Rust unit and integration tests, then the real clients
# (Huawei Python SDK, openstacksdk, openstack CLI) against a running ecsd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
cargo build --bin ecsd
ECSD_BIN="$PWD/target/debug/ecsd" scripts/client-tests.sh "$@"
