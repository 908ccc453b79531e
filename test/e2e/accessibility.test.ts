import { expect } from 'chai';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '../../src/shared/password.ts';
import { insertUsage } from '../integration/account/usage-records.ts';
import { type AxeViolation, expectNoSeriousViolations } from '../support/axe.ts';
import { type CallbackServer, startCallbackServer } from '../support/callback-server.ts';
import { chromiumOrSkip, launchChromium } from '../support/chromium.ts';
import type { Engine } from '../support/databases.ts';
import { startDevice } from '../support/device-flow.ts';
import { authorize, discover, exchange, startAuthorization } from '../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../support/start-authorization-server.ts';
import { createUserAgent } from '../support/user-agent.ts';

const ENGINE: Engine = 'sqlite';
const PASSWORD = 'correct horse battery';
const OPENAI_KEY = 'sk-proj-AxeCheck_0123456789abcdef_9Zz1';
const DAY = 86_400_000;
const LIMITS = JSON.stringify([
  { type: 'ai_access', provider: 'openai', limits: { max_requests: 500, max_spend_usd: 5, period: 'month' } },
]);

/**
 * Every hosted page, in each of its states (plain, with an error summary, after a
 * change), checked with axe-core in headless Chromium: none may have a serious or
 * critical violation. Each visit first waits for the page's own <h1>, so a check can
 * never pass on the wrong page.
 */
describe(`accessibility of every hosted page, axe-core in headless Chromium (${ENGINE})`, function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let as: RunningAs | undefined;
  /** The same server without operator keys: consent for a provider the person holds no key for. */
  let keyless: RunningAs | undefined;
  let callbacks: CallbackServer | undefined;
  const contexts: BrowserContext[] = [];
  /** Moderate and minor violations seen, per page: reported, not failed on. */
  const lesser = new Map<string, AxeViolation[]>();

  before(async function () {
    const executablePath = chromiumOrSkip(this);
    browser = await launchChromium(executablePath);
    as = await startAuthorizationServer(ENGINE);
    keyless = await startAuthorizationServer(ENGINE, { proxy: { operatorKeys: {} } });
    callbacks = await startCallbackServer();
    await as.addUser('alice', PASSWORD);
    await keyless.addUser('alice', PASSWORD);
    await as.stores.accounts.create('olga', await hashPassword(PASSWORD), { operator: true });
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await callbacks?.close();
    await as?.close();
    await keyless?.close();
    const lines = [...lesser].flatMap(([label, vs]) =>
      vs.map(
        (v) => `    ${label}: ${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      ),
    );
    if (lines.length > 0) console.log(`  moderate or minor axe findings:\n${lines.join('\n')}`);
  });

  async function newPage(): Promise<Page> {
    const context = await (browser as Browser).newContext({ viewport: { width: 1024, height: 768 } });
    contexts.push(context);
    return context.newPage();
  }

  /**
   * Waits for the page's <h1>, then runs axe in the light and the dark colour scheme (the
   * stylesheet has both) and on a phone-wide screen (where tables scroll): a serious or
   * critical violation fails with the list.
   */
  async function check(page: Page, label: string, heading: string | RegExp) {
    await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: 10_000 });
    const passes = [
      { as: 'light', colorScheme: 'light', width: 1024 },
      { as: 'dark', colorScheme: 'dark', width: 1024 },
      { as: 'phone', colorScheme: 'light', width: 360 },
    ] as const;
    for (const pass of passes) {
      await page.emulateMedia({ colorScheme: pass.colorScheme });
      await page.setViewportSize({ width: pass.width, height: 768 });
      const named = `${label} (${pass.as})`;
      const found = await expectNoSeriousViolations(page, named);
      if (found.length > 0) lesser.set(named, found);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1024, height: 768 });
  }

  async function signIn(page: Page, username: string) {
    await page.getByLabel('Username', { exact: true }).fill(username);
    const password = page.getByLabel('Password', { exact: true });
    await password.fill(PASSWORD);
    await password.press('Enter');
  }

  /** A browser signed in to the account pages of `server`. */
  async function signedIn(username: string, server = as as RunningAs): Promise<Page> {
    const page = await newPage();
    await page.goto(`${server.issuer}/account`);
    await signIn(page, username);
    await page.getByRole('heading', { level: 1, name: 'Connected apps' }).waitFor();
    return page;
  }

  async function consentUrl(server: RunningAs, name: string, extraParams?: Record<string, string>) {
    const app = await server.addClient({ name, redirectUris: [(callbacks as CallbackServer).redirectUri] });
    const config = await discover(server, app.clientId);
    const started = await startAuthorization(config, server, {
      redirectUri: (callbacks as CallbackServer).redirectUri,
      scope: 'openai:gpt-4o-mini:chat anthropic:*:chat',
      ...(extraParams ? { extraParams } : {}),
    });
    return started.url.toString();
  }

  /** alice's grant to an app, with monthly limits and a month of usage; its id. */
  async function aliceGrant(name: string): Promise<string> {
    const server = as as RunningAs;
    const app = await server.addClient({ name });
    const config = await discover(server, app.clientId);
    const tokens = await exchange(
      await authorize(config, server, createUserAgent(), {
        username: 'alice',
        password: PASSWORD,
        redirectUri: app.redirectUri,
        scope: 'openai:gpt-4o-mini:chat',
        extraParams: { authorization_details: LIMITS },
      }),
    );
    const grantId = String(decodeJwt(tokens.access_token).grant_id);
    const grant = await server.stores.grants.find(grantId);
    const now = Date.now();
    await insertUsage(
      server.database.db,
      { id: grantId, accountId: grant?.accountId ?? '', clientId: grant?.clientId ?? '' },
      Array.from({ length: 12 }, (_, i) => ({
        createdAt: now - ((i * 37) % 29) * DAY - i * 60_000,
        inputTokens: 800 + i * 90,
        outputTokens: 300 + i * 40,
        costMicroUsd: 900 + i * 120,
      })),
    );
    return grantId;
  }

  it('sign-in (plain and after a wrong password) and consent (plain, with limits, with an error)', async () => {
    const server = as as RunningAs;
    const page = await newPage();
    await page.goto(await consentUrl(server, 'Writer'));
    await check(page, 'sign-in', 'Sign in');
    await page.getByLabel('Username', { exact: true }).fill('alice');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByLabel('Password', { exact: true }).press('Enter');
    await page.getByRole('region', { name: 'There is a problem' }).waitFor();
    await check(page, 'sign-in, wrong password', 'Sign in');
    await signIn(page, 'alice');
    await check(page, 'consent', 'Writer wants to use your AI accounts');

    // Nothing ticked: the error summary at the top.
    for (const box of await page.getByRole('checkbox').all()) await box.uncheck();
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await page.getByRole('region', { name: 'There is a problem' }).waitFor();
    await check(page, 'consent, nothing chosen', 'Writer wants to use your AI accounts');

    const limited = await consentUrl(server, 'Research agent', { authorization_details: LIMITS });
    await page.goto(limited);
    await check(page, 'consent with limits', 'Research agent wants to use your AI accounts');
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await (callbacks as CallbackServer).next(10_000, () => 'the callback after Allow');

    // The same app again: the page shows the access it has now beside the new ask.
    await page.goto(limited);
    await page.getByRole('heading', { name: 'You already allowed Research agent' }).waitFor();
    await check(page, 'consent replacing current access', 'Research agent wants to use your AI accounts');
  });

  it('the raise page: plain, and with a refused value', async () => {
    const server = as as RunningAs;
    const redirectUri = (callbacks as CallbackServer).redirectUri;
    const app = await server.addClient({ name: 'Budgeted agent', redirectUris: [redirectUri] });
    const config = await discover(server, app.clientId);
    const scope = 'openai:gpt-4o-mini:chat';
    const tokens = await exchange(
      await authorize(config, server, createUserAgent(), {
        username: 'alice',
        password: PASSWORD,
        redirectUri,
        scope,
        extraParams: { authorization_details: LIMITS },
      }),
    );
    const raise = await startAuthorization(config, server, {
      redirectUri,
      scope,
      extraParams: {
        grant_id: String(decodeJwt(tokens.access_token).grant_id),
        grant_management_action: 'update',
        authorization_details: JSON.stringify([
          { type: 'ai_access', provider: 'openai', limits: { max_requests: 900, max_spend_usd: 8 } },
        ]),
      },
    });
    const page = await newPage();
    await page.goto(raise.url.toString());
    await signIn(page, 'alice');
    await check(page, 'raise limits', 'Budgeted agent asks for higher limits');
    await page.getByLabel('OpenAI: most requests', { exact: true }).fill('901');
    await page.locator('form.stack').evaluate((form) => {
      (form as unknown as { noValidate: boolean }).noValidate = true;
    });
    await page.getByRole('button', { name: 'Raise limits' }).click();
    await page.getByRole('region', { name: 'There is a problem' }).waitFor();
    await check(page, 'raise limits, refused value', 'Budgeted agent asks for higher limits');
  });

  it('consent for providers without a stored key (the warning, then the refusal of Allow)', async () => {
    const server = keyless as RunningAs;
    const page = await newPage();
    await page.goto(await consentUrl(server, 'Keyless'));
    await signIn(page, 'alice');
    await page.getByText('No key stored for').waitFor();
    await check(page, 'consent without a stored key', 'Keyless wants to use your AI accounts');
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await page.getByRole('alert').waitFor();
    await check(page, 'consent, Allow refused for want of a key', 'Keyless wants to use your AI accounts');
  });

  it('the device pages: the code (plain and wrong), its confirmation, and done', async () => {
    const server = as as RunningAs;
    const app = await server.addClient({ name: 'Terminal agent', deviceFlow: true });
    const started = await startDevice(
      await discover(server, app.clientId),
      server,
      'openai:gpt-4o-mini:chat',
    );
    const page = await newPage();
    await page.goto(started.verification_uri);
    await check(page, 'device code', 'Connect a device');
    const code = page.getByLabel('Code', { exact: true });
    await code.fill('BCDF-GHJK');
    await code.press('Enter');
    await page.getByRole('region', { name: 'There is a problem' }).waitFor();
    await check(page, 'device code, wrong code', 'Connect a device');
    await page.getByLabel('Code', { exact: true }).fill(started.user_code);
    await page.getByLabel('Code', { exact: true }).press('Enter');
    await check(page, 'device confirmation', 'Connect Terminal agent');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await signIn(page, 'alice');
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await check(page, 'device connected', 'Device connected');

    // Another device's code, cancelled at the confirmation.
    const other = await startDevice(await discover(server, app.clientId), server, 'openai:gpt-4o-mini:chat');
    await page.goto(other.verification_uri);
    await page.getByLabel('Code', { exact: true }).fill(other.user_code);
    await page.getByLabel('Code', { exact: true }).press('Enter');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await check(page, 'device cancelled', 'Device not connected');
  });

  it('the account pages: home, an app (plain, refused lower limits, saved), revoke, keys, key deletion, password, signed out', async () => {
    const server = as as RunningAs;
    const grantId = await aliceGrant('Ledger');
    const page = await signedIn('alice');
    await check(page, 'account home', 'Connected apps');

    await page.goto(`${server.issuer}/account/apps/${grantId}`);
    await check(page, 'app page', 'Ledger');
    const requests = page
      .getByRole('group', { name: 'New limits for all providers together' })
      .getByLabel('Most requests', { exact: true });
    // The browser would refuse a raise itself (max); let it through so the server answers.
    await page.locator('form#lower-limits').evaluate((f) => f.setAttribute('novalidate', ''));
    await requests.fill('1001');
    await requests.press('Enter');
    await page.getByRole('region', { name: 'There is a problem' }).waitFor();
    await check(page, 'app page, lower limits refused', 'Ledger');
    await requests.fill('400');
    await requests.press('Enter');
    await page.getByText(/^New limits saved/).waitFor();
    await check(page, 'app page, lower limits saved', 'Ledger');

    await page.getByRole('link', { name: /^Revoke/ }).click();
    await check(page, 'revoke confirmation', 'Revoke access for Ledger?');
    await page.getByRole('button', { name: 'Revoke access for Ledger' }).click();
    await page.getByText('Ledger can no longer use your accounts.').waitFor();
    await check(page, 'account home after a revoke', 'Connected apps');
    await page.goto(`${server.issuer}/account/apps/${grantId}`);
    await page.getByText(/^Ended/).waitFor();
    await check(page, 'app page, revoked', 'Ledger');
    await page.goto(`${server.issuer}/account/apps/no-such-grant`);
    await check(page, 'app page, not found', 'Not found');

    await page.goto(`${server.issuer}/account/keys`);
    await check(page, 'keys', 'Provider keys');
    const openaiKey = page.getByLabel('Your OpenAI API key', { exact: true });
    await openaiKey.fill('not-a-key');
    await openaiKey.press('Enter');
    await page.getByRole('region', { name: 'There is a problem' }).waitFor();
    await check(page, 'keys, a refused key', 'Provider keys');
    await page.getByLabel('Your OpenAI API key', { exact: true }).fill(OPENAI_KEY);
    await page.getByLabel('Your OpenAI API key', { exact: true }).press('Enter');
    await page.getByText(/key ending in …9Zz1 was saved/).waitFor();
    await check(page, 'keys, one stored', 'Provider keys');
    await page.getByRole('link', { name: 'Delete key for OpenAI' }).click();
    await check(page, 'key deletion confirmation', 'Delete your OpenAI key?');

    await page.goto(`${server.issuer}/account/password`);
    await check(page, 'change password', 'Change password');
    await page.getByLabel('Current password', { exact: true }).fill('not the password');
    await page.getByLabel('New password', { exact: true }).fill('a new long passphrase');
    await page.getByLabel('Confirm new password', { exact: true }).fill('a new long passphrase');
    await page.getByLabel('Confirm new password', { exact: true }).press('Enter');
    await page.getByRole('region', { name: 'There is a problem' }).waitFor();
    await check(page, 'change password, refused', 'Change password');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await check(page, 'signed out', 'Signed out');
    await page.goto(`${server.issuer}/account/login`);
    await check(page, 'account sign-in', 'Sign in');
  });

  it('the operator pages: apps, disable confirmation, people, grants, audit trail', async () => {
    const server = as as RunningAs;
    await aliceGrant('Watched app');
    const page = await signedIn('olga');
    await page.getByRole('link', { name: 'Operator', exact: true }).click();
    await check(page, 'operator apps', 'Apps');
    await page.getByRole('link', { name: /^Disable.*Watched app/ }).click();
    await check(page, 'operator disable confirmation', 'Disable Watched app?');
    await page.getByRole('button', { name: 'Disable Watched app' }).click();
    await page.getByText('Watched app is disabled').waitFor();
    await check(page, 'operator apps after a disable', 'Apps');
    for (const [path, heading] of [
      ['/operator/people', 'People'],
      ['/operator/grants', 'Grants'],
      ['/operator/grants?all=1', 'Grants'],
      ['/operator/audit', 'Audit trail'],
    ] as const) {
      await page.goto(`${server.issuer}${path}`);
      await check(page, `operator ${path}`, heading);
    }
  });

  it('the error pages: a bad redirect_uri, an unknown app, an expired interaction, an unknown URL', async () => {
    const server = as as RunningAs;
    const app = await server.addClient({ name: 'Misdirected' });
    const page = await newPage();
    const bad = new URL(await consentUrl(server, 'Misdirected'));
    bad.searchParams.set('client_id', app.clientId);
    bad.searchParams.set('redirect_uri', 'https://elsewhere.example/callback');
    await page.goto(bad.toString());
    await check(page, 'error: bad redirect_uri', 'Mandate cannot send you back to this app');
    bad.searchParams.set('client_id', 'no-such-app');
    await page.goto(bad.toString());
    await check(page, 'error: unknown app', 'Mandate does not know this app');
    await page.goto(`${server.issuer}/interaction/no-such-interaction`);
    await check(page, 'error: expired interaction', 'This sign-in link has expired');
    const missing = await page.goto(`${server.issuer}/no-such-page`);
    expect(missing?.status()).to.equal(404);
    await check(page, 'error: unknown URL', 'Page not found');
  });
});
