#!/usr/bin/env bash
# End-to-end tests with the real clients (Huawei Python SDK, openstacksdk, openstack CLI).
#
#   scripts/client-tests.sh [pytest args...]
#
# Creates (or reuses) a Python venv at target/venv-clients with the pinned versions of
# tests/clients/requirements.txt (reinstalled only when that file changes), builds the
# ecsd binary unless ECSD_BIN names one, and runs pytest on tests/clients.
# Environment: ECSD_BIN, PYTHON (default python3), ECSD_SIM_STEP_MS, ECSD_TEST_TIMEOUT.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

python="${PYTHON:-python3}"
venv="$repo/target/venv-clients"
req="$repo/tests/clients/requirements.txt"
stamp="$venv/.requirements.sha256"

mkdir -p "$repo/target"
if [[ ! -x "$venv/bin/python" ]]; then
    echo "client-tests: creating venv $venv" >&2
    "$python" -m venv "$venv"
fi

want="$( (cat "$req"; "$venv/bin/python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [[ "$want" != "$have" ]]; then
    echo "client-tests: installing $req" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
fi

if [[ -z "${ECSD_BIN:-}" ]]; then
    cargo build --quiet --bin ecsd
    export ECSD_BIN="$repo/target/debug/ecsd"
fi
if [[ ! -x "$ECSD_BIN" ]]; then
    echo "client-tests: ECSD_BIN=$ECSD_BIN is not an executable" >&2
    exit 2
fi

# The tests must see only the configuration they create themselves.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -E '^OS_' || true)

export PATH="$venv/bin:$PATH"
export PYTHONDONTWRITEBYTECODE=1
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/clients "$@"
