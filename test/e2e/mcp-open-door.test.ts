import { auth, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type CallbackServer, startCallbackServer } from '../support/callback-server.ts';
import { chromiumOrSkip, launchChromium } from '../support/chromium.ts';
import type { Engine } from '../support/databases.ts';
import { grantIdOf } from '../support/limited-grant.ts';
import { MemoryMcpOAuthProvider, mcpClientByDocument } from '../support/mcp-client.ts';
import { claimsOf } from '../support/mint-token.ts';
import { startOpenDoorFixture } from '../support/open-door-fixture.ts';
import {
  anthropicClient,
  expectInsufficientScopeChallenge,
  expectInvalidTokenChallenge,
  openaiClient,
} from '../support/proxy-clients.ts';
import type { ProxyFixture } from '../support/proxy-fixture.ts';
import type { DocumentServer } from '../support/test-tls.ts';

// The integration tests run this flow on both databases; the browser adds the pages.
const ENGINE: Engine = 'sqlite';
const CLAUDE = 'claude-sonnet-5-5';

/** Every URL the page requested, in order (navigations, redirects, stylesheet, favicon…). */
function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (req) => urls.push(req.url()));
  return urls;
}

/*
 * The official MCP SDK as a newcomer nobody registered, with the person in headless
 * Chromium: an unauthenticated request to the proxy, discovery from its challenge, the
 * app identifying itself (dynamic registration, or a Client ID Metadata Document on a
 * local https server), sign-in and consent on the hosted pages, the code back to the SDK,
 * a chat completion through the fake upstream; then a 403 for another provider's model,
 * step-up in the same browser, and both models served.
 */
describe(`open door: the MCP SDK with the person in headless Chromium (${ENGINE})`, function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let fx: ProxyFixture;
  let docs: DocumentServer;
  let callbacks: CallbackServer;

  before(async function () {
    const executablePath = chromiumOrSkip(this);
    browser = await launchChromium(executablePath);
    callbacks = await startCallbackServer();
    ({ fx, docs } = await startOpenDoorFixture(ENGINE));
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
    await docs?.close();
    await callbacks?.close();
  });

  /** What the SDK does with a refused response: `auth()` from its challenge, up to the redirect. */
  async function startAuth(provider: MemoryMcpOAuthProvider, refused: Response): Promise<URL> {
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(refused);
    expect(resourceMetadataUrl?.toString()).to.equal(`${fx.proxy.url}/.well-known/oauth-protected-resource`);
    provider.authorizationUrl = undefined;
    const started = await auth(provider, {
      serverUrl: fx.proxy.openaiBaseURL,
      ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}),
      ...(scope ? { scope } : {}),
    });
    expect(started).to.equal('REDIRECT');
    const url = provider.authorizationUrl as URL | undefined;
    if (!url) throw new Error('auth() asked for no redirect');
    expect(url.origin).to.equal(new URL(fx.as.issuer).origin);
    return url;
  }

  /** `auth()` again with the code the callback received: the SDK exchanges it and saves the tokens. */
  async function finishAuth(provider: MemoryMcpOAuthProvider, callbackUrl: URL, refused: Response) {
    expect(callbackUrl.searchParams.get('iss')).to.equal(fx.as.issuer);
    const code = callbackUrl.searchParams.get('code');
    if (!code) throw new Error(`no code: ${callbackUrl}`);
    const { resourceMetadataUrl } = extractWWWAuthenticateParams(refused);
    const finished = await auth(provider, {
      serverUrl: fx.proxy.openaiBaseURL,
      authorizationCode: code,
      ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}),
    });
    expect(finished).to.equal('AUTHORIZED');
    return provider.saved?.access_token as string;
  }

  /**
   * The person in the browser: opens the authorization URL, signs in when asked (the AS
   * session cookie may already know them), and reaches the consent form.
   */
  async function reachConsent(page: Page, url: URL): Promise<{ signedIn: boolean }> {
    const response = await page.goto(url.toString());
    expect(response?.status()).to.equal(200);
    const h1 = page.getByRole('heading', { level: 1 });
    let signedIn = false;
    if ((await h1.textContent()) === 'Sign in') {
      await page.getByLabel('Username', { exact: true }).fill(fx.username);
      const password = page.getByLabel('Password', { exact: true });
      await password.fill(fx.password);
      await password.press('Enter');
      signedIn = true;
    }
    await page
      .getByRole('button', { name: /^Allow/ })
      .waitFor()
      .catch(async (err: Error) => {
        throw new Error(
          `${err.message}\nat ${page.url()}: ${(await page.locator('main').textContent())?.trim()}`,
        );
      });
    return { signedIn };
  }

  /** Unticks by clicking the words of each listed scope that is ticked; `keep` stays. */
  async function leaveTicked(page: Page, keep: string[]) {
    const boxes = page.getByRole('checkbox');
    for (let i = 0; i < (await boxes.count()); i++) {
      const box = boxes.nth(i);
      const value = (await box.getAttribute('value')) as string;
      expect(await box.isChecked(), `${value} starts ticked`).to.equal(true);
      if (!keep.includes(value)) await page.locator(`label[for="${await box.getAttribute('id')}"]`).click();
    }
    const ticked: string[] = [];
    for (let i = 0; i < (await boxes.count()); i++) {
      if (await boxes.nth(i).isChecked()) ticked.push((await boxes.nth(i).getAttribute('value')) as string);
    }
    expect(ticked).to.have.members(keep);
  }

  /** Allow, then the app's callback URL; every request the page made but that one went to the AS. */
  async function allow(page: Page, requests: string[]): Promise<URL> {
    await page.getByRole('button', { name: /^Allow/ }).click();
    const callbackUrl = await callbacks.next(5_000, () => `page is at ${page.url()}`);
    await page.getByRole('heading', { name: 'Back in the app' }).waitFor();
    const asOrigin = new URL(fx.as.issuer).origin;
    // The recording saw the pages and their stylesheet, all from the AS.
    expect(requests).to.include(`${asOrigin}/static/mandate.css`);
    const elsewhere = requests.filter((u) => new URL(u).origin !== asOrigin);
    // The one request off the AS: the browser following the redirect to the app's callback.
    expect(elsewhere).to.have.length(1);
    expect(elsewhere[0]?.startsWith(`${callbacks.redirectUri}?`), elsewhere[0]).to.equal(true);
    expect(requests.some((u) => u.startsWith(docs.origin))).to.equal(false);
    return callbackUrl;
  }

  async function unauthenticated(): Promise<Response> {
    const refused = await fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(refused.status).to.equal(401);
    expectInvalidTokenChallenge(refused.headers, fx.proxy.url, null);
    return refused;
  }

  /** Claude through the Anthropic endpoint with this token: the refused response, or undefined when served. */
  async function claude(token: string): Promise<Response> {
    return fetch(`${fx.proxy.anthropicBaseURL}/v1/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({ model: CLAUDE, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
  }

  /**
   * The whole journey for one way of identifying: first consent keeps only OpenAI chat,
   * a chat completion is served; Claude is refused with the scope to ask for, the person
   * steps up in the same browser, and both are served with the new token.
   */
  async function journey(
    provider: MemoryMcpOAuthProvider,
    checkConsent: (page: Page) => Promise<void>,
  ): Promise<{ context: BrowserContext; first: string; second: string }> {
    const context = await (browser as Browser).newContext();
    // A missing element fails with its locator well before mocha's timeout.
    context.setDefaultTimeout(5_000);
    const page = await context.newPage();
    const requests = recordRequests(page);

    const refused = await unauthenticated();
    const url = await startAuth(provider, refused);
    const first = await reachConsent(page, url);
    expect(first.signedIn, 'a fresh browser signs in').to.equal(true);
    expect(await page.locator('#unreviewed').textContent()).to.include(
      "Not reviewed by this server's operator.",
    );
    const lede = (await page.locator('.lede').textContent()) as string;
    expect(lede).to.include(`you will be sent back to ${new URL(callbacks.redirectUri).host}`);
    await checkConsent(page);
    await leaveTicked(page, ['openai:*:chat']);
    const firstToken = await finishAuth(provider, await allow(page, requests), refused);
    expect(claimsOf(firstToken).scope).to.equal('openai:*:chat');
    expect(claimsOf(firstToken).aud).to.equal(fx.proxy.url);

    const served = await openaiClient(fx.proxy.openaiBaseURL, firstToken).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(served.choices[0]?.message.content).to.be.a('string').and.not.empty;

    // Another provider's model: 403 naming the scope; the SDK steps up from that challenge.
    const forbidden = await claude(firstToken);
    expect(forbidden.status).to.equal(403);
    expectInsufficientScopeChallenge(forbidden.headers, fx.proxy.url, `anthropic:${CLAUDE}:chat`);
    // auth() refreshes when it holds a refresh token, and a refresh never widens a grant:
    // a client stepping up drops its tokens (keeping its client information).
    provider.saved = undefined;
    requests.length = 0;
    const again = await startAuth(provider, forbidden);
    expect(again.searchParams.get('scope')).to.equal(`anthropic:${CLAUDE}:chat`);
    const second = await reachConsent(page, again);
    expect(second.signedIn, 'the AS session still knows the person').to.equal(false);
    expect(await page.locator('#unreviewed').count()).to.equal(1);
    // The first grant's scope is offered again, marked, beside the new one; both stay ticked.
    await page.getByRole('button', { name: 'Allow and replace current access', exact: true }).waitFor();
    const kept = page.locator('label', { hasText: 'already allowed' });
    expect(await kept.count()).to.equal(1);
    expect(await page.getByRole('checkbox').count()).to.equal(2);
    await leaveTicked(page, ['openai:*:chat', `anthropic:${CLAUDE}:chat`]);
    const secondToken = await finishAuth(provider, await allow(page, requests), forbidden);
    expect(String(claimsOf(secondToken).scope).split(' ')).to.have.members([
      'openai:*:chat',
      `anthropic:${CLAUDE}:chat`,
    ]);

    // Both models served with the new token; the first token was replaced with its grant.
    const gpt = await openaiClient(fx.proxy.openaiBaseURL, secondToken).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'again' }],
    });
    expect(gpt.choices).to.have.length.greaterThan(0);
    const message = await anthropicClient(fx.proxy.anthropicBaseURL, secondToken).messages.create({
      model: CLAUDE,
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content).to.have.length.greaterThan(0);
    // The replaced grant is revoked: asked once the proxy has read that, not before.
    await fx.proxy.revocationDelivered(grantIdOf(firstToken));
    const stale = await claude(firstToken);
    expect(stale.status).to.equal(401);
    return { context, first: firstToken, second: secondToken };
  }

  it('through dynamic registration (RFC 7591)', async () => {
    const provider = new MemoryMcpOAuthProvider(callbacks.redirectUri);
    const before = fx.upstream.requests.length;
    const { context } = await journey(provider, async (page) => {
      expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal(
        'Test MCP client wants to use your AI accounts',
      );
      expect(await page.locator('#unreviewed').textContent()).to.include('This app registered itself');
    });
    try {
      expect(provider.info?.client_id).to.match(/^dcr_/);
      // Signed in and already allowed, the app still cannot skip the consent page: a
      // silent request (prompt=none) gets consent_required, never a code.
      const silent = new URL(provider.authorizationUrl as URL);
      silent.searchParams.set('prompt', 'none');
      const page = await context.newPage();
      await page.goto(silent.toString());
      const refused = await callbacks.next(5_000, () => `page is at ${page.url()}`);
      expect(refused.searchParams.get('error')).to.equal('consent_required');
      expect(refused.searchParams.get('code')).to.equal(null);
      // One registration for both authorizations.
      expect(await fx.as.database.db('clients').whereLike('client_id', 'dcr_%')).to.have.length(1);
      expect(fx.upstream.requests.length - before).to.equal(3);
    } finally {
      await context.close();
    }
  });

  it('through a Client ID Metadata Document over https: labelled by its domain, nothing loaded from it', async () => {
    const { url, provider } = mcpClientByDocument(docs, callbacks.redirectUri, { client_uri: docs.origin });
    const domain = `localhost:${docs.port}`;
    const redirectHost = new URL(callbacks.redirectUri).host;
    const { context } = await journey(provider, async (page) => {
      const h1 = (await page.getByRole('heading', { level: 1 }).textContent()) as string;
      expect(h1).to.include(domain);
      const notice = (await page.locator('#unreviewed').textContent()) as string;
      expect(notice).to.include(`This app identifies itself as ${domain}`);
      expect(notice).to.include(`It sends you back to ${redirectHost}, which is not ${domain}.`);
      // No image, link or anything else on the page points at the app's domain.
      const pointing = await page.locator(`[src*="${domain}"], [href*="${domain}"]`).count();
      expect(pointing).to.equal(0);
      expect(await page.locator('img').count()).to.equal(0);
    });
    try {
      expect(provider.info?.client_id).to.equal(url);
      expect(docs.hits('/logo.png')).to.equal(0);
      expect(docs.hits('/')).to.equal(0);
      // Both authorizations and both token requests looked the client up: one fetch, cached.
      expect(docs.hits('/mcp/client.json')).to.equal(1);
      expect(await fx.as.database.db('clients').where({ client_id: url })).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
