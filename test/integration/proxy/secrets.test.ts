import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type OpenAI from 'openai';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { freePort } from '../../support/free-port.ts';
import { geminiClient } from '../../support/gemini-client.ts';
import { claimsOf, signAccessToken, unsecuredToken } from '../../support/mint-token.ts';
import {
  anthropicClient,
  type ClientOptions,
  createExchangeRecorder,
  openaiClient,
  withBody,
  withoutCredentials,
} from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import type { RunningProxy } from '../../support/start-proxy.ts';

const SCOPE =
  'openai:gpt-4o-mini:chat openai:text-embedding-3-small:embeddings anthropic:claude-sonnet-5-5:chat google:gemini-2.5-flash:chat';
const APP_ORIGIN = 'https://app.example';

/** Settles a call, whatever its outcome: this test looks at what came back, not at who threw. */
async function attempt(call: () => Promise<unknown>): Promise<void> {
  try {
    const result = await call();
    // Drain SDK streams, so their bytes are part of what was collected.
    if (result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      for await (const _ of result as AsyncIterable<unknown>);
    }
  } catch {
    // expected for most calls
  }
}

for (const engine of engines) {
  describe(`proxy: secrets never leak (${engine})`, () => {
    const prompt = `PROMPT-${randomBytes(8).toString('hex')} tell nobody about the blue door`;
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    let fx: ProxyFixture;

    before(async () => {
      fx = await startProxyFixture(engine, {
        password,
        redirectUris: ['http://127.0.0.1:9/callback', `${APP_ORIGIN}/callback`],
        proxy: { bodyLimitBytes: 4096, upstreamResponseTimeoutMs: 300 },
      });
    });
    after(async () => {
      fx?.upstream.control.release();
      await fx?.close();
    });

    it('no log line, response body or header, or metric carries a token, key, password or prompt', async () => {
      const { control } = fx.upstream;
      const rec = createExchangeRecorder();
      const proxies: RunningProxy[] = [fx.proxy];
      const metrics: string[] = [];
      const accessTokens: string[] = [];
      const refreshTokens: string[] = [];
      const issue = async () => {
        const issued = await fx.grant(SCOPE);
        accessTokens.push(issued.accessToken);
        refreshTokens.push(issued.refreshToken);
        return issued;
      };
      const openai = (token: string, options: ClientOptions = {}): OpenAI =>
        openaiClient(fx.proxy.openaiBaseURL, token, { fetch: rec.fetch, ...options });
      const anthropic = (token: string, options: ClientOptions = {}) =>
        anthropicClient(fx.proxy.anthropicBaseURL, token, { fetch: rec.fetch, ...options });
      const messages = [{ role: 'user' as const, content: prompt }];
      const chat = (client: OpenAI, model = 'gpt-4o-mini') =>
        client.chat.completions.create({ model, messages });
      const claude = (token: string, options: ClientOptions = {}) =>
        anthropic(token, options).messages.create({ model: 'claude-sonnet-5-5', max_tokens: 32, messages });

      const main = await issue();
      const t = main.accessToken;
      const claims = claimsOf(t);

      // Granted traffic, plain and streamed.
      await attempt(() => chat(openai(t)));
      await attempt(() =>
        openai(t).chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }),
      );
      await attempt(() => openai(t).responses.create({ model: 'gpt-4o-mini', input: prompt }));
      await attempt(() => openai(t).embeddings.create({ model: 'text-embedding-3-small', input: prompt }));
      await attempt(() => claude(t));
      await attempt(() =>
        anthropic(t).messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 32, messages }).finalMessage(),
      );
      await attempt(() => chat(openai(t, { defaultHeaders: { origin: APP_ORIGIN } })));
      const gemini = (token: string) =>
        geminiClient(fx.proxy.googleBaseURL, token, undefined, rec.fetch as typeof fetch);
      await attempt(() => gemini(t).models.generateContent({ model: 'gemini-2.5-flash', contents: prompt }));
      await attempt(async () => {
        const stream = await gemini(t).models.generateContentStream({
          model: 'gemini-2.5-flash',
          contents: prompt,
        });
        for await (const _ of stream);
      });
      await attempt(() =>
        gemini(main.refreshToken).models.generateContent({ model: 'gemini-2.5-flash', contents: prompt }),
      );
      await attempt(() => gemini(t).models.generateContent({ model: 'gemini-2.5-pro', contents: prompt }));
      control.next({ fault: { kind: 'reject-key' } });
      await attempt(() => gemini(t).models.generateContent({ model: 'gemini-2.5-flash', contents: prompt }));

      // Bad and misplaced tokens.
      await attempt(() => chat(openai('unused', { fetch: withoutCredentials(rec.fetch) })));
      await attempt(() => chat(openai(`${t}x`)));
      await attempt(() => chat(openai(main.refreshToken)));
      await attempt(() => claude(main.refreshToken));
      await attempt(() => chat(openai(unsecuredToken(claims))));
      const minted = [
        await signAccessToken(fx.as.signingKey, { ...claims, aud: 'https://elsewhere.example' }),
        await signAccessToken(fx.as.signingKey, { ...claims, exp: Math.floor(Date.now() / 1000) - 600 }),
      ];
      accessTokens.push(...minted);
      for (const token of minted) await attempt(() => chat(openai(token)));
      for (const authorization of [
        `Token ${t}`,
        `Basic ${Buffer.from(`${t}:`).toString('base64')}`,
        `Bearer ${t} ${t}`,
      ]) {
        await attempt(() =>
          rec.fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
          }),
        );
      }

      // Refusals of what is asked.
      await attempt(() => chat(openai(t), 'gpt-5.5'));
      await attempt(() => anthropic(t).models.list());
      await attempt(() => openai(t).files.list());
      await attempt(() =>
        openai(t).responses.create({ model: 'gpt-4o-mini', input: prompt, previous_response_id: 'r' }),
      );
      await attempt(() => chat(openai(t, { organization: 'org-other' })));
      await attempt(() =>
        chat(openai(t, { fetch: withBody(rec.fetch, `{"model":"gpt-4o-mini","x":"${prompt}"`) })),
      );
      await attempt(() => openai(t).chat.completions.create({ messages } as never));
      await attempt(() => chat(openai(t, { defaultHeaders: { origin: 'https://evil.example' } })));
      await attempt(() =>
        openai(t).chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: prompt.repeat(80) }],
        }),
      );
      await attempt(() =>
        rec.fetch(`${fx.proxy.url}/nope?prompt=${encodeURIComponent(prompt)}`, {
          headers: { authorization: `Bearer ${t}` },
        }),
      );

      // Upstream failures.
      for (const fault of [
        { kind: 'status', status: 500 },
        { kind: 'status', status: 429, retryAfter: 1 },
        { kind: 'reject-key' },
      ] as const) {
        control.next({ fault }, { times: 2 });
        await attempt(() => chat(openai(t)));
        await attempt(() => claude(t));
      }
      control.next({ fault: { kind: 'stall' } });
      await attempt(() => chat(openai(t)));
      control.release();
      control.next({ fault: { kind: 'drop', afterEvents: 3 } });
      await attempt(() =>
        openai(t).chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }),
      );
      control.next({ fault: { kind: 'stall', afterEvents: 2 } });
      const stream = await openai(t).chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
        stream: true,
      });
      const it = stream[Symbol.asyncIterator]();
      await it.next();
      const held = await control.waitForStall();
      stream.controller.abort();
      await control.waitForAbort((r) => r.seq === held.seq);

      // Revocation: the whole grant, and one access token.
      const doomed = await issue();
      await attempt(() => chat(openai(doomed.accessToken)));
      await oidc.tokenRevocation(fx.oidc, doomed.refreshToken, { token_type_hint: 'refresh_token' });
      await fx.proxy.revocationDelivered(claimsOf(doomed.accessToken).grant_id as string);
      await attempt(() => chat(openai(doomed.accessToken)));
      const single = await issue();
      await attempt(() => claude(single.accessToken));
      await oidc.tokenRevocation(fx.oidc, single.accessToken, { token_type_hint: 'access_token' });
      await fx.proxy.revocationDelivered(claimsOf(single.accessToken).jti as string);
      await attempt(() => claude(single.accessToken));

      // The operational endpoints.
      await attempt(() => rec.fetch(`${fx.proxy.url}/.well-known/oauth-protected-resource`));
      await attempt(() => rec.fetch(`${fx.proxy.url}/healthz`));
      await attempt(() =>
        rec.fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
          method: 'OPTIONS',
          headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' },
        }),
      );
      metrics.push(await (await fetch(`${fx.proxy.url}/metrics`)).text());

      // An upstream that cannot be reached at all.
      const closed = await freePort();
      await fx.restartProxy({
        upstreams: {
          openai: `http://127.0.0.1:${closed}/openai`,
          anthropic: `http://127.0.0.1:${closed}/anthropic`,
          google: `http://127.0.0.1:${closed}/google`,
        },
      });
      proxies.push(fx.proxy);
      await attempt(() => chat(openai(t)));
      await attempt(() => claude(t));
      metrics.push(await (await fetch(`${fx.proxy.url}/metrics`)).text());

      // Everything above really happened: every kind of answer was collected.
      const statuses = new Set(rec.exchanges.map((e) => e.status));
      const geminiStatuses = new Set(
        rec.exchanges.filter((e) => e.url.includes('/google/')).map((e) => e.status),
      );
      expect([...geminiStatuses], 'Gemini answers collected').to.include.members([200, 401, 403, 502]);
      expect([...statuses]).to.include.members([200, 204, 400, 401, 403, 404, 413, 429, 500, 502, 504]);

      for (const e of rec.exchanges.filter((x) => x.status >= 400)) {
        expect(await e.body, `${e.method} ${e.url} → ${e.status} has a body`).to.not.equal('');
      }

      const secrets: Array<[string, string]> = [
        ...accessTokens.flatMap(
          (token, i): Array<[string, string]> => [
            [`access token ${i}`, token],
            [`access token ${i} signature`, token.split('.')[2] as string],
          ],
        ),
        ...refreshTokens.map((token, i): [string, string] => [`refresh token ${i}`, token]),
        ['OpenAI key', fx.upstream.openaiKey],
        ['OpenAI key body', fx.upstream.openaiKey.slice(fx.upstream.openaiKey.lastIndexOf('-') + 1)],
        ['Anthropic key', fx.upstream.anthropicKey],
        ['Anthropic key body', fx.upstream.anthropicKey.slice(fx.upstream.anthropicKey.lastIndexOf('-') + 1)],
        ['Google key', fx.upstream.googleKey],
        ['Google key body', fx.upstream.googleKey.slice('AIza'.length)],
        ['password', password],
        ['prompt', prompt.slice(0, 'PROMPT-'.length + 16)],
        ['prompt text', 'tell nobody about the blue door'],
      ];
      const places: Array<[string, string]> = [
        ...proxies.flatMap((proxy, p) =>
          proxy.logs.map((line, i): [string, string] => [`proxy ${p} log line ${i}`, line]),
        ),
        ...(await Promise.all(
          rec.exchanges.map(
            async (e, i): Promise<[string, string]> => [
              `response ${i} (${e.method} ${new URL(e.url).pathname} → ${e.status})`,
              `${[...e.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${await e.body}`,
            ],
          ),
        )),
        ...metrics.map((text, i): [string, string] => [`metrics ${i}`, text]),
      ];
      expect(proxies.reduce((n, p) => n + p.logs.length, 0)).to.be.greaterThan(40);

      const leaks: string[] = [];
      for (const [what, secret] of secrets) {
        for (const [where, text] of places) if (text.includes(secret)) leaks.push(`${what} in ${where}`);
      }
      expect(leaks, leaks.join('\n')).to.deep.equal([]);
    });
  });
}
