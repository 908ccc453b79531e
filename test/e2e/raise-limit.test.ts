import { expect } from 'chai';
import { decodeJwt } from 'jose';
import OpenAI from 'openai';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type CallbackServer, startCallbackServer } from '../support/callback-server.ts';
import { chromiumOrSkip, launchChromium } from '../support/chromium.ts';
import { startAuthorization } from '../support/oauth-flow.ts';
import { type ProxyFixture, startProxyFixture } from '../support/proxy-fixture.ts';
import { HI_CHAT, ROUND_PRICES } from '../support/round-prices.ts';

/**
 * The raise-a-cap round trip as a person lives it, in Chromium: the app hits its cap,
 * reads the refusal's `x-mandate-raise-limit`, sends the person to a raise request for
 * the same grant, the person sets a new limit on the page and presses Raise limits,
 * and the app goes on with what was allowed (and no more). Going back and submitting
 * again raises nothing twice.
 */
describe('raising a cap, the round trip in headless Chromium (sqlite)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let callbacks: CallbackServer | undefined;
  let fx: ProxyFixture | undefined;
  let context: BrowserContext;
  let page: Page;

  before(async function () {
    const executablePath = chromiumOrSkip(this);
    callbacks = await startCallbackServer();
    fx = await startProxyFixture('sqlite', { prices: ROUND_PRICES, redirectUris: [callbacks.redirectUri] });
    browser = await launchChromium(executablePath);
    context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
    await callbacks?.close();
  });

  const asked = (maxRequests: number) =>
    JSON.stringify([{ type: 'ai_access', provider: 'openai', limits: { max_requests: maxRequests } }]);

  /** Opens an authorization request in the browser; resolves with what the page and the app need. */
  async function open(extraParams: Record<string, string>) {
    const f = fx as ProxyFixture;
    const started = await startAuthorization(f.oidc, f.as, {
      redirectUri: (callbacks as CallbackServer).redirectUri,
      scope: 'openai:*:chat',
      extraParams,
    });
    await page.goto(started.url.toString());
    return started;
  }
  /** The code the browser brought back to the app, exchanged for tokens. */
  async function tokensFrom(started: Awaited<ReturnType<typeof open>>) {
    const callback = await (callbacks as CallbackServer).next(10_000, () => page.url());
    const tokens = await oidc.authorizationCodeGrant((fx as ProxyFixture).oidc, callback, {
      pkceCodeVerifier: started.verifier,
      expectedState: started.state,
    });
    return tokens.access_token;
  }
  async function chat(token: string) {
    const openai = new OpenAI({
      apiKey: token,
      baseURL: (fx as ProxyFixture).proxy.openaiBaseURL,
      maxRetries: 0,
    });
    try {
      await openai.chat.completions.create(HI_CHAT);
      return { ok: true as const, hint: '' };
    } catch (err) {
      const e = err as { status?: number; headers?: Headers };
      return { ok: false as const, status: e.status, hint: e.headers?.get('x-mandate-raise-limit') ?? '' };
    }
  }

  it('capped at 2, refused with the hint, raised to 3 by the person, then refused at 3', async () => {
    const f = fx as ProxyFixture;
    // The first authorization: sign in, and Allow the 2 requests the app asks for.
    const first = await open({ authorization_details: asked(2) });
    await page.getByLabel('Username', { exact: true }).fill(f.username);
    await page.getByLabel('Password', { exact: true }).fill(f.password);
    await page.getByLabel('Password', { exact: true }).press('Enter');
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await page.getByRole('heading', { name: 'Back in the app' }).waitFor();
    const token = await tokensFrom(first);
    const grantId = String(decodeJwt(token).grant_id);

    expect([(await chat(token)).ok, (await chat(token)).ok]).to.deep.equal([true, true]);
    const refused = await chat(token);
    expect(refused).to.deep.include({ ok: false, status: 403 });
    const hint = Object.fromEntries([...refused.hint.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    expect(hint).to.deep.equal({ grant_id: grantId, provider: 'openai', limit: 'max_requests', value: '2' });

    // The app asks for 5 more in all; the person, still signed in, sees the raise page.
    const raise = await open({
      grant_id: hint.grant_id as string,
      grant_management_action: 'update',
      authorization_details: asked(5),
    });
    await page.getByRole('heading', { level: 1, name: 'Writer asks for higher limits' }).waitFor();
    const raisePageUrl = page.url();
    const field = page.getByLabel('OpenAI: most requests', { exact: true });
    expect(await field.inputValue()).to.equal('5');
    expect(await page.locator(`#${await field.getAttribute('aria-describedby')}`).textContent()).to.equal(
      'Now 2 requests, of which 2 requests used. Writer asks for up to 5 requests.',
    );
    // Reloading shows the same page and changes nothing.
    await page.reload();
    expect(await page.getByLabel('OpenAI: most requests', { exact: true }).inputValue()).to.equal('5');
    expect((await chat(token)).ok).to.equal(false);

    // Too much first: the error summary takes focus and links to the field.
    await page.getByLabel('OpenAI: most requests', { exact: true }).fill('6');
    // The browser's own max check would stop the form: the server's check is what is tested.
    await page.locator('form.stack').evaluate((form) => {
      (form as unknown as { noValidate: boolean }).noValidate = true;
    });
    await page.getByRole('button', { name: 'Raise limits' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).to.equal(
      'error-summary',
    );
    await page.getByRole('link', { name: /can be at most what the app asked for/ }).click();
    expect(await page.evaluate('document.activeElement && document.activeElement.name')).to.equal(
      'limit-openai-max_requests',
    );

    await page.getByLabel('OpenAI: most requests', { exact: true }).fill('3');
    await page.getByRole('button', { name: 'Raise limits' }).click();
    await page.getByRole('heading', { name: 'Back in the app' }).waitFor();
    const raised = await tokensFrom(raise);
    expect(decodeJwt(raised).grant_id).to.equal(grantId);

    // One more request, for the old token as for the new one, then the cap of 3 holds.
    expect((await chat(token)).ok).to.equal(true);
    const again = await chat(raised);
    expect(again.ok).to.equal(false);
    expect(again.hint).to.include('value="3"');

    // Back at the raise page's address once it is done: it is over, plainly, and nothing is raised twice.
    const ended = await page.goto(raisePageUrl);
    expect(ended?.status()).to.be.within(400, 499);
    expect(await page.getByRole('button', { name: 'Raise limits' }).count()).to.equal(0);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.not.match(/invalid|session/i);
    const grant = await f.as.stores.grants.find(grantId);
    expect(grant?.limits.providers?.openai?.maxRequests).to.equal(3);

    // The person's app page says what happened.
    await page.goto(`${f.as.issuer}/account/apps/${encodeURIComponent(grantId)}`);
    await page
      .getByRole('listitem')
      .filter({
        hasText:
          'Limits raised by the person, at the app’s request: most requests 2 → 3, OpenAI most requests 2 → 3.',
      })
      .first()
      .waitFor();
  });
});
