# Sourced: Node >= 22.12 on PATH, then dependencies installed from the lockfile when missing or stale.
source "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh"
cd "$_mandate_root" || exit 1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
