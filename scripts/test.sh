#!/usr/bin/env bash
# Runs the whole test suite on SQLite and PostgreSQL, and the browser test when a
# Chromium is found. MANDATE_TEST_PG_URL: an admin URL of a running PostgreSQL (a fresh
# database is made per run); without it a throwaway PostgreSQL is started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/install.sh"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
npx mocha "$@" 2>&1 | tee "$log" || status=$?
# One plain closing line, whatever the reporter printed.
passed=$(sed -n 's/^ *\([0-9]\+\) passing.*/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/^ *\([0-9]\+\) failing.*/\1/p' "$log" | tail -n 1)
skipped=$(sed -n 's/^ *\([0-9]\+\) pending.*/\1/p' "$log" | tail -n 1)
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
