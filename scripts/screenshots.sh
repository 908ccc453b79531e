#!/usr/bin/env bash
# Refreshes the pictures of the hosted pages in docs/screenshots/ (shown in docs/pages.md):
# runs the screenshot browser test with its output pointed there. Needs a Chromium
# (Debian's `apt-get install chromium`, or MANDATE_CHROMIUM=/path/to/chromium).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/install.sh"
MANDATE_SCREENSHOT_DIR="$PWD/docs/screenshots" MANDATE_REQUIRE_BROWSER=1 \
  npx mocha --no-config --extension ts --require test/support/global-setup.ts --timeout 60000 \
  test/e2e/screenshots.test.ts
