import { expect } from 'chai';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { insertUsage } from '../integration/account/usage-records.ts';
import { chromiumOrSkip, launchChromium } from '../support/chromium.ts';
import type { Engine } from '../support/databases.ts';
import { authorize, discover, exchange } from '../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../support/start-authorization-server.ts';
import { createUserAgent } from '../support/user-agent.ts';

const ENGINE: Engine = 'sqlite';
const PASSWORD = 'correct horse battery';

/** How the hosted pages lay out in a real browser: what is hidden, where errors and focus land. */
describe(`the hosted pages' layout in headless Chromium (${ENGINE})`, () => {
  let browser: Browser | undefined;
  let as: RunningAs | undefined;
  let context: BrowserContext | undefined;

  before(async function () {
    const executablePath = chromiumOrSkip(this);
    browser = await launchChromium(executablePath);
    as = await startAuthorizationServer(ENGINE);
  });
  after(async () => {
    await browser?.close();
    await as?.close();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  async function signIn(username: string): Promise<Page> {
    const server = as as RunningAs;
    await server.addUser(username, PASSWORD);
    context = await (browser as Browser).newContext();
    const page = await context.newPage();
    await page.goto(`${server.issuer}/account`);
    await page.getByLabel('Username', { exact: true }).fill(username);
    const password = page.getByLabel('Password', { exact: true });
    await password.fill(PASSWORD);
    await password.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Connected apps' }).waitFor();
    return page;
  }

  /** A live grant of `username` to an app named `name`, with a monthly cap of 500 requests. */
  async function grantFor(username: string, name: string): Promise<string> {
    const server = as as RunningAs;
    const app = await server.addClient({ name });
    const config = await discover(server, app.clientId);
    const tokens = await exchange(
      await authorize(config, server, createUserAgent(), {
        username,
        password: PASSWORD,
        redirectUri: app.redirectUri,
        scope: 'openai:gpt-4o-mini:chat',
        extraParams: {
          authorization_details: JSON.stringify([
            { type: 'ai_access', provider: 'openai', limits: { max_requests: 500, period: 'month' } },
          ]),
        },
      }),
    );
    return decodeJwt(tokens.access_token).grant_id as string;
  }

  it('a refused "Lower limits": the error summary is at the top with focus on it, linking to the field; a success redirects', async () => {
    const page = await signIn('summary');
    const grantId = await grantFor('summary', 'Summary app');
    const url = `${(as as RunningAs).issuer}/account/apps/${grantId}`;
    await page.goto(url);
    const whole = page.getByRole('group', { name: 'New limits for all providers together' });
    const requests = whole.getByLabel('Most requests', { exact: true });
    // The browser would refuse a raise itself (max); let it through so the server answers.
    await page.locator('form#lower-limits').evaluate((f) => f.setAttribute('novalidate', ''));
    await requests.fill('1001');
    const [response] = await Promise.all([page.waitForNavigation(), requests.press('Enter')]);
    expect(response?.status()).to.equal(400);
    const summary = page.locator('.error-summary');
    expect(await summary.evaluate((el) => el === el.ownerDocument.activeElement)).to.equal(true);
    const box = await summary.boundingBox();
    const viewport = page.viewportSize();
    expect(box && viewport && box.y + box.height).to.be.below(viewport?.height ?? 0);
    expect(await summary.getByRole('heading', { name: 'There is a problem' }).count()).to.equal(1);
    const link = summary.getByRole('link', { name: /can only be lowered/ });
    await link.click();
    expect(await requests.evaluate((el) => el === el.ownerDocument.activeElement)).to.equal(true);

    // A success is a 303 to the page: reloading shows it again and posts nothing.
    await requests.fill('400');
    const [saved] = await Promise.all([page.waitForNavigation(), requests.press('Enter')]);
    expect(saved?.request().method()).to.equal('GET');
    expect(page.url()).to.equal(`${url}?saved=changed`);
    await page.getByText(/^New limits saved: at most 400 requests/).waitFor();
    const events = async () => (await (as as RunningAs).stores.grantEvents.forGrant(grantId)).length;
    const before = await events();
    const reloaded = await page.reload();
    expect(reloaded?.request().method()).to.equal('GET');
    expect(await events()).to.equal(before);
  });

  it('on a phone-wide screen the tables scroll: model ids are never broken and dates never wrap', async () => {
    const page = await signIn('narrow');
    const grantId = await grantFor('narrow', 'Narrow app');
    const server = as as RunningAs;
    const grant = await server.stores.grants.find(grantId);
    const model = 'gpt-4o-mini-2024-07-18-with-a-long-fine-tune-suffix';
    await insertUsage(
      server.database.db,
      { id: grantId, accountId: grant?.accountId ?? '', clientId: grant?.clientId ?? '' },
      [
        {
          createdAt: Date.now() - 60_000,
          model,
          inputTokens: 1234567,
          outputTokens: 7654321,
          costMicroUsd: 123_456_789,
        },
      ],
    );
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${server.issuer}/account/apps/${grantId}`);
    const cell = page.locator('table.figures code.scope-token', { hasText: model });
    expect(await cell.count()).to.equal(1);
    // An inline element broken over lines has one client rect per line.
    const lines = (l: typeof cell) => l.evaluate((el) => el.getClientRects().length);
    expect(await lines(cell)).to.equal(1);
    for (const time of await page.locator('table.figures time').all()) expect(await lines(time)).to.equal(1);
    const scroller = page.locator('.table-scroll', { has: cell });
    expect(await scroller.evaluate((el) => el.scrollWidth > el.clientWidth)).to.equal(true);
    // The page itself does not scroll sideways: only the table's wrapper does.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).to.equal(true);
  });

  it('the 30-day charts with one day of data: a date axis, the peak, one visible bar, and the table behind them', async () => {
    const page = await signIn('one-day');
    const grantId = await grantFor('one-day', 'One day app');
    const server = as as RunningAs;
    const grant = await server.stores.grants.find(grantId);
    await insertUsage(
      server.database.db,
      { id: grantId, accountId: grant?.accountId ?? '', clientId: grant?.clientId ?? '' },
      [{ createdAt: Date.now() - 60_000, inputTokens: 1500, outputTokens: 500, costMicroUsd: 20_000 }],
    );
    await page.goto(`${server.issuer}/account/apps/${grantId}`);
    const chart = page.locator('svg#chart-tokens');
    const dates = await chart.locator('text.chart-date').allTextContents();
    expect(dates).to.have.length(3);
    for (const d of dates) expect(d).to.match(/^\d{4}-\d{2}-\d{2}$/);
    const today = new Date().toISOString().slice(0, 10);
    expect(dates.at(-1)).to.equal(today);
    expect(await chart.locator('text.chart-peak').textContent()).to.equal('Highest: 2,000');
    // Each date label is drawn inside the chart and they do not overlap.
    const boxes = await Promise.all(
      (await chart.locator('text.chart-date').all()).map((t) => t.boundingBox()),
    );
    const svgBox = await chart.boundingBox();
    for (let i = 0; i < boxes.length; i++) {
      const b = boxes[i];
      expect(b && svgBox && b.x >= svgBox.x - 0.5 && b.x + b.width <= svgBox.x + svgBox.width + 0.5).to.equal(
        true,
      );
      const next = boxes[i + 1];
      if (b && next) expect(b.x + b.width).to.be.below(next.x);
    }
    // The one day with data is a bar one can see; the 29 others are stubs on the axis.
    const full = chart.locator('rect.chart-bar:not(.chart-bar-empty)');
    expect(await full.count()).to.equal(1);
    expect((await full.boundingBox())?.height).to.be.above(20);
    expect(await chart.locator('rect.chart-bar-empty').count()).to.equal(29);
    // The same figures as an accessible table behind a disclosure.
    await page.getByText('The last 30 days as a table', { exact: true }).click();
    const table = page.getByRole('table', {
      name: 'Requests, tokens and spending per day (UTC), oldest first',
    });
    const row = table.getByRole('row', { name: new RegExp(today) });
    expect(await row.getByRole('cell').allTextContents()).to.deep.equal(['1', '2,000', '$0.02']);
  });

  it('Change password: the hidden username field for password managers is not shown', async () => {
    const page = await signIn('hidden-field');
    await page.goto(`${(as as RunningAs).issuer}/account/password`);
    const username = page.locator('input[name="username"]');
    expect(await username.count()).to.equal(1);
    expect(await username.inputValue()).to.equal('hidden-field');
    expect(await username.isVisible()).to.equal(false);
    expect(
      await username.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).display),
    ).to.equal('none');
  });
});
