import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { chromiumOrSkip, launchChromium } from '../support/chromium.ts';
import { freePort } from '../support/free-port.ts';
import { runCli } from '../support/run-cli.ts';
import { type CliProcess, spawnCli } from '../support/spawn-cli.ts';

const PASSWORD = 'correct horse battery';
const PROMPT = 'Is this the first hour?';
const AUTHORIZE_URL = /^ {3}(http:\/\/localhost:\d+\/auth\?\S+)$/m;

/**
 * `mandate demo --fake-upstream` end to end, as the README has a newcomer run it: the
 * real CLI's `mandate start` on random ports (only the ports set) with the openai
 * upstream pointed at the demo's fake, a person added with the CLI, the demo in its own
 * process, and the person's sign-in and consent done in Chromium.
 */
describe('mandate demo --fake-upstream, signed in and consented in headless Chromium (sqlite)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let server: CliProcess | undefined;
  let dir: string;
  let env: Record<string, string>;
  let fakePort: number;

  before(async function () {
    const executablePath = chromiumOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'mandate-demo-'));
    fakePort = await freePort();
    env = {
      MANDATE_DATA_DIR: dir,
      MANDATE_AS_PORT: String(await freePort()),
      MANDATE_PROXY_PORT: String(await freePort()),
      MANDATE_OPENAI_BASE_URL: `http://127.0.0.1:${fakePort}`,
      MANDATE_LOG_LEVEL: 'warn',
    };
    server = spawnCli(['start'], env);
    await server.waitFor(/Mandate proxy on/);
    const added = await runCli(['user', 'add', 'alice'], env, `${PASSWORD}\n`);
    expect(added.code, added.stderr).to.equal(0);
    browser = await launchChromium(executablePath);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the URL the demo printed and signs in as alice; resolves on the consent page. */
  async function signInFromDemo(demo: CliProcess): Promise<Page> {
    const url = (await demo.waitFor(AUTHORIZE_URL))[1] as string;
    const page = await (await (browser as Browser).newContext()).newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(url);
    await page.getByLabel('Username', { exact: true }).fill('alice');
    const password = page.getByLabel('Password', { exact: true });
    await password.fill(PASSWORD);
    await password.press('Enter');
    await page
      .getByRole('heading', { level: 1, name: 'Mandate demo wants to use your AI accounts' })
      .waitFor();
    return page;
  }

  const keysOfAlice = async () => (await runCli(['key', 'list', '--user', 'alice'], env)).stdout;

  it('registers itself, takes the person through sign-in and consent, and prints the fake model’s answer', async () => {
    const demo = spawnCli(
      ['demo', '--user', 'alice', '--fake-upstream', '--fake-port', String(fakePort), '--prompt', PROMPT],
      env,
    );
    try {
      const page = await signInFromDemo(demo);
      await page.getByRole('button', { name: 'Allow', exact: true }).click();
      await page.getByRole('heading', { name: 'Back in the demo app' }).waitFor();
      const answer = (await demo.waitFor(/5\. The fake model answered:\n\n {3}(.+)\n/))[1] as string;
      expect(answer).to.match(/^\[fake OpenAI\] Hello from the fake OpenAI!/);
      expect(answer).to.include(`You asked: "${PROMPT}"`);
      expect((await demo.exited).code).to.equal(0);
    } finally {
      await demo.stop();
    }
    const out = demo.stdout();
    // Each step printed plainly, in order; every line of the fake says it is the fake.
    const steps = [
      '1. Registered the app "Mandate demo"',
      '2. Open this address',
      '3. Back from Mandate',
      '4. Asking',
      '5. The fake model answered',
    ];
    const at = steps.map((s) => out.indexOf(s));
    expect(
      at.every((i) => i >= 0),
      out,
    ).to.equal(true);
    expect([...at].sort((a, b) => a - b)).to.deep.equal(at);
    const fakeLines = out
      .split('\n')
      .filter((line) => /fake OpenAI/.test(line) && !line.startsWith('[demo]'));
    expect(fakeLines.length).to.be.greaterThanOrEqual(2);
    for (const line of fakeLines) expect(line).to.match(/^( {3})?\[fake OpenAI\] /);
    expect(out).to.include(`[fake OpenAI] answered POST /v1/chat/completions (model gpt-4o-mini)`);
    // The placeholder key was said plainly, and is gone again; no token or key was printed.
    expect(out).to.match(/stored a placeholder key \(…(\w{4})\)/);
    expect(out).to.match(/removed the placeholder OpenAI key \(…\w{4}\) of alice again/);
    expect(await keysOfAlice()).to.include('no provider keys stored');
    expect(out).to.not.match(/eyJ[\w-]{10,}|sk-mandate-demo-placeholder-\w+/);
    // Registered through the same path as `mandate client add`: it is in the list.
    const clients = await runCli(['client', 'list'], env);
    expect(clients.stdout).to.match(
      /app_\S+ +Mandate demo +public +http:\/\/127\.0\.0\.1:\d+\/callback +openai:gpt-4o-mini:chat/,
    );
  });

  it('with --fake-upstream it must be told who signs in, and refuses an unknown person, before anything is registered', async () => {
    const before = (await runCli(['client', 'list'], env)).stdout;
    const nobody = await runCli(['demo', '--fake-upstream', '--fake-port', String(fakePort)], env);
    expect(nobody.code).to.equal(1);
    expect(nobody.stderr).to.include('with --fake-upstream, name the person who will sign in: --user NAME');
    const unknown = await runCli(
      ['demo', '--user', 'mallory', '--fake-upstream', '--fake-port', String(fakePort)],
      env,
    );
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.include(
      'no person named mallory; add them with ./scripts/mandate.sh user add mallory',
    );
    expect((await runCli(['client', 'list'], env)).stdout).to.equal(before);
  });

  it('a Deny in the browser stops the demo with access_denied, non-zero, nothing stored', async () => {
    const demo = spawnCli(
      ['demo', '--user', 'alice', '--fake-upstream', '--fake-port', String(fakePort)],
      env,
    );
    try {
      const page = await signInFromDemo(demo);
      await page.getByRole('button', { name: 'Deny', exact: true }).click();
      await page.getByRole('heading', { name: 'Back in the demo app' }).waitFor();
      expect((await demo.exited).code).to.equal(1);
    } finally {
      await demo.stop();
    }
    expect(demo.stderr()).to.match(/\[demo\] stopped: Mandate answered access_denied: you pressed Deny/);
    expect(demo.stdout()).to.not.include('4. Asking');
    expect(await keysOfAlice()).to.include('no provider keys stored');
  });

  it('interrupted while it waits for the browser, it removes the placeholder key before it exits', async () => {
    const demo = spawnCli(
      ['demo', '--user', 'alice', '--fake-upstream', '--fake-port', String(fakePort)],
      env,
    );
    await demo.waitFor(/waiting for the browser/);
    expect(await keysOfAlice()).to.match(/openai +…\w{4}/);
    demo.child.kill('SIGINT');
    expect((await demo.exited).code).to.equal(1);
    expect(demo.stdout()).to.match(/removed the placeholder OpenAI key \(…\w{4}\) of alice again/);
    expect(demo.stderr()).to.include('[demo] stopped: interrupted');
    expect(await keysOfAlice()).to.include('no provider keys stored');
  });

  it('when Mandate does not forward to the fake, it says which setting to change, and removes the placeholder', async () => {
    // The fake on another port than the one Mandate forwards to: nothing answers the proxy.
    const elsewhere = await freePort();
    const demo = spawnCli(
      ['demo', '--user', 'alice', '--fake-upstream', '--fake-port', String(elsewhere)],
      env,
    );
    try {
      const page = await signInFromDemo(demo);
      await page.getByRole('button', { name: 'Allow', exact: true }).click();
      expect((await demo.exited).code).to.equal(1);
    } finally {
      await demo.stop();
    }
    expect(demo.stderr()).to.include(
      `the proxy did not reach the fake OpenAI: start Mandate with MANDATE_OPENAI_BASE_URL=http://127.0.0.1:${elsewhere}`,
    );
    expect(demo.stdout()).to.match(/removed the placeholder OpenAI key \(…\w{4}\) of alice again/);
    expect(await keysOfAlice()).to.include('no provider keys stored');
  });
});
