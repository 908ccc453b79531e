import { expect } from 'chai';
import { decodeJwt } from 'jose';
import OpenAI from 'openai';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type CallbackServer, startCallbackServer } from '../support/callback-server.ts';
import { chromiumOrSkip, launchChromium } from '../support/chromium.ts';
import type { Engine } from '../support/databases.ts';
import { createFakeUpstream } from '../support/fake-upstream/index.ts';
import { authorize, discover, exchange, oauthErrorOf, startAuthorization } from '../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../support/start-authorization-server.ts';
import { startProxy } from '../support/start-proxy.ts';
import { createUserAgent } from '../support/user-agent.ts';

const ENGINE: Engine = 'sqlite';
const PASSWORD = 'correct horse battery';
const SCOPE = 'openai:gpt-4o-mini:chat anthropic:*:chat';
const SCREENSHOT = '/tmp/mandate-consent.png';
const DAY = 24 * 3600 * 1000;

/**
 * Console errors a page logs, kept so a test can assert none is a CSP violation. The
 * browser's own /favicon.ico probe (404: the pages declare no icon) is not the page's error.
 */
function watchConsole(page: Page): { errors: string[]; csp: () => string[] } {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const source = msg.location().url;
    if (new URL(source || 'about:blank').pathname === '/favicon.ico') return;
    errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  return { errors, csp: () => errors.filter((e) => /content security policy/i.test(e)) };
}

/** Evaluated in the page; a string keeps DOM types out of this Node-only tsconfig. */
const bodyStyle = `(() => {
  const s = getComputedStyle(document.body);
  return { fontFamily: s.fontFamily, margin: s.margin };
})()`;

const activeElementText = `document.activeElement ? document.activeElement.textContent.trim() : ''`;

describe(`hosted pages in headless Chromium (${ENGINE})`, () => {
  let executablePath: string;
  let browser: Browser | undefined;
  let as: RunningAs | undefined;
  let callbacks: CallbackServer | undefined;
  let aliceId = '';

  before(async function () {
    executablePath = chromiumOrSkip(this);
    browser = await launchChromium(executablePath);
    as = await startAuthorizationServer(ENGINE);
    aliceId = await as.addUser('alice', PASSWORD);
    callbacks = await startCallbackServer();
  });
  after(async () => {
    await browser?.close();
    await callbacks?.close();
    await as?.close();
  });

  async function newPage(): Promise<{
    context: BrowserContext;
    page: Page;
    console: ReturnType<typeof watchConsole>;
  }> {
    const context = await (browser as Browser).newContext();
    const page = await context.newPage();
    return { context, page, console: watchConsole(page) };
  }

  /** Opens the authorization URL and signs in as alice by the form's labels, submitting with Enter. */
  async function signIn(page: Page, url: URL, clientName: string) {
    const response = await page.goto(url.toString());
    expect(response?.status()).to.equal(200);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Sign in');
    expect(await page.locator('.lede').textContent()).to.equal(`Sign in to continue to ${clientName}.`);
    await page.getByLabel('Username', { exact: true }).fill('alice');
    const password = page.getByLabel('Password', { exact: true });
    await password.fill(PASSWORD);
    await password.press('Enter');
    await page
      .getByRole('heading', { level: 1, name: `${clientName} wants to use your AI accounts` })
      .waitFor();
  }

  it('signs in, narrows the consent by its labels, and the app gets only what was left ticked', async () => {
    const server = as as RunningAs;
    const cb = callbacks as CallbackServer;
    const app = await server.addClient({ name: 'Writer', redirectUris: [cb.redirectUri] });
    const config = await discover(server, app.clientId);
    const { url, verifier, state } = await startAuthorization(config, server, {
      redirectUri: cb.redirectUri,
      scope: SCOPE,
    });

    const { context, page, console: log } = await newPage();
    const stylesheets: number[] = [];
    page.on('response', (res) => {
      if (new URL(res.url()).pathname === '/static/mandate.css') stylesheets.push(res.status());
    });
    try {
      await signIn(page, url, 'Writer');

      // The consent page: who asks, in plain words, everything ticked to start with.
      expect(await page.locator('.lede').textContent()).to.equal(
        `You are signed in as alice. After you choose, you will be sent back to ${new URL(cb.redirectUri).host}.`,
      );
      // First, in one list, what Allow grants as the form first stands; then the form.
      expect(await page.getByRole('heading', { level: 2 }).first().textContent()).to.equal(
        'If you allow, Writer may',
      );
      expect(await page.getByRole('region', { name: 'If you allow, Writer may' }).textContent()).to.include(
        'OpenAI: Chat with GPT-4o mini.',
      );
      expect(await page.getByRole('heading', { level: 2 }).nth(1).textContent()).to.equal(
        'What Writer asks for',
      );
      const boxes = page.getByRole('checkbox');
      expect(await boxes.count()).to.equal(2);
      const gpt = page.getByRole('checkbox', { name: 'Chat with GPT-4o mini', exact: true });
      const claude = page.getByRole('checkbox', { name: 'Chat with any Anthropic model', exact: true });
      expect(await gpt.isChecked()).to.equal(true);
      expect(await claude.isChecked()).to.equal(true);
      expect(await page.getByRole('group', { name: 'OpenAI' }).isVisible()).to.equal(true);
      expect(await page.getByRole('group', { name: 'Anthropic' }).isVisible()).to.equal(true);
      const duration = page.getByLabel('Allow access for', { exact: true });
      expect(await duration.inputValue()).to.equal(String(30 * 24 * 3600));

      // The stylesheet arrived and applies (the browser default is 8px margin, a serif font).
      expect(stylesheets).to.not.be.empty;
      expect(
        stylesheets.every((status) => status === 200 || status === 304),
        `${stylesheets}`,
      ).to.equal(true);
      const style = (await page.evaluate(bodyStyle)) as { fontFamily: string; margin: string };
      expect(style.margin).to.equal('0px');
      expect(style.fontFamily).to.match(/^system-ui\b/);

      // Untick by clicking the words, not the box; pick a shorter duration.
      await page.locator('label', { hasText: 'Chat with any Anthropic model' }).click();
      expect(await claude.isChecked()).to.equal(false);
      expect(await gpt.isChecked()).to.equal(true);
      await duration.selectOption({ label: '7 days' });
      expect(await duration.inputValue()).to.equal(String(7 * 24 * 3600));
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      await page.getByRole('button', { name: 'Allow', exact: true }).click();
      const callbackUrl = await cb
        .next(5_000, () => `page is at ${page.url()}; console errors: ${log.errors}`)
        .catch((err) => {
          expect(log.csp(), 'Content Security Policy violations').to.deep.equal([]);
          throw err;
        });
      expect(callbackUrl.searchParams.get('iss')).to.equal(server.issuer);
      await page.getByRole('heading', { name: 'Back in the app' }).waitFor();
      expect(log.csp()).to.deep.equal([]);

      const tokens = await exchange({ config, callbackUrl, verifier, state });
      expect(tokens.scope).to.equal('openai:gpt-4o-mini:chat');
      const grantId = decodeJwt(tokens.access_token).grant_id as string;
      const grant = await server.stores.grants.find(grantId);
      expect(grant?.scopes).to.deep.equal(['openai:gpt-4o-mini:chat']);
      expect(grant?.expiresAt).to.be.within(Date.now() + 7 * DAY - 60_000, Date.now() + 7 * DAY);
      expect(log.errors).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it('the person lowers a limit the app asked for; token, introspection and the proxy hold the lowered one', async () => {
    const server = as as RunningAs;
    const cb = callbacks as CallbackServer;
    const app = await server.addClient({ name: 'Budgeted', redirectUris: [cb.redirectUri] });
    const config = await discover(server, app.clientId);
    const asked = [
      {
        type: 'ai_access',
        provider: 'openai',
        models: ['gpt-4o-mini'],
        capabilities: ['chat'],
        limits: { max_requests: 500, max_spend_usd: 5, period: 'lifetime' },
      },
    ];
    const { url, verifier, state } = await startAuthorization(config, server, {
      redirectUri: cb.redirectUri,
      scope: 'openai:gpt-4o-mini:chat',
      extraParams: { authorization_details: JSON.stringify(asked) },
    });
    const { context, page, console: log } = await newPage();
    try {
      await signIn(page, url, 'Budgeted');
      const requests = page.getByLabel('Most requests', { exact: true });
      expect(await requests.inputValue()).to.equal('500');
      await requests.fill('2');
      await page.getByRole('button', { name: 'Allow', exact: true }).click();
      const callbackUrl = await cb.next(
        5_000,
        () => `page is at ${page.url()}; console errors: ${log.errors}`,
      );
      const tokens = await exchange({ config, callbackUrl, verifier, state });
      const granted = tokens.authorization_details as unknown as Array<{ limits: Record<string, unknown> }>;
      expect(granted[0]?.limits).to.include({ max_requests: 2, max_spend_usd: 5 });
      const proxy = await discover(server, server.proxyClient.id, server.proxyClient.secret);
      const introspected = await oidc.tokenIntrospection(proxy, tokens.access_token);
      expect((introspected.authorization_details as unknown as typeof granted)[0]?.limits).to.include({
        max_requests: 2,
      });
      expect(log.errors).to.deep.equal([]);

      // The proxy enforces what the person granted: two requests, then the cap's 403.
      const upstream = await createFakeUpstream();
      const running = await startProxy(server, upstream);
      try {
        await running.setProviderKey(aliceId, 'openai', upstream.openaiKey);
        const client = new OpenAI({
          apiKey: tokens.access_token,
          baseURL: running.openaiBaseURL,
          maxRetries: 2,
        });
        const body = {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user' as const, content: 'hi' }],
          max_tokens: 5,
        };
        await client.chat.completions.create(body);
        await client.chat.completions.create(body);
        const refused = await client.chat.completions.create(body).catch((e: unknown) => e);
        expect(refused).to.be.instanceOf(OpenAI.PermissionDeniedError);
        expect((refused as Error).message).to.include('max_requests');
        expect(upstream.requests).to.have.length(2);
      } finally {
        await running.close();
        await upstream.close();
      }
    } finally {
      await context.close();
    }
  });

  it('the account page lists the connected app and its Revoke button works by keyboard', async () => {
    const server = as as RunningAs;
    const cb = callbacks as CallbackServer;
    const app = await server.addClient({ name: 'Notebook', redirectUris: [cb.redirectUri] });
    const config = await discover(server, app.clientId);
    // The grant comes from the HTTP-level flow: this case is about the account page, not consent.
    const tokens = await exchange(
      await authorize(config, server, createUserAgent(), { redirectUri: cb.redirectUri, scope: SCOPE }),
    );
    expect(tokens.refresh_token).to.be.a('string');

    const { context, page, console: log } = await newPage();
    try {
      // Signed out, /account sends the person to its sign-in page; sign in by keyboard.
      await page.goto(`${server.issuer}/account`);
      expect(new URL(page.url()).pathname).to.equal('/account/login');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Sign in');
      await page.getByLabel('Username', { exact: true }).fill('alice');
      const password = page.getByLabel('Password', { exact: true });
      await password.fill(PASSWORD);
      await password.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Connected apps' }).waitFor();
      expect(new URL(page.url()).pathname).to.equal('/account');

      const card = page.getByRole('article', { name: 'Notebook', exact: true });
      expect(await card.count()).to.equal(1);
      expect(await card.getByRole('listitem').allTextContents()).to.have.members([
        'Chat with GPT-4o mini openai:gpt-4o-mini:chat',
        'Chat with any Anthropic model anthropic:*:chat',
      ]);

      // Keyboard only: Tab until Revoke for Notebook has focus, then Enter; it leads to the
      // confirmation page, where Tab reaches the one button that revokes.
      const tabTo = async (target: ReturnType<typeof page.getByRole>) => {
        const focused = () => target.evaluate((el) => el === el.ownerDocument.activeElement);
        const stops: string[] = [];
        for (let i = 0; i < 30 && !(await focused()); i++) {
          await page.keyboard.press('Tab');
          stops.push(String(await page.evaluate(activeElementText)));
        }
        expect(await focused(), `Tab stops: ${stops.join(' | ')}`).to.equal(true);
      };
      await tabTo(card.getByRole('link', { name: 'Revoke Notebook', exact: true }));
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Revoke access for Notebook?' }).waitFor();
      await tabTo(page.getByRole('button', { name: 'Revoke access for Notebook', exact: true }));
      await page.keyboard.press('Enter');
      await page.getByText('Notebook can no longer use your accounts.', { exact: true }).waitFor();
      expect(await page.getByRole('article', { name: 'Notebook', exact: true }).count()).to.equal(0);
      expect(log.csp()).to.deep.equal([]);
      expect(log.errors).to.deep.equal([]);

      const error = await oauthErrorOf(oidc.refreshTokenGrant(config, tokens.refresh_token as string));
      expect(error.error).to.equal('invalid_grant');
    } finally {
      await context.close();
    }
  });
});
