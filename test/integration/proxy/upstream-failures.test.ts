import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { engines } from '../../support/databases.ts';
import { anthropicError, openaiError } from '../../support/fake-upstream/errors.ts';
import { fakeId, maskKey } from '../../support/fake-upstream/index.ts';
import {
  anthropicClient,
  anthropicRefusal,
  createExchangeRecorder,
  openaiClient,
  openaiRefusal,
} from '../../support/proxy-clients.ts';
import { type IssuedTokens, type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { refusingUpstreams } from '../../support/refusing-upstreams.ts';

const SCOPE = 'openai:gpt-4o-mini:chat anthropic:claude-sonnet-5-5:chat';
const user = (content: string) => [{ role: 'user' as const, content }];

for (const engine of engines) {
  describe(`proxy: when the upstream fails (${engine})`, () => {
    let fx: ProxyFixture;
    let tokens: IssuedTokens;

    before(async () => {
      fx = await startProxyFixture(engine);
      tokens = await fx.grant(SCOPE);
    });
    after(async () => {
      fx?.upstream.control.release();
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());
    afterEach(() => fx.upstream.control.release());

    function openaiWith(options: { maxRetries?: number } = {}) {
      const rec = createExchangeRecorder();
      const client = openaiClient(fx.proxy.openaiBaseURL, tokens.accessToken, { fetch: rec.fetch });
      return { rec, client: options.maxRetries === undefined ? client : client.withOptions(options) };
    }
    function anthropicWith() {
      const rec = createExchangeRecorder();
      return {
        rec,
        client: anthropicClient(fx.proxy.anthropicBaseURL, tokens.accessToken, { fetch: rec.fetch }),
      };
    }
    const chat = (client: OpenAI) =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('hi') });
    const message = (client: Anthropic) =>
      client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: user('hi') });

    it('upstream 500: passed through with the upstream body (InternalServerError)', async () => {
      fx.upstream.control.next({
        fault: { kind: 'status', status: 500, message: 'the upstream broke (openai)' },
      });
      const o = openaiWith();
      const refused = await openaiRefusal(o.rec, chat(o.client), {
        status: 500,
        errorClass: OpenAI.InternalServerError,
      });
      expect(JSON.parse(refused.text)).to.deep.equal(
        openaiError(500, { message: 'the upstream broke (openai)' }),
      );
      const seen = await fx.upstream.control.waitForRequest();
      expect(seen.headers.authorization).to.equal(`Bearer ${fx.upstream.openaiKey}`);

      fx.upstream.control.next({
        fault: { kind: 'status', status: 500, message: 'the upstream broke (anthropic)' },
      });
      const a = anthropicWith();
      const err = (await rejection(message(a.client))) as InstanceType<typeof Anthropic.APIError>;
      expect(err).to.be.instanceOf(Anthropic.InternalServerError);
      expect(err.status).to.equal(500);
      const seenA = await fx.upstream.control.waitForRequest((r) => r.provider === 'anthropic');
      expect(a.rec.last().status).to.equal(500);
      expect(JSON.parse(await a.rec.last().body)).to.deep.equal(
        anthropicError(500, 'the upstream broke (anthropic)', fakeId('req_', seenA.seq)),
      );
    });

    it('upstream 429: passed through with its body and retry-after (RateLimitError)', async () => {
      fx.upstream.control.next({ fault: { kind: 'status', status: 429, retryAfter: 7 } });
      const o = openaiWith();
      const refused = await openaiRefusal(o.rec, chat(o.client), {
        status: 429,
        errorClass: OpenAI.RateLimitError,
        code: 'rate_limit_exceeded',
      });
      expect(JSON.parse(refused.text)).to.deep.equal(openaiError(429));
      expect(refused.exchange.headers.get('retry-after')).to.equal('7');

      fx.upstream.control.next({ fault: { kind: 'status', status: 429, retryAfter: 9 } });
      const a = anthropicWith();
      const refusedA = await anthropicRefusal(a.rec, message(a.client), {
        status: 429,
        errorClass: Anthropic.RateLimitError,
        type: 'rate_limit_error',
      });
      expect(refusedA.exchange.headers.get('retry-after')).to.equal('9');
    });

    it("upstream rejecting the person's key: 502 naming the key, without any part of it, x-should-retry: false", async () => {
      const { openaiKey, anthropicKey } = fx.upstream;
      fx.upstream.control.next({ fault: { kind: 'reject-key' } });
      const o = openaiWith();
      const refused = await openaiRefusal(o.rec, chat(o.client), {
        status: 502,
        errorClass: OpenAI.InternalServerError,
        code: 'upstream_key_rejected',
        messageIncludes: "the person's OpenAI key",
      });
      expect(refused.exchange.headers.get('x-should-retry')).to.equal('false');
      expectNoPartOf(openaiKey, refused.text);
      expectNoPartOf(openaiKey, headerText(refused.exchange.headers));
      expect(fx.upstream.requests.at(-1)?.status).to.equal(401);

      fx.upstream.control.next({ fault: { kind: 'reject-key' } });
      const a = anthropicWith();
      const refusedA = await anthropicRefusal(a.rec, message(a.client), {
        status: 502,
        errorClass: Anthropic.InternalServerError,
        messageIncludes: "the person's Anthropic key",
      });
      expect(refusedA.exchange.headers.get('x-should-retry')).to.equal('false');
      expectNoPartOf(anthropicKey, refusedA.text);
      expectNoPartOf(anthropicKey, headerText(refusedA.exchange.headers));
    });

    it('a rejected key is not retried by an SDK with its default retries', async () => {
      fx.upstream.control.always({ fault: { kind: 'reject-key' } });
      const before = fx.upstream.requests.length;
      const o = openaiWith({ maxRetries: 2 });
      const err = await rejection(chat(o.client));
      expect(err).to.be.instanceOf(OpenAI.InternalServerError);
      expect(o.rec.exchanges).to.have.length(1);
      expect(fx.upstream.requests.length - before).to.equal(1);
    });

    describe('with a 200 ms upstream response timeout', () => {
      before(() => fx.restartProxy({ upstreamResponseTimeoutMs: 200 }));

      it('an upstream that does not answer: 504, and the upstream request is abandoned', async () => {
        fx.upstream.control.next({ fault: { kind: 'stall' } });
        const o = openaiWith();
        const refused = openaiRefusal(o.rec, chat(o.client), {
          status: 504,
          errorClass: OpenAI.InternalServerError,
          code: 'upstream_timeout',
        });
        const stalled = await fx.upstream.control.waitForStall();
        expect(stalled.route).to.equal('/v1/chat/completions');
        await refused;
        await fx.upstream.control.waitForAbort((r) => r.seq === stalled.seq);

        fx.upstream.control.next({ fault: { kind: 'stall' } });
        const a = anthropicWith();
        // Anthropic's own 504 body says `timeout_error` (the SDK's GatewayTimeoutErrorObject).
        await anthropicRefusal(a.rec, message(a.client), {
          status: 504,
          errorClass: Anthropic.GatewayTimeoutError,
          type: 'timeout_error',
        });
      });
    });

    describe('with an upstream that refuses connections', () => {
      before(async () => {
        await fx.restartProxy(await refusingUpstreams());
      });

      it('connection refused: 502', async () => {
        const o = openaiWith();
        await openaiRefusal(o.rec, chat(o.client), {
          status: 502,
          errorClass: OpenAI.InternalServerError,
          code: 'upstream_unreachable',
        });
        const a = anthropicWith();
        await anthropicRefusal(a.rec, message(a.client), {
          status: 502,
          errorClass: Anthropic.InternalServerError,
        });
      });
    });
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

function headerText(headers: Headers): string {
  return [...headers].map(([k, v]) => `${k}: ${v}`).join('\n');
}

/** Neither the key, nor its secret body, nor its last four characters, nor its masked form. */
function expectNoPartOf(key: string, text: string): void {
  expect(text).to.not.include(key);
  expect(text).to.not.include(key.slice(key.lastIndexOf('-') + 1));
  expect(text).to.not.include(key.slice(-4));
  expect(text).to.not.include(maskKey(key));
}
