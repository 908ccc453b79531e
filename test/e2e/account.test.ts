import { expect } from 'chai';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { insertUsage } from '../integration/account/usage-records.ts';
import { chromiumOrSkip, launchChromium } from '../support/chromium.ts';
import type { Engine } from '../support/databases.ts';
import { authorize, discover, exchange } from '../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../support/start-authorization-server.ts';
import { createUserAgent } from '../support/user-agent.ts';

const ENGINE: Engine = 'sqlite';
const PASSWORD = 'correct horse battery';
const SCREENSHOT = '/tmp/mandate-account-app.png';
/** The server's clock: noon on the 15th of last month (UTC), so every record below is in its month. */
const today = new Date();
const NOW = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 15, 12);

const focusedText = `document.activeElement ? (document.activeElement.getAttribute('name') || document.activeElement.textContent.trim()) : ''`;

/** Presses Tab until `target` has focus (at most `max` times); returns the stops for a failure message. */
async function tabTo(page: Page, target: ReturnType<Page['locator']>, max = 60): Promise<string[]> {
  const stops: string[] = [];
  const focused = () => target.evaluate((el) => el === el.ownerDocument.activeElement);
  for (let i = 0; i < max && !(await focused()); i++) {
    await page.keyboard.press('Tab');
    stops.push(String(await page.evaluate(focusedText)));
  }
  expect(await focused(), `Tab stops: ${stops.join(' | ')}`).to.equal(true);
  return stops;
}

describe(`the person's view of an app in headless Chromium (${ENGINE})`, () => {
  let browser: Browser | undefined;
  let as: RunningAs | undefined;

  before(async function () {
    const executablePath = chromiumOrSkip(this);
    browser = await launchChromium(executablePath);
    as = await startAuthorizationServer(ENGINE, {}, () => NOW);
  });
  after(async () => {
    await browser?.close();
    await as?.close();
  });

  it('opens a connected app by keyboard, reads its figures, and lowers a limit by keyboard', async () => {
    const server = as as RunningAs;
    const accountId = await server.addUser('alice', PASSWORD);
    const app = await server.addClient({ name: 'Ledger' });
    const config = await discover(server, app.clientId);
    const asked = [
      {
        type: 'ai_access',
        provider: 'openai',
        limits: { max_requests: 500, max_spend_usd: 5, period: 'month' },
      },
    ];
    const tokens = await exchange(
      await authorize(config, server, createUserAgent(), {
        redirectUri: app.redirectUri,
        scope: 'openai:gpt-4o-mini:chat',
        extraParams: { authorization_details: JSON.stringify(asked) },
      }),
    );
    const grantId = decodeJwt(tokens.access_token).grant_id as string;
    await insertUsage(server.database.db, { id: grantId, accountId, clientId: app.clientId }, [
      { createdAt: NOW - 3 * 24 * 3600_000, inputTokens: 2000, outputTokens: 500, costMicroUsd: 25_000 },
      { createdAt: NOW - 60_000, inputTokens: 400, outputTokens: 100, costMicroUsd: 5_000 },
      { createdAt: NOW, inputTokens: 40, outputTokens: 10, costMicroUsd: 500 },
    ]);

    const context = await (browser as Browser).newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' && new URL(msg.location().url || 'about:blank').pathname !== '/favicon.ico')
        errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(String(err)));
    try {
      await page.goto(`${server.issuer}/account`);
      await page.getByLabel('Username', { exact: true }).fill('alice');
      const password = page.getByLabel('Password', { exact: true });
      await password.fill(PASSWORD);
      await password.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Connected apps' }).waitFor();

      // The home page says how much of each cap is used, for the grant as a whole and for
      // OpenAI (its own cap of 500 is the whole grant's too); the app's name opens its page.
      const card = page.getByRole('article', { name: 'Ledger', exact: true });
      expect(await card.getByText('3 of 500 (<1%)').count()).to.equal(2);
      const openaiPart = card.getByRole('region', { name: 'OpenAI requests of Ledger', exact: true });
      expect(await openaiPart.getByText('3 of 500 (<1%)').count()).to.equal(1);
      await tabTo(page, card.getByRole('link', { name: 'Ledger', exact: true }));
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Ledger' }).waitFor();
      expect(new URL(page.url()).pathname).to.equal(`/account/apps/${grantId}`);

      // Usage against each cap, three charts named for screen readers, the table behind a disclosure.
      expect(await page.getByText('$0.03 of $5.00 (<1%)').count()).to.equal(2);
      expect(
        await page
          .getByRole('region', { name: 'OpenAI requests', exact: true })
          .getByText('$0.03 of $5.00 (<1%)')
          .count(),
      ).to.equal(1);
      for (const name of [
        'Requests per day, last 30 days',
        'Tokens per day, last 30 days',
        'Spending per day, last 30 days',
      ])
        expect(await page.getByRole('img', { name, exact: true }).isVisible(), name).to.equal(true);
      const bars = await page
        .locator('svg#chart-requests rect')
        .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))));
      expect(bars).to.have.length(30);
      expect(bars.at(-1)).to.be.greaterThan(bars.at(-4) as number);
      expect(await page.getByRole('meter').count()).to.equal(4);
      const table = page.getByRole('table', {
        name: 'Requests, tokens and spending per day (UTC), oldest first',
      });
      expect(await table.isVisible()).to.equal(false);
      await tabTo(page, page.getByText('The last 30 days as a table', { exact: true }));
      await page.keyboard.press('Enter');
      expect(await table.isVisible()).to.equal(true);
      expect(await page.getByRole('listitem').filter({ hasText: 'Approved' }).count()).to.equal(1);

      // Keyboard only: Tab to the whole grant's "Most requests", type a lower number, Enter submits.
      const whole = () => page.getByRole('group', { name: 'New limits for all providers together' });
      expect(
        await page
          .getByRole('group', { name: 'OpenAI requests only' })
          .getByLabel('Most requests', { exact: true })
          .inputValue(),
      ).to.equal('500');
      const requests = whole().getByLabel('Most requests', { exact: true });
      expect(await requests.inputValue()).to.equal('500');
      await tabTo(page, requests);
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type('150');
      await page.keyboard.press('Enter');
      await page
        .getByText(/^New limits saved: at most 150 requests, \$5\.00 each calendar month\./)
        .waitFor();
      expect(await whole().getByLabel('Most requests', { exact: true }).inputValue()).to.equal('150');
      expect(await page.getByText('3 of 150 (2%)').count()).to.equal(1);
      expect(
        await page.getByRole('listitem').filter({ hasText: 'most requests 500 → 150' }).count(),
      ).to.equal(1);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // The browser itself will not submit a raise: the field's maximum is the current limit.
      const field = whole().getByLabel('Most requests', { exact: true });
      await field.fill('151');
      expect(
        await field.evaluate((el) => (el as unknown as { validity: { valid: boolean } }).validity.valid),
      ).to.equal(false);
      expect((await server.stores.grants.find(grantId))?.limits.maxRequests).to.equal(150);
      expect(errors.filter((e) => /content security policy/i.test(e))).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
