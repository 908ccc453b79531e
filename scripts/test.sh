#!/usr/bin/env bash
# Runs the whole test suite on SQLite and PostgreSQL, and the browser test when a
# Chromium is found. MANDATE_TEST_PG_URL: an admin URL of a running PostgreSQL (a fresh
# database is made per run); without it a throwaway PostgreSQL is started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/install.sh"
exec npx mocha "$@"
