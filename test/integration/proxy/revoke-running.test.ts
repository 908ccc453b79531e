import { expect } from 'chai';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { freePort } from '../../support/free-port.ts';
import { claimsOf } from '../../support/mint-token.ts';
import { anthropicClient, openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { type RunningProxy, startProxy } from '../../support/start-proxy.ts';

const SCOPE = 'openai:gpt-4o-mini:chat anthropic:claude-sonnet-5-5:chat';
/** From the revoke call's return to the end of the stream at the client. */
const boundMs = { pg: 100, sqlite: 1000 } as const;
const slow = { settings: { chunkCount: 400, chunkDelayMs: 10 } };
const messages = [{ role: 'user' as const, content: 'a long story please' }];

for (const engine of engines) {
  describe(`proxy: a revocation ends requests already running (${engine})`, () => {
    let fx: ProxyFixture;

    before(async () => {
      fx = await startProxyFixture(engine);
    });
    after(() => fx?.close());
    beforeEach(() => fx.upstream.control.reset());
    afterEach(() => fx.upstream.control.release());

    /** Starts a slow stream through `baseURL` and reads its first deltas. */
    async function startStream(baseURL: string, token: string, chunkCount = 400) {
      fx.upstream.control.next({ settings: { ...slow.settings, chunkCount } });
      const { data: stream, response } = await openaiClient(baseURL, token)
        .chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })
        .withResponse();
      const iterator = stream[Symbol.asyncIterator]();
      for (let i = 0; i < 3; i++) expect((await iterator.next()).done).to.equal(false);
      let ended: number | undefined;
      let deltas = 3;
      const done = (async () => {
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          deltas += 1;
        }
        ended = performance.now();
      })();
      return {
        requestId: response.headers.get('x-mandate-request-id') as string,
        done,
        endedAt: () => ended,
        deltas: () => deltas,
      };
    }

    const usageOf = async (proxy: RunningProxy, id: string) => {
      await proxy.usage.flush();
      return fx.as.database.db('usage_records').where({ id }).first();
    };

    it(`a stream mid-way is cut within ${boundMs[engine]} ms of the revoke, the upstream stops generating, and it is recorded`, async () => {
      const issued = await fx.grant(SCOPE);
      const grantId = claimsOf(issued.accessToken).grant_id as string;
      const stream = await startStream(fx.proxy.openaiBaseURL, issued.accessToken);
      const upstreamRequest = await fx.upstream.control.waitForRequest();
      await oidc.tokenRevocation(fx.oidc, issued.refreshToken, { token_type_hint: 'refresh_token' });
      const revoked = performance.now();
      await stream.done;
      const cutMs = (stream.endedAt() as number) - revoked;
      console.log(`      ${engine}: revoke returned → stream ended at the client: ${cutMs.toFixed(1)} ms`);
      expect(cutMs).to.be.below(boundMs[engine]);
      expect(stream.deltas()).to.be.below(400);

      // The upstream request was aborted: the fake stops generating.
      await fx.upstream.control.waitForEnd((r) => r.seq === upstreamRequest.seq);
      const generated = () => fx.upstream.generated((r) => r.seq === upstreamRequest.seq)[0];
      expect(upstreamRequest.aborted).to.equal(true);
      const atEnd = generated().outputTokens;
      expect(generated().completed).to.equal(false);
      expect(atEnd).to.be.below(400);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(generated().outputTokens).to.equal(atEnd);

      const record = await usageOf(fx.proxy, stream.requestId);
      expect(record, 'usage record').to.not.equal(undefined);
      expect(record.grant_id).to.equal(grantId);
      expect(Boolean(record.client_aborted)).to.equal(true);
      expect(Boolean(record.upstream_failed)).to.equal(false);
      // And the token is refused from now on.
      const again = await fetch(`${fx.proxy.openaiBaseURL}/models`, {
        headers: { authorization: `Bearer ${issued.accessToken}` },
      });
      expect(again.status).to.equal(401);
    });

    it('anthropic SDK: a message stream mid-way ends, the upstream stops, the usage is recorded', async () => {
      const issued = await fx.grant(SCOPE);
      fx.upstream.control.next(slow);
      const { data: stream, response } = await anthropicClient(fx.proxy.anthropicBaseURL, issued.accessToken)
        .messages.create({ model: 'claude-sonnet-5-5', max_tokens: 1000, messages, stream: true })
        .withResponse();
      const upstreamRequest = await fx.upstream.control.waitForRequest();
      let events = 0;
      let revoking: Promise<unknown> | undefined;
      for await (const _ of stream) {
        events += 1;
        if (events === 5)
          revoking = oidc.tokenRevocation(fx.oidc, issued.refreshToken, { token_type_hint: 'refresh_token' });
      }
      await revoking;
      expect(events).to.be.below(400);
      await fx.upstream.control.waitForEnd((r) => r.seq === upstreamRequest.seq);
      expect(upstreamRequest.aborted).to.equal(true);
      const generation = fx.upstream.generated((r) => r.seq === upstreamRequest.seq)[0];
      expect(generation?.completed).to.equal(false);
      const record = await usageOf(fx.proxy, response.headers.get('x-mandate-request-id') as string);
      expect(record, 'usage record').to.not.equal(undefined);
      expect(record.provider).to.equal('anthropic');
    });

    it('a request whose answer has not begun gets 401 invalid_token, and the upstream request is aborted', async () => {
      const issued = await fx.grant(SCOPE);
      fx.upstream.control.next({ fault: { kind: 'stall' } });
      const pending = fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${issued.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
      });
      const held = await fx.upstream.control.waitForStall();
      await oidc.tokenRevocation(fx.oidc, issued.refreshToken, { token_type_hint: 'refresh_token' });
      const res = await pending;
      expect(res.status).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.match(/invalid_token/);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).to.equal('invalid_token');
      expect(body.error.message).to.match(/revoked/);
      await fx.upstream.control.waitForEnd((r) => r.seq === held.seq);
      expect(held.aborted).to.equal(true);
      const record = await usageOf(fx.proxy, res.headers.get('x-mandate-request-id') as string);
      expect(record, 'usage record').to.not.equal(undefined);
    });

    it('revoking one access token (RFC 7009 on the JWT) ends its streams, not those of a newer token of the grant', async () => {
      const issued = await fx.grant(SCOPE);
      const refreshed = await oidc.refreshTokenGrant(fx.oidc, issued.refreshToken);
      const first = await startStream(fx.proxy.openaiBaseURL, issued.accessToken);
      const second = await startStream(fx.proxy.openaiBaseURL, refreshed.access_token, 60);
      await oidc.tokenRevocation(fx.oidc, issued.accessToken, { token_type_hint: 'access_token' });
      await first.done;
      expect(first.deltas()).to.be.below(400);
      await second.done;
      expect(second.deltas()).to.be.at.least(60); // ran to its end: 60 deltas and the final chunk
    });

    it('with two proxies on one database, a revoke through the AS ends the streams at both', async function () {
      this.timeout(30_000);
      const port = await freePort();
      const other = await startProxy(fx.as, fx.upstream, { proxy: { port } });
      try {
        const otherBase = `http://127.0.0.1:${port}/openai/v1`;
        const issued = await fx.grant(SCOPE);
        const here = await startStream(fx.proxy.openaiBaseURL, issued.accessToken);
        const there = await startStream(otherBase, issued.accessToken);
        await oidc.tokenRevocation(fx.oidc, issued.refreshToken, { token_type_hint: 'refresh_token' });
        const revoked = performance.now();
        await Promise.all([here.done, there.done]);
        const slowest = Math.max(here.endedAt() as number, there.endedAt() as number) - revoked;
        console.log(
          `      ${engine}: two proxies, revoke returned → both streams ended: ${slowest.toFixed(1)} ms`,
        );
        expect(slowest).to.be.below(boundMs[engine]);
        expect(await usageOf(fx.proxy, here.requestId)).to.not.equal(undefined);
        expect(await usageOf(other, there.requestId)).to.not.equal(undefined);
      } finally {
        await other.close();
      }
    });
  });
}
