import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '../../src/shared/password.ts';
import { insertUsage } from '../integration/account/usage-records.ts';
import { type CallbackServer, startCallbackServer } from '../support/callback-server.ts';
import { chromiumOrSkip, launchChromium } from '../support/chromium.ts';
import { authorize, discover, exchange, startAuthorization } from '../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../support/start-authorization-server.ts';
import { createUserAgent } from '../support/user-agent.ts';

const PASSWORD = 'correct horse battery';
const DAY = 86_400_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The hosted pages as a person sees them, written as PNGs. Into a temporary folder by
 * default (and checked there); `scripts/screenshots.sh` points MANDATE_SCREENSHOT_DIR at
 * docs/screenshots to refresh the pictures the docs show.
 */
describe('screenshots of the hosted pages in headless Chromium (sqlite)', function () {
  this.timeout(60_000);
  const outDir = process.env.MANDATE_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'mandate-shots-'));
  let browser: Browser | undefined;
  let as: RunningAs | undefined;
  let callbacks: CallbackServer | undefined;
  let context: BrowserContext | undefined;
  let operatorId = '';
  const written: string[] = [];

  before(async function () {
    const executablePath = chromiumOrSkip(this);
    mkdirSync(outDir, { recursive: true });
    browser = await launchChromium(executablePath);
    as = await startAuthorizationServer('sqlite');
    callbacks = await startCallbackServer();
    await as.addUser('alice', PASSWORD);
    operatorId = (await as.stores.accounts.create('olga', await hashPassword(PASSWORD), { operator: true }))
      .id;
    context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await callbacks?.close();
    await as?.close();
    if (!process.env.MANDATE_SCREENSHOT_DIR) rmSync(outDir, { recursive: true, force: true });
  });

  async function shoot(page: Page, name: string, heading: string | RegExp) {
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    const file = join(outDir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
    const png = readFileSync(file);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE), `${name}.png is a PNG`).to.equal(true);
    // Width and height from the IHDR chunk: the viewport's width, a real page's height.
    expect(png.readUInt32BE(16), `${name}.png width`).to.equal(1024);
    expect(png.readUInt32BE(20), `${name}.png height`).to.be.at.least(300);
    written.push(name);
  }

  it('sign-in, consent (plain and with limits), account home, app page, the raise page, keys page, the device page and the operator apps page', async () => {
    const server = as as RunningAs;
    const cb = callbacks as CallbackServer;
    const page = await (context as BrowserContext).newPage();

    const writer = await server.addClient({ name: 'Writer', redirectUris: [cb.redirectUri] });
    const plain = await startAuthorization(await discover(server, writer.clientId), server, {
      redirectUri: cb.redirectUri,
      scope: 'openai:gpt-4o-mini:chat anthropic:*:chat',
    });
    await page.goto(plain.url.toString());
    await shoot(page, 'sign-in', 'Sign in');
    await page.getByLabel('Username', { exact: true }).fill('alice');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password', { exact: true }).press('Enter');
    await shoot(page, 'consent', 'Writer wants to use your AI accounts');

    const agent = await server.addClient({ name: 'Research agent', redirectUris: [cb.redirectUri] });
    const limited = await startAuthorization(await discover(server, agent.clientId), server, {
      redirectUri: cb.redirectUri,
      scope: 'openai:gpt-4o-mini:chat',
      extraParams: {
        authorization_details: JSON.stringify([
          {
            type: 'ai_access',
            provider: 'openai',
            limits: { max_requests: 500, max_spend_usd: 5, period: 'month' },
          },
        ]),
      },
    });
    await page.goto(limited.url.toString());
    await shoot(page, 'consent-limits', 'Research agent wants to use your AI accounts');
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await cb.next(10_000, () => 'the callback after Allow');

    // A month of usage so the app page's charts and tables have something to show.
    const config = await discover(server, agent.clientId);
    const tokens = await exchange(
      await authorize(config, server, createUserAgent(), {
        redirectUri: cb.redirectUri,
        scope: 'openai:gpt-4o-mini:chat',
        extraParams: {
          authorization_details: JSON.stringify([
            { type: 'ai_access', provider: 'openai', limits: { max_requests: 500, period: 'month' } },
          ]),
        },
      }),
    );
    const grantId = String(decodeJwt(tokens.access_token).grant_id);
    const grant = await server.stores.grants.find(grantId);
    const now = Date.now();
    await insertUsage(
      server.database.db,
      { id: grantId, accountId: grant?.accountId ?? '', clientId: grant?.clientId ?? '' },
      Array.from({ length: 24 }, (_, i) => ({
        createdAt: now - ((i * 37) % 29) * DAY - i * 60_000,
        inputTokens: 800 + i * 90,
        outputTokens: 300 + i * 40,
        costMicroUsd: 900 + i * 120,
      })),
    );

    await page.goto(`${server.issuer}/account`);
    await shoot(page, 'account', 'Connected apps');
    await page.goto(`${server.issuer}/account/apps/${grantId}`);
    await shoot(page, 'app', /Research agent/);
    // The app reached its cap and asks the person for more, for the same grant.
    const raise = await startAuthorization(config, server, {
      redirectUri: cb.redirectUri,
      scope: 'openai:gpt-4o-mini:chat',
      extraParams: {
        grant_id: grantId,
        grant_management_action: 'update',
        authorization_details: JSON.stringify([
          { type: 'ai_access', provider: 'openai', limits: { max_requests: 1000 } },
        ]),
      },
    });
    await page.goto(raise.url.toString());
    await shoot(page, 'raise-limits', 'Research agent asks for higher limits');
    await page.goto(`${server.issuer}/account/keys`);
    await shoot(page, 'keys', /key/i);
    await page.goto(`${server.issuer}/device`);
    await shoot(page, 'device', 'Connect a device');

    // The operator's list of apps, as an operator (another browser session) sees it, with
    // one app disabled so both Disable and Enable show.
    await server.stores.disabledClients.disable(writer.clientId, operatorId);
    const operatorContext = await (browser as Browser).newContext({ viewport: { width: 1024, height: 768 } });
    try {
      const operatorPage = await operatorContext.newPage();
      await operatorPage.goto(`${server.issuer}/account`);
      await operatorPage.getByLabel('Username', { exact: true }).fill('olga');
      await operatorPage.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await operatorPage.getByLabel('Password', { exact: true }).press('Enter');
      await operatorPage.getByRole('heading', { level: 1, name: 'Connected apps' }).waitFor();
      await operatorPage.getByRole('link', { name: 'Operator', exact: true }).click();
      await shoot(operatorPage, 'operator-apps', 'Apps');
    } finally {
      await operatorContext.close();
    }

    expect(written).to.deep.equal([
      'sign-in',
      'consent',
      'consent-limits',
      'account',
      'app',
      'raise-limits',
      'keys',
      'device',
      'operator-apps',
    ]);
  });
});
