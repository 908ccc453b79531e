import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/**
 * Browser tests drive a locally installed Chromium (Debian's `apt-get install chromium`)
 * with playwright-core; `npx playwright install` is never needed. playwright-core gives
 * every plain `launch()` a fresh temporary --user-data-dir of its own and removes it on
 * close (passing --user-data-dir in `args` is refused), so no profile is shared.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium to use: MANDATE_CHROMIUM, else /usr/bin/chromium, else `chromium` on PATH. */
export function findChromium(): string | undefined {
  const configured = process.env.MANDATE_CHROMIUM;
  // An explicit choice is the only candidate: a wrong path must not silently pick another browser.
  if (configured) return isExecutableFile(configured) ? configured : undefined;
  if (isExecutableFile('/usr/bin/chromium')) return '/usr/bin/chromium';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'chromium');
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Headless Chromium; the caller closes it. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 });
}

/**
 * For a suite's `before` (a `function`, not an arrow, so `this` is mocha's context):
 * returns the Chromium path, or skips the suite with one plain line when there is none.
 * With MANDATE_REQUIRE_BROWSER=1 a missing browser fails the suite instead.
 */
export function chromiumOrSkip(ctx: Mocha.Context): string {
  const found = findChromium();
  if (found) return found;
  const configured = process.env.MANDATE_CHROMIUM;
  const why = configured
    ? `MANDATE_CHROMIUM=${configured} is not an executable file`
    : 'no Chromium found (set MANDATE_CHROMIUM or install chromium)';
  if (process.env.MANDATE_REQUIRE_BROWSER === '1') {
    throw new Error(`browser test: ${why}, and MANDATE_REQUIRE_BROWSER=1 requires one`);
  }
  console.log(`  browser test: ${why}; skipping`);
  ctx.skip();
}
