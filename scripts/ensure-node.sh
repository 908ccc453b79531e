# Sourced by the other scripts: puts a Node >= 22.12 first on PATH.
# When the machine's Node is older, Node 24 is fetched once from the npm registry
# into .node/ beside the checkout (no other download is needed).
_mandate_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_mandate_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}
if ! _mandate_node_ok; then
  if [ ! -x "$_mandate_root/.node/node_modules/.bin/node" ]; then
    echo "mandate: Node $(node --version 2>/dev/null || echo 'not found') is older than 22.12; fetching Node 24 from the npm registry into .node/" >&2
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$_mandate_root/.node" node@24 >&2
  fi
  export PATH="$_mandate_root/.node/node_modules/.bin:$PATH"
fi
if ! _mandate_node_ok; then
  echo "mandate: could not provide Node >= 22.12" >&2
  exit 1
fi
