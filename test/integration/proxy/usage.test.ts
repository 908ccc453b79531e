import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { DEFAULT_PRICES } from '../../../src/config/default-prices.ts';
import { findPrice } from '../../../src/proxy/limits/price-table.ts';
import type { TokenUsage } from '../../../src/proxy/usage/usage-tap.ts';
import { createUsageStore, type UsageRecord } from '../../../src/storage/usage-store.ts';
import { engines } from '../../support/databases.ts';
import {
  anthropicUsage,
  chatUsage,
  createFakeUpstream,
  embeddingsUsage,
  type FakeUpstream,
  responsesUsage,
} from '../../support/fake-upstream/index.ts';
import { authorize, discover, exchange } from '../../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { type RunningProxy, startProxy } from '../../support/start-proxy.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const SCOPE = [
  'openai:gpt-4o-mini:chat',
  'openai:text-embedding-3-small:embeddings',
  'anthropic:claude-sonnet-5-5:chat',
].join(' ');

/** Every counter non-zero and distinct, so a field read from the wrong place shows. */
const SETTINGS = { chunkCount: 7, cachedTokens: 3, cacheWriteTokens: 2, reasoningTokens: 4 };

type Body = Record<string, unknown>;

const zeros: TokenUsage = {
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
};

function expectedChat(body: Body, settings: typeof SETTINGS): TokenUsage {
  const u = chatUsage(body, { ...upstreamDefaults, ...settings });
  return {
    inputTokens: u.prompt_tokens,
    cachedInputTokens: u.prompt_tokens_details.cached_tokens,
    cacheWriteTokens: 0,
    outputTokens: u.completion_tokens,
    reasoningTokens: u.completion_tokens_details.reasoning_tokens,
  };
}

function expectedResponses(body: Body, settings: typeof SETTINGS): TokenUsage {
  const u = responsesUsage(body, { ...upstreamDefaults, ...settings });
  return {
    inputTokens: u.input_tokens,
    cachedInputTokens: u.input_tokens_details.cached_tokens,
    cacheWriteTokens: u.input_tokens_details.cache_write_tokens,
    outputTokens: u.output_tokens,
    reasoningTokens: u.output_tokens_details.reasoning_tokens,
  };
}

function expectedEmbeddings(body: Body): TokenUsage {
  const u = embeddingsUsage(body);
  return {
    inputTokens: u.prompt_tokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
  };
}

/** Anthropic's input_tokens excludes the cache counters; the record's input includes them. */
function expectedAnthropic(body: Body, settings: typeof SETTINGS): TokenUsage {
  const u = anthropicUsage(body, { ...upstreamDefaults, ...settings });
  return {
    inputTokens: u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens,
    cachedInputTokens: u.cache_read_input_tokens,
    cacheWriteTokens: u.cache_creation_input_tokens,
    outputTokens: u.output_tokens,
    reasoningTokens: 0,
  };
}

let upstreamDefaults: FakeUpstream['control']['settings'];

const tokensOf = (r: UsageRecord): TokenUsage => ({
  inputTokens: r.inputTokens,
  cachedInputTokens: r.cachedInputTokens,
  cacheWriteTokens: r.cacheWriteTokens,
  outputTokens: r.outputTokens,
  reasoningTokens: r.reasoningTokens,
});

/** The `data:` payloads of an SSE body, in order. */
const dataLines = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => line.slice(6));

for (const engine of engines) {
  describe(`usage records (${engine})`, () => {
    let as: RunningAs;
    let upstream: FakeUpstream;
    let proxy: RunningProxy;
    let accountId: string;
    let token: string;
    let openai: OpenAI;
    let anthropic: Anthropic;

    const start = async (options: Parameters<typeof startProxy>[2] = {}) => {
      const started = await startProxy(as, upstream, options);
      await started.setProviderKey(accountId, 'openai', upstream.openaiKey);
      await started.setProviderKey(accountId, 'anthropic', upstream.anthropicKey);
      return started;
    };

    /** The record of a request, once the proxy queued and wrote it. */
    async function recordOf(id: string | null): Promise<UsageRecord> {
      expect(id).to.be.a('string');
      for (let i = 0; i < 200; i++) {
        await proxy.usage.flush();
        const row = await as.database.db('usage_records').where({ id }).first('grant_id');
        if (row) {
          const all = await createUsageStore(as.database.db).forGrant(row.grant_id);
          return all.find((r) => r.id === id) as UsageRecord;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no usage record ${id}`);
    }

    const post = (path: string, body: Body, signal?: AbortSignal) =>
      fetch(`${proxy.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
        },
        body: JSON.stringify(body),
        ...(signal ? { signal } : {}),
      });

    before(async () => {
      as = await startAuthorizationServer(engine);
      accountId = await as.addUser('alice', 'correct horse battery');
      upstream = await createFakeUpstream(SETTINGS);
      upstreamDefaults = upstream.control.settings;
      proxy = await start();
      const app = await as.addClient({
        name: 'Writer',
        allowedScopes: ['openai:*:chat', 'openai:*:embeddings', 'anthropic:*:chat'],
      });
      const config = await discover(as, app.clientId);
      const tokens = await exchange(
        await authorize(config, as, createUserAgent(), { redirectUri: app.redirectUri, scope: SCOPE }),
      );
      token = tokens.access_token;
      openai = new OpenAI({ apiKey: token, baseURL: proxy.openaiBaseURL, maxRetries: 0 });
      anthropic = new Anthropic({ apiKey: token, baseURL: proxy.anthropicBaseURL, maxRetries: 0 });
    });
    after(async () => {
      await proxy?.close();
      await upstream?.close();
      await as?.close();
    });
    beforeEach(() => upstream.control.reset());
    afterEach(() => upstream.control.release());

    it('chat completion (JSON): usage equals the upstream usage, with the request facts', async () => {
      const body = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user' as const, content: 'count these five words' }],
      };
      const { response } = await openai.chat.completions.create(body).withResponse();
      const record = await recordOf(response.headers.get('x-mandate-request-id'));
      expect(tokensOf(record)).to.deep.equal(expectedChat(body, SETTINGS));
      expect(record).to.include({
        accountId,
        provider: 'openai',
        model: 'gpt-4o-mini',
        capability: 'chat',
        status: 200,
        clientAborted: false,
        upstreamFailed: false,
      });
      expect(record.grantId).to.be.a('string').and.not.equal('');
      expect(record.upstreamMs).to.be.a('number');
    });

    it('chat stream the client did not ask usage of: asked upstream, extra chunk stripped', async () => {
      upstream.control.next({ settings: { chunkDelayMs: 2 } });
      const body = {
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'stream three words' }],
      };
      const res = await post('/openai/v1/chat/completions', body);
      const text = await res.text();
      const sent = upstream.requests.at(-1)?.json as Body;
      expect(sent.stream_options).to.deep.equal({ include_usage: true });
      const events = dataLines(text);
      expect(events.at(-1)).to.equal('[DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      expect(chunks.some((c) => c.choices.length === 0)).to.equal(false);
      expect(chunks.some((c) => c.usage)).to.equal(false);
      expect(chunks.at(-1).choices[0].finish_reason).to.equal('stop');
      // Only that chunk is gone: one role chunk, the content chunks, one finish chunk.
      expect(chunks).to.have.length(SETTINGS.chunkCount + 2);
      const record = await recordOf(res.headers.get('x-mandate-request-id'));
      expect(tokensOf(record)).to.deep.equal(expectedChat(body, SETTINGS));
    });

    it('chat stream with stream_options.include_usage: the SDK sees the usage chunk', async () => {
      const body = {
        model: 'gpt-4o-mini',
        stream: true as const,
        stream_options: { include_usage: true },
        messages: [{ role: 'user' as const, content: 'stream and tell usage' }],
      };
      const { data: stream, response } = await openai.chat.completions.create(body).withResponse();
      let usage: unknown;
      for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
      expect(usage).to.deep.equal(chatUsage(body, upstream.control.settings));
      const record = await recordOf(response.headers.get('x-mandate-request-id'));
      expect(tokensOf(record)).to.deep.equal(expectedChat(body, SETTINGS));
      expect((upstream.requests.at(-1)?.json as Body | undefined)?.stream_options).to.deep.equal({
        include_usage: true,
      });
    });

    it('responses (JSON and stream): usage from usage / response.completed', async () => {
      const body = { model: 'gpt-4o-mini', instructions: 'be brief', input: 'hello there you' };
      const { response } = await openai.responses.create(body).withResponse();
      const plain = await recordOf(response.headers.get('x-mandate-request-id'));
      expect(tokensOf(plain)).to.deep.equal(expectedResponses(body, SETTINGS));
      expect(plain.capability).to.equal('chat');

      const streamed = { ...body, stream: true as const };
      const { data: stream, response: head } = await openai.responses.create(streamed).withResponse();
      for await (const _ of stream);
      const record = await recordOf(head.headers.get('x-mandate-request-id'));
      expect(tokensOf(record)).to.deep.equal(expectedResponses(streamed, SETTINGS));
    });

    it('responses stream cut by max_output_tokens: usage from response.incomplete', async () => {
      const body = {
        model: 'gpt-4o-mini',
        input: 'a longer answer please',
        max_output_tokens: 6,
        stream: true,
      };
      const res = await post('/openai/v1/responses', body);
      expect(await res.text()).to.include('response.incomplete');
      const record = await recordOf(res.headers.get('x-mandate-request-id'));
      expect(tokensOf(record)).to.deep.equal(expectedResponses(body, SETTINGS));
    });

    it('embeddings: usage.prompt_tokens', async () => {
      const body = { model: 'text-embedding-3-small', input: ['one two', 'three four five'] };
      const { response } = await openai.embeddings.create(body).withResponse();
      const record = await recordOf(response.headers.get('x-mandate-request-id'));
      expect(tokensOf(record)).to.deep.equal(expectedEmbeddings(body));
      expect(record.capability).to.equal('embeddings');
    });

    it('anthropic messages (JSON and stream): cache counters counted, message_delta overwrites', async () => {
      const body = {
        model: 'claude-sonnet-5-5',
        max_tokens: 64,
        system: 'you are terse',
        messages: [{ role: 'user' as const, content: 'hello claude how are you' }],
      };
      const { response } = await anthropic.messages.create(body).withResponse();
      const plain = await recordOf(response.headers.get('x-mandate-request-id'));
      expect(tokensOf(plain)).to.deep.equal(expectedAnthropic(body, SETTINGS));
      expect(plain.provider).to.equal('anthropic');

      const { data: stream, response: head } = await anthropic.messages
        .create({ ...body, stream: true })
        .withResponse();
      for await (const _ of stream);
      const streamed = await recordOf(head.headers.get('x-mandate-request-id'));
      expect(tokensOf(streamed)).to.deep.equal(expectedAnthropic(body, SETTINGS));
    });

    it('client abort mid-stream: records the worst case (input bound, max_tokens), client_aborted', async () => {
      upstream.control.next({ fault: { kind: 'stall', afterEvents: 2 } });
      const body = {
        model: 'claude-sonnet-5-5',
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: 'this will be cut off' }],
      };
      const controller = new AbortController();
      const res = await post('/anthropic/v1/messages', body, controller.signal);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let seen = '';
      while (!seen.includes('content_block_start'))
        seen += new TextDecoder().decode((await reader.read()).value);
      await upstream.control.waitForStall();
      controller.abort();
      const record = await recordOf(res.headers.get('x-mandate-request-id'));
      expect(record.clientAborted).to.equal(true);
      // message_start's usage (output_tokens: 1) is partial: the abort is charged what the
      // provider could bill, the body's bytes as input and all of max_tokens.
      expect(tokensOf(record)).to.deep.equal({
        ...zeros,
        inputTokens: Buffer.byteLength(JSON.stringify(body)),
        outputTokens: 64,
      });
      expect(record.costMicroUsd).to.be.a('number').and.above(0);
    });

    it('client abort before any usage: the worst case, the model maximum as output, client_aborted', async () => {
      upstream.control.next({ fault: { kind: 'stall', afterEvents: 1 } });
      const body = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'cut me' }] };
      const controller = new AbortController();
      const res = await post('/openai/v1/chat/completions', body, controller.signal);
      await upstream.control.waitForStall();
      controller.abort();
      const record = await recordOf(res.headers.get('x-mandate-request-id'));
      expect(record.clientAborted).to.equal(true);
      // No output bound in the request: the model's maximum is what the provider could bill.
      const max = findPrice(DEFAULT_PRICES, 'openai', 'gpt-4o-mini')?.maxOutputTokens;
      expect(max).to.be.a('number');
      expect(tokensOf(record)).to.deep.equal({
        ...zeros,
        inputTokens: Buffer.byteLength(JSON.stringify(body)),
        outputTokens: max,
      });
    });

    it('graceful close writes the records still queued', async () => {
      await proxy.close();
      proxy = await start({ usage: { flushIntervalMs: 60_000, batchSize: 10_000 } });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const body = { model: 'text-embedding-3-small', input: `queued ${i}` };
        const res = await post('/openai/v1/embeddings', body);
        await res.arrayBuffer();
        ids.push(res.headers.get('x-mandate-request-id') as string);
      }
      for (let i = 0; i < 200 && proxy.usage.pending < 3; i++) await new Promise((r) => setTimeout(r, 10));
      expect(proxy.usage.pending).to.equal(3);
      expect(await as.database.db('usage_records').whereIn('id', ids)).to.have.length(0);
      await proxy.close();
      expect(await as.database.db('usage_records').whereIn('id', ids)).to.have.length(3);
      proxy = await start();
    });
  });
}
