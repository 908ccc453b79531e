import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { engines } from '../../support/databases.ts';
import { createFakeUpstream, type FakeUpstream } from '../../support/fake-upstream/index.ts';
import { authorize, discover, exchange } from '../../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { type RunningProxy, startProxy } from '../../support/start-proxy.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const SCOPE = [
  'openai:gpt-4o-mini:chat',
  'openai:text-embedding-3-small:embeddings',
  'openai:*:models',
  'anthropic:claude-sonnet-5-5:chat',
].join(' ');

for (const engine of engines) {
  describe(`the official SDKs through the proxy (${engine})`, () => {
    let as: RunningAs;
    let upstream: FakeUpstream;
    let proxy: RunningProxy;
    let token: string;
    let openai: OpenAI;
    let anthropic: Anthropic;

    before(async () => {
      as = await startAuthorizationServer(engine);
      const accountId = await as.addUser('alice', 'correct horse battery');
      upstream = await createFakeUpstream();
      proxy = await startProxy(as, upstream);
      await proxy.setProviderKey(accountId, 'openai', upstream.openaiKey);
      await proxy.setProviderKey(accountId, 'anthropic', upstream.anthropicKey);
      const app = await as.addClient({
        name: 'Writer',
        allowedScopes: ['openai:*:chat', 'openai:*:embeddings', 'openai:*:models', 'anthropic:*:chat'],
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

    it('chat completion: the upstream sees the real key, never the token', async () => {
      const completion = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'say hello to the world' }],
      });
      expect(completion.choices[0]?.message.content).to.be.a('string').and.not.equal('');
      const seen = upstream.requests.at(-1);
      expect(seen?.headers.authorization).to.equal(`Bearer ${upstream.openaiKey}`);
      expect(JSON.stringify(seen?.headers)).to.not.include(token);
    });

    it('streaming chat arrives chunk by chunk', async () => {
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'stream please' }],
        stream: true,
      });
      let chunks = 0;
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) chunks++;
      expect(chunks).to.be.greaterThan(1);
    });

    it('responses API, forced not to store upstream', async () => {
      const response = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hello there' });
      expect(response.output_text).to.be.a('string');
      expect(upstream.requests.at(-1)?.json).to.include({ store: false });
    });

    it('embeddings', async () => {
      const result = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'a b c' });
      expect(result.data[0]?.embedding).to.be.an('array').with.length.greaterThan(0);
    });

    it('model listing', async () => {
      const models = await openai.models.list();
      expect(models.data.map((m) => m.id)).to.include('gpt-4o-mini');
    });

    it('anthropic messages, plain and streaming', async () => {
      const message = await anthropic.messages.create({
        model: 'claude-sonnet-5-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hello claude' }],
      });
      expect(message.content[0]?.type).to.equal('text');
      const seen = upstream.requests.at(-1);
      expect(seen?.headers['x-api-key']).to.equal(upstream.anthropicKey);
      expect(seen?.headers.authorization).to.equal(undefined);
      const stream = anthropic.messages.stream({
        model: 'claude-sonnet-5-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'stream it' }],
      });
      const final = await stream.finalMessage();
      expect(final.usage.output_tokens).to.be.greaterThan(0);
    });

    it('refuses a model that was not granted, in the SDK error shape', async () => {
      let error: unknown;
      try {
        await openai.chat.completions.create({
          model: 'gpt-5.5',
          messages: [{ role: 'user', content: 'hi' }],
        });
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(OpenAI.PermissionDeniedError);
      expect((error as Error).message).to.include('openai:gpt-5.5:chat');
    });
  });
}
