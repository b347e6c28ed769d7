#!/usr/bin/env bash
# The one test command, for developers and CI alike:  ./scripts/test.sh [pytest args...]
#
# From a clean clone it creates .venv (the bot and its test tools) and
# .cache/synapse-venv (Synapse for the real-homeserver tests, kept apart from the bot's
# packages), then runs ruff, mypy and pytest. Both venvs are reused once built; .venv is
# reinstalled only when pyproject.toml changes. jsclients/node_modules (Node, npm) is installed the same way. FOCI_TEST_SYNAPSE_PYTHON may point at
# another python that has matrix-synapse installed.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
mkdir -p .cache
if [ ! -x "$venv/bin/python" ]; then
    base_python=$(command -v python3.11 || command -v python3)
    echo "test.sh: creating $venv with $base_python"
    "$base_python" -m venv "$venv"
fi

stamp="$venv/.foci-install-stamp"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "test.sh: installing foci-bot with its test extra into $venv"
    if ! "$venv/bin/python" -m pip install -q -e '.[test]' >.cache/pip-install.log 2>&1; then
        tail -n 40 .cache/pip-install.log >&2
        echo "test.sh: pip install failed (full log: .cache/pip-install.log)" >&2
        exit 1
    fi
    echo "$want" >"$stamp"
fi

# The real clients' code for the differential tests (tests/clients): pinned by jsclients/package-lock.json,
# installed from the npm registry with `npm ci`, again only when the lockfile changes.
npm_stamp=jsclients/node_modules/.foci-lock-stamp
npm_want="$(sha256sum jsclients/package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$npm_stamp" 2>/dev/null || true)" != "$npm_want" ]; then
    echo "test.sh: npm ci in jsclients (matrix-js-sdk, element-call-embedded)"
    if ! (cd jsclients && npm ci --no-audit --no-fund --loglevel=error) >.cache/npm-ci.log 2>&1; then
        tail -n 40 .cache/npm-ci.log >&2
        echo "test.sh: npm ci failed (full log: .cache/npm-ci.log)" >&2
        exit 1
    fi
    echo "$npm_want" >"$npm_stamp"
fi

# Builds .cache/synapse-venv on first use (or checks $FOCI_TEST_SYNAPSE_PYTHON).
FOCI_TEST_SYNAPSE_PYTHON="$("$venv/bin/python" -m tests.support.synapse_harness --build)"
export FOCI_TEST_SYNAPSE_PYTHON

echo "test.sh: ruff check, ruff format --check"
"$venv/bin/ruff" check --quiet .
"$venv/bin/ruff" format --check --quiet .
echo "test.sh: mypy --strict foci_bot tests benchmarks"
"$venv/bin/mypy" --strict foci_bot tests benchmarks
echo "test.sh: pytest"
"$venv/bin/python" -m pytest -q "$@"
