import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import type { LedgerEntry } from '../../../src/storage/budget-store.ts';
import { engines } from '../../support/databases.ts';
import { ledgerOf, settledLedger as settledLedgerOf } from '../../support/ledger-reads.ts';
import { grantIdOf } from '../../support/limited-grant.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { HI_CHAT, HI_MESSAGE, ROUND_PRICES } from '../../support/round-prices.ts';
import { runCli } from '../../support/run-cli.ts';
import { signInToAccount } from '../../support/security-checks.ts';
import { createUserAgent, csrfOf, formAction, seeOther, type UserAgent } from '../../support/user-agent.ts';
import { find } from '../../unit/as/views/html-checks.ts';

type ScopeName = '*' | 'openai' | 'anthropic';
/** One scope's request figures, as some view shows them. */
type Shown = { used: number; inFlight: number; limit: number | null; remaining: number | null };
type Views = Record<ScopeName, Shown>;

/** Runs `send`; true when served, else the HTTP status it was refused with. */
async function served(send: () => Promise<unknown>): Promise<true | number> {
  try {
    await send();
    return true;
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
}

/*
 * What the person reads is what the proxy enforces: after each real request through the
 * proxy (both SDKs, a whole-grant cap and a per-provider cap), the app page's figures,
 * the JSON API and `mandate usage` equal the ledger's counters for every scope, and a
 * scope shows 0 requests remaining exactly when the proxy refuses that scope's next
 * request. A cap the person adds after usage shows the usage so far; a request in
 * flight shows as in flight.
 */
for (const engine of engines) {
  describe(`account: the figures are the ledger the proxy enforces (${engine})`, function () {
    this.timeout(90_000);
    let fx: ProxyFixture;
    let person: UserAgent;
    let dir: string;
    let env: Record<string, string>;
    let token: string;
    let grantId: string;

    before(async () => {
      fx = await startProxyFixture(engine, { prices: ROUND_PRICES });
      person = createUserAgent();
      expect((await signInToAccount(person, fx.as, fx.username, fx.password)).status).to.equal(303);
      dir = mkdtempSync(join(tmpdir(), 'mandate-ledger-truth-'));
      env = {
        MANDATE_DATA_DIR: dir,
        MANDATE_DATABASE_URL: fx.as.database.url,
        MANDATE_SIGNING_KEYS_FILE: join(dir, 'keys.json'),
        MANDATE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
        MANDATE_PROXY_CLIENT_SECRET: randomBytes(32).toString('base64url'),
      };
      const tokens = await fx.grant('openai:*:chat anthropic:*:chat');
      token = tokens.accessToken;
      grantId = grantIdOf(token);
    });
    after(async () => {
      await fx?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const appPath = () => `/account/apps/${encodeURIComponent(grantId)}`;
    const chat = () =>
      served(() =>
        new OpenAI({ apiKey: token, baseURL: fx.proxy.openaiBaseURL, maxRetries: 0 }).chat.completions.create(
          HI_CHAT,
        ),
      );
    const message = () =>
      served(() =>
        new Anthropic({ apiKey: token, baseURL: fx.proxy.anthropicBaseURL, maxRetries: 0 }).messages.create(
          HI_MESSAGE,
        ),
      );

    const byScope = (entries: LedgerEntry[]) => new Map(entries.map((e) => [e.scope, e]));
    /** The ledger's request counters by scope (what the proxy checks the caps against). */
    const ledger = async () => byScope(await ledgerOf(fx, grantId));
    /** The ledger once every request is settled and every usage record stored. */
    const settledLedger = async () => byScope(await settledLedgerOf(fx, grantId));

    /** The app page's request figures per scope, from its description lists. */
    async function page(): Promise<{ views: Views; body: string }> {
      const res = await person.request(`${fx.as.issuer}${appPath()}`);
      expect(res.status).to.equal(200);
      const views = {} as Views;
      const lists = find(res.body, 'dl', (t) => t.attrs.get('class') === 'usage-caps');
      for (const list of lists) {
        const scope = list.attrs.get('data-scope') as ScopeName;
        const start = res.body.indexOf(`data-scope="${scope}"`);
        const dd = /<dd( data-used="[^>]*)>/.exec(res.body.slice(start))?.[1] ?? '';
        const attr = (name: string) => /* number or null */ {
          const m = new RegExp(` data-${name}="(\\d+)"`).exec(dd);
          return m ? Number(m[1]) : null;
        };
        views[scope] = {
          used: attr('used') ?? -1,
          inFlight: attr('in-flight') ?? -1,
          limit: attr('limit'),
          remaining: attr('remaining'),
        };
      }
      return { views, body: res.body };
    }
    async function json(): Promise<Views> {
      const res = await person.request(
        `${fx.as.issuer}/account/api/grants/${encodeURIComponent(grantId)}/usage`,
      );
      expect(res.status).to.equal(200);
      const body = JSON.parse(res.body);
      const of = (u: { requests: Record<string, number | null> }): Shown => ({
        used: u.requests.used as number,
        inFlight: u.requests.in_flight as number,
        limit: u.requests.limit ?? null,
        remaining: u.requests.remaining ?? null,
      });
      return {
        '*': of(body.whole_grant.usage),
        openai: of(body.providers.openai.usage),
        anthropic: of(body.providers.anthropic.usage),
      };
    }
    /** `mandate usage --grant ID`: the REQUESTS column of each SCOPE row. */
    async function cli(): Promise<Record<ScopeName, string>> {
      const run = await runCli(['usage', '--grant', grantId], env);
      expect(run.code, run.stderr).to.equal(0);
      const lines = run.stdout.trimEnd().split('\n');
      const header = lines[0] as string;
      const at = (name: string) => header.indexOf(name);
      const cell = (line: string, from: string, to: string) => line.slice(at(from), at(to)).trim();
      const out = {} as Record<ScopeName, string>;
      for (const line of lines.slice(1)) {
        const scope = cell(line, 'SCOPE', 'PERIOD');
        out[(scope === 'all' ? '*' : scope) as ScopeName] = cell(line, 'REQUESTS', 'TOKENS');
      }
      return out;
    }

    /** What each scope must show: the ledger's settled and open requests against its cap. */
    function expected(entries: Map<string, LedgerEntry>, caps: Record<ScopeName, number | null>): Views {
      const out = {} as Views;
      for (const scope of ['*', 'openai', 'anthropic'] as const) {
        const e = entries.get(scope);
        const used = e?.settled.requests ?? 0;
        const inFlight = e?.open.requests ?? 0;
        const limit = caps[scope];
        out[scope] = {
          used,
          inFlight,
          limit,
          remaining: limit === null ? null : Math.max(0, limit - used - inFlight),
        };
      }
      return out;
    }
    const cliText = (s: Shown) => {
      const inFlight = s.inFlight > 0 ? `, ${s.inFlight} in flight` : '';
      if (s.limit === null) return `${s.used} (no cap)${inFlight}`;
      return `${s.used} of ${s.limit} (${Math.floor((s.used / s.limit) * 100)}%)${inFlight}, ${s.remaining} left`;
    };

    /** Page, JSON and CLI all equal the ledger; returns what they show. */
    async function checkViews(caps: Record<ScopeName, number | null>, entries?: Map<string, LedgerEntry>) {
      const want = expected(entries ?? (await settledLedger()), caps);
      const shown = await page();
      expect(shown.views, 'page').to.deep.equal(want);
      expect(await json(), 'json').to.deep.equal(want);
      const printed = await cli();
      for (const scope of ['*', 'openai', 'anthropic'] as const)
        expect(printed[scope], `cli ${scope}`).to.equal(cliText(want[scope]));
      return { views: shown.views, body: shown.body };
    }

    /**
     * Sends one request of a provider after reading what the page says, and checks that
     * the page said "0 left" (for the provider or the whole grant) exactly when the
     * proxy refused it.
     */
    async function sendAndCompare(
      provider: 'openai' | 'anthropic',
      caps: Record<ScopeName, number | null>,
    ): Promise<true | number> {
      const { views } = await checkViews(caps);
      const zero = views['*'].remaining === 0 || views[provider].remaining === 0;
      const outcome = provider === 'openai' ? await chat() : await message();
      expect(outcome !== true, `${provider}: page said ${JSON.stringify(views)}, proxy ${outcome}`).to.equal(
        zero,
      );
      await checkViews(caps);
      return outcome;
    }

    it('uncapped usage, then caps added on the page: the page counts what was used so far', async () => {
      const none = { '*': null, openai: null, anthropic: null };
      expect(await sendAndCompare('openai', none)).to.equal(true);
      expect(await sendAndCompare('anthropic', none)).to.equal(true);

      // The person adds a whole-grant cap of 4 and an OpenAI cap of 2 on the page's form.
      const before = await person.request(`${fx.as.issuer}${appPath()}`);
      const fields: Record<string, string> = {};
      for (const input of find(before.body, 'input', (t) => t.attrs.get('type') === 'number'))
        fields[input.attrs.get('name') as string] = input.attrs.get('value') ?? '';
      expect(Object.keys(fields)).to.include.members(['max_requests', 'limit-openai-max_requests']);
      const posted = await person.request(formAction(before.body, before.url, `${appPath()}/limits`), {
        form: {
          ...fields,
          max_requests: '4',
          'limit-openai-max_requests': '2',
          csrf: csrfOf(before.body),
        },
      });
      const saved = await seeOther(person, posted);
      expect(saved.status).to.equal(200);
      await fx.proxy.revocationDelivered(grantId);
      expect(saved.body)
        .to.include('at most 4 requests in total')
        .and.include('OpenAI: at most 2 requests in total');
      const caps = { '*': 4, openai: 2, anthropic: null };
      const { views, body } = await checkViews(caps);
      // "In total" means in total: the two requests made before count.
      expect(views['*']).to.deep.equal({ used: 2, inFlight: 0, limit: 4, remaining: 2 });
      expect(views.openai).to.deep.equal({ used: 1, inFlight: 0, limit: 2, remaining: 1 });
      expect(body).to.include('OpenAI requests</h3>').and.include('2 of 4 (50%)');
      const history = body.slice(body.indexOf('<h2>History</h2>'));
      expect(history).to.include('most requests none → 4').and.include('OpenAI most requests none → 2');
    });

    it("the form never raises or removes a provider's cap, nor takes an unknown provider or a garbled value", async () => {
      const post = async (changes: Record<string, string>) => {
        const before = await person.request(`${fx.as.issuer}${appPath()}`);
        const fields: Record<string, string> = {};
        for (const input of find(before.body, 'input', (t) => t.attrs.get('type') === 'number'))
          fields[input.attrs.get('name') as string] = input.attrs.get('value') ?? '';
        const posted = await person.request(formAction(before.body, before.url, `${appPath()}/limits`), {
          form: { ...fields, ...changes, csrf: csrfOf(before.body) },
        });
        return posted.status === 303 ? seeOther(person, posted) : posted;
      };
      for (const [changes, message] of [
        [{ 'limit-openai-max_requests': '3' }, 'OpenAI: most requests can only be lowered: it is 2 now.'],
        [
          { 'limit-openai-max_requests': '' },
          'OpenAI: most requests is 2 now: it can be lowered, not removed.',
        ],
        [
          { 'limit-openai-max_requests': '1.5' },
          'OpenAI: most requests must be a whole number of at least 1.',
        ],
        [
          { 'limit-openai-max_requests': '-1' },
          'OpenAI: most requests must be a whole number of at least 1.',
        ],
        [
          { 'limit-anthropic-max_spend_usd': 'abc' },
          'Anthropic: most spending, in US dollars must be an amount',
        ],
      ] as const) {
        const res = await post(changes);
        expect(res.status, JSON.stringify(changes)).to.equal(400);
        expect(res.body).to.include(message);
        const invalid = find(res.body, 'input', (t) => t.attrs.get('name') === Object.keys(changes)[0])[0];
        expect(invalid?.attrs.get('aria-invalid')).to.equal('true');
      }
      // A provider the grant has no scope for is not on the form, and a field for it is ignored.
      const stray = await post({ 'limit-gemini-max_requests': '1' });
      expect(stray.status).to.equal(200);
      expect(stray.body).to.include('Nothing changed: the limits are as they were.');
      const grant = await fx.as.stores.grants.find(grantId);
      expect(grant?.limits).to.deep.include({ maxRequests: 4 });
      expect(grant?.limits.providers).to.deep.equal({
        openai: { maxRequests: 2, maxTokens: null, maxSpendMicroUsd: null, requestsPerMinute: null },
      });
    });

    it('a request in flight shows as in flight, and the page says 0 left while the proxy answers busy', async () => {
      const caps = { '*': 4, openai: 2, anthropic: null };
      fx.upstream.control.next({ fault: { kind: 'stall' } });
      const running = chat();
      await fx.upstream.control.waitForStall();
      const open = await ledger();
      expect(open.get('openai')?.open.requests).to.equal(1);
      const { views, body } = await checkViews(caps, open);
      expect(views.openai).to.deep.equal({ used: 1, inFlight: 1, limit: 2, remaining: 0 });
      expect(views['*']).to.deep.equal({ used: 2, inFlight: 1, limit: 4, remaining: 1 });
      expect(body).to.include('1 in flight');
      // The page says nothing is left for OpenAI: the proxy refuses (busy, retry soon).
      expect(await chat()).to.equal(429);
      fx.upstream.control.release();
      expect(await running).to.equal(true);
      await checkViews(caps);
    });

    it('after each request the page, the JSON and the CLI equal the counters; 0 left exactly when refused', async () => {
      const caps = { '*': 4, openai: 2, anthropic: null };
      // OpenAI's cap is reached (2 of 2): refused, for good.
      expect(await sendAndCompare('openai', caps)).to.equal(403);
      // Anthropic has no cap of its own; the whole grant has 1 left.
      expect(await sendAndCompare('anthropic', caps)).to.equal(true);
      expect(await sendAndCompare('anthropic', caps)).to.equal(403);
      expect(await sendAndCompare('openai', caps)).to.equal(403);
      const { views, body } = await checkViews(caps);
      expect(views['*']).to.deep.equal({ used: 4, inFlight: 0, limit: 4, remaining: 0 });
      expect(views.openai).to.deep.equal({ used: 2, inFlight: 0, limit: 2, remaining: 0 });
      expect(views.anthropic).to.deep.include({ used: 2, limit: null });
      const history = body.slice(body.indexOf('<h2>History</h2>'));
      expect(history).to.include('Reached its OpenAI request cap: further OpenAI requests are refused.');
      expect(history).to.include('Reached its request cap: further requests are refused.');
      // The account home says the same as the app page.
      const home = await person.request(`${fx.as.issuer}/account`);
      expect(home.body).to.include('4 of 4 (100%)').and.include('2 of 2 (100%)');
    });
  });
}
