#!/usr/bin/env bash
# Times a newcomer's first hour on this machine: a fresh clone of this checkout, the
# README's `start` (which fetches Node 24 and installs dependencies) with OpenAI pointed
# at the demo's fake, `user add`, and `demo --fake-upstream`, with the person's sign-in
# and consent clicked by headless Chromium. Only the machine's own Node is put on PATH
# and npm's cache starts empty, as on a clean machine. Uses ports 3000, 4000 and 4100.
#
#   bash bench/first-answer.sh [CHROMIUM]      (default /usr/bin/chromium)
set -euo pipefail
source_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chromium="${1:-/usr/bin/chromium}"
work="$(mktemp -d)"
clone="$work/mandate"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export npm_config_cache="$work/npm-cache"
export PATH="/usr/local/bin:/usr/bin:/bin"
now() { date +%s.%N; }
wait_for() { # file pattern
  until grep -qE "$2" "$1" 2>/dev/null; do
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work"/*.log >&2; echo "first-answer: mandate start died" >&2; exit 1; fi
    sleep 0.1
  done
}

t0=$(now)
git clone -q "$source_repo" "$clone"
cd "$clone"
MANDATE_OPENAI_BASE_URL=http://127.0.0.1:4100 ./scripts/start.sh >"$work/start.log" 2>&1 &
server_pid=$!
wait_for "$work/start.log" 'Mandate proxy on'
t1=$(now)
printf 'correct horse battery\ncorrect horse battery\n' | ./scripts/mandate.sh user add alice >"$work/user.log" 2>&1
t2=$(now)
./scripts/mandate.sh demo --fake-upstream --user alice >"$work/demo.log" 2>&1 &
demo_pid=$!
wait_for "$work/demo.log" '^ {3}http://localhost:[0-9]+/auth\?'
t3=$(now)
url="$(grep -oE 'http://localhost:[0-9]+/auth\?\S+' "$work/demo.log" | head -1)"
PATH="$clone/.node/node_modules/.bin:$PATH" node --input-type=module -e '
  import { chromium } from "playwright-core";
  const [url, executablePath] = process.argv.slice(1);
  const browser = await chromium.launch({ executablePath });
  const page = await browser.newPage();
  await page.goto(url);
  await page.getByLabel("Username", { exact: true }).fill("alice");
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByLabel("Password", { exact: true }).press("Enter");
  await page.getByRole("button", { name: "Allow", exact: true }).click();
  await page.getByRole("heading", { name: "Back in the demo app" }).waitFor();
  await browser.close();' "$url" "$chromium"
wait "$demo_pid"
t4=$(now)
grep -q 'The fake model answered' "$work/demo.log" || { cat "$work/demo.log" >&2; exit 1; }
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" 'BEGIN {
  printf "clone, install and start until both servers listen  %6.1f s\n", b - a
  printf "user add                                            %6.1f s\n", c - b
  printf "demo registers and prints the address               %6.1f s\n", d - c
  printf "sign-in, consent (clicked) and the proxied answer   %6.1f s\n", e - d
  printf "total                                               %6.1f s\n", e - a
}'
