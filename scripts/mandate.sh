#!/usr/bin/env bash
# Runs the mandate CLI with a suitable Node (fetched from the npm registry if needed).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/install.sh"
exec node bin/mandate.ts "$@"
