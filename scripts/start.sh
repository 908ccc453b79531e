#!/usr/bin/env bash
# Installs and starts Mandate on the embedded SQLite default: the authorization server
# on http://localhost:3000, data in ./data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/install.sh"
exec node bin/mandate.ts start "$@"
