import { expect } from 'chai';
import { decodeJwt } from 'jose';
import OpenAI from 'openai';
import { createProviderRegistry, useProviderRegistry } from '../../../src/scopes/index.ts';
import { createUsageStore, type UsageRecord } from '../../../src/storage/usage-store.ts';
import { engines } from '../../support/databases.ts';
import { grantIdOf, lowerLimits } from '../../support/limited-grant.ts';
import { createExchangeRecorder, openaiClient, rejectionOf } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

const MODEL = 'llama-3.3-70b-versatile';
/** Round prices: µ$ per token. */
const PRICES = {
  groq: { [MODEL]: { input: 1, output: 2 } },
  mistral: { 'mistral-large-latest': { input: 1, output: 2, maxOutputTokens: 1000 } },
};
/** A provider of the operator's own, taking its key in x-api-key. */
const ACME = {
  id: 'acme',
  name: 'Acme AI',
  baseUrl: 'https://api.acme.example/v1',
  keyHeader: 'x-api-key',
  endpoints: ['chat/completions', 'models'],
};
const SCOPES = [
  'openai:*:chat',
  'groq:*:chat',
  'groq:*:models',
  'groq:*:audio',
  'acme:*:chat',
  'mistral:*:chat',
];

/**
 * An OpenAI-compatible provider switched on as a preset (Groq) and one declared by the
 * operator (acme), through the official `openai` SDK with baseURL = the proxy's
 * `/<id>/v1`, against the fake acting as each: the person's key in the configured header,
 * the token never upstream, scopes per provider, usage and prices like OpenAI's.
 */
for (const engine of engines) {
  describe(`OpenAI-compatible providers through the openai SDK (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;
    let token: string;
    let grantId: string;

    before(async () => {
      fx = await startProxyFixture(engine, {
        providers: { presets: ['groq', 'mistral'], compatible: [ACME] },
        prices: PRICES,
        allowedScopes: SCOPES,
      });
      token = (await fx.grant(`groq:${MODEL}:chat groq:*:models acme:*:chat`)).accessToken;
      grantId = String(decodeJwt(token).grant_id);
    });
    after(async () => {
      await fx?.close();
      useProviderRegistry(createProviderRegistry());
    });
    beforeEach(() => fx.upstream.control.reset());

    async function records(count: number): Promise<UsageRecord[]> {
      const usage = createUsageStore(fx.as.database.db);
      let rows = await usage.forGrant(grantId);
      for (let i = 0; i < 250 && rows.length < count; i++) {
        await fx.proxy.usage.flush();
        rows = await usage.forGrant(grantId);
        if (rows.length < count) await new Promise((r) => setTimeout(r, 20));
      }
      expect(rows.length).to.be.at.least(count);
      return rows.sort((a, b) => a.createdAt - b.createdAt);
    }
    const recordsSoFar = async () => (await createUsageStore(fx.as.database.db).forGrant(grantId)).length;
    const groq = (t = token, options = {}) => openaiClient(fx.proxy.compatibleBaseURL('groq'), t, options);

    it('JSON chat: to the base URL Groq documents, the key as Bearer, the token never; metered and priced', async () => {
      fx.upstream.control.set({ chunkCount: 7 });
      const before = await recordsSoFar();
      const completion = await groq().chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'say hello to the whole world' }],
      });
      expect(completion.choices[0]?.message.content).to.be.a('string').and.not.equal('');
      expect(completion.usage?.completion_tokens).to.equal(7);
      const seen = fx.upstream.requests.at(-1);
      expect(seen?.provider).to.equal('groq');
      expect(seen?.path).to.equal('/groq/openai/v1/chat/completions');
      expect(seen?.headers.authorization).to.equal(`Bearer ${fx.upstream.groqKey}`);
      expect(JSON.stringify(seen?.headers)).to.not.include(token);
      // Nothing added that a strict compatible API could refuse.
      expect(seen?.json).to.not.have.property('store');
      expect(seen?.json).to.not.have.property('stream_options');
      const [record] = (await records(before + 1)).slice(-1);
      const input = completion.usage?.prompt_tokens ?? 0;
      expect(record).to.include({
        provider: 'groq',
        model: MODEL,
        capability: 'chat',
        inputTokens: input,
        outputTokens: 7,
        status: 200,
      });
      expect(record?.costMicroUsd).to.equal(input * 1 + 7 * 2);
    });

    it('streaming chat: chunk by chunk, usage asked for upstream and stripped again, recorded', async () => {
      fx.upstream.control.set({ chunkCount: 12 });
      const before = await recordsSoFar();
      const stream = await groq().chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'count to twelve' }],
        stream: true,
      });
      let deltas = 0;
      let sawUsage = false;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) deltas++;
        if (chunk.usage) sawUsage = true;
      }
      expect(deltas).to.equal(12);
      expect(sawUsage, 'the app did not ask for the usage chunk').to.equal(false);
      const seen = fx.upstream.requests.at(-1);
      expect(seen?.json).to.deep.include({ stream: true, stream_options: { include_usage: true } });
      const [record] = (await records(before + 1)).slice(-1);
      expect(record).to.include({ provider: 'groq', model: MODEL, outputTokens: 12, clientAborted: false });
    });

    it('a provider with keyHeader x-api-key gets the key there and no Authorization at all', async () => {
      const acme = openaiClient(fx.proxy.compatibleBaseURL('acme'), token);
      const completion = await acme.chat.completions.create({
        model: 'acme-large',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(completion.choices).to.have.length(1);
      const seen = fx.upstream.requests.at(-1);
      expect(seen?.provider).to.equal('acme');
      expect(seen?.path).to.equal('/acme/v1/chat/completions');
      expect(seen?.headers['x-api-key']).to.equal(fx.upstream.acmeKey);
      expect(seen?.headers.authorization).to.equal(undefined);
      expect(JSON.stringify(seen?.headers)).to.not.include(token);
    });

    it('the key never reaches the app or the logs, even when the provider echoes it', async () => {
      const key = fx.upstream.groqKey;
      const recorder = createExchangeRecorder();
      fx.upstream.control.next({ echoKey: true });
      await groq(token, { fetch: recorder.fetch }).chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'hi' }],
      });
      fx.upstream.control.next({ echoKey: true, fault: { kind: 'reject-key' } });
      const refused = await rejectionOf(
        groq(token, { fetch: recorder.fetch }).chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      expect(refused).to.be.instanceOf(OpenAI.APIError);
      expect(recorder.exchanges).to.have.length(2);
      // The echo of the key is masked; the refusal of a rejected key is the proxy's own.
      expect(await recorder.exchanges[0]?.body).to.include('*'.repeat(key.length));
      for (const exchange of recorder.exchanges) {
        expect(await exchange.body).to.not.include(key);
        for (const [name, value] of exchange.headers) expect(value, name).to.not.include(key);
      }
      expect(fx.proxy.logs.join('\n')).to.not.include(key).and.not.include(token);
      expect(fx.as.logs.text()).to.not.include(key);
    });

    it('scopes are per provider: an openai scope does not reach Groq, a Groq scope does not reach OpenAI', async () => {
      // Other apps of the same person: each app's grant holds only what it was given.
      const openaiOnly = (await (await fx.addApp('OpenAI only')).grant('openai:*:chat')).accessToken;
      const toGroq = await rejectionOf(
        groq(openaiOnly).chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      expect(toGroq).to.be.instanceOf(OpenAI.PermissionDeniedError);
      expect((toGroq as InstanceType<typeof OpenAI.APIError>).code).to.equal('insufficient_scope');
      const groqOnly = (await (await fx.addApp('Groq only')).grant(`groq:${MODEL}:chat`)).accessToken;
      const toOpenai = await rejectionOf(
        openaiClient(fx.proxy.openaiBaseURL, groqOnly).chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      expect(toOpenai).to.be.instanceOf(OpenAI.PermissionDeniedError);
      expect((toOpenai as InstanceType<typeof OpenAI.APIError>).code).to.equal('insufficient_scope');
      // Nor another compatible provider, nor another model of the same one.
      const toAcme = await rejectionOf(
        openaiClient(fx.proxy.compatibleBaseURL('acme'), groqOnly).chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      expect(toAcme).to.be.instanceOf(OpenAI.PermissionDeniedError);
      const otherModel = await rejectionOf(
        groq(groqOnly).chat.completions.create({
          model: 'llama-3.1-8b-instant',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      );
      expect(otherModel).to.be.instanceOf(OpenAI.PermissionDeniedError);
    });

    it('only the endpoints it serves: embeddings 404, stored state 403, store: true refused', async () => {
      const upstreamBefore = fx.upstream.requests.length;
      const embeddings = await rejectionOf(groq().embeddings.create({ model: MODEL, input: 'x' }));
      expect(embeddings).to.be.instanceOf(OpenAI.NotFoundError);
      const files = await rejectionOf(groq().files.list());
      expect(files).to.be.instanceOf(OpenAI.PermissionDeniedError);
      const stored = await rejectionOf(
        groq().chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'hi' }],
          store: true,
        }),
      );
      expect(stored).to.be.instanceOf(OpenAI.APIError);
      expect((stored as InstanceType<typeof OpenAI.APIError>).code).to.equal('stored_state_denied');
      expect(fx.upstream.requests.length, 'nothing reached the upstream').to.equal(upstreamBefore);
    });

    it('Mistral (strict about fields): nothing it refuses is added; stream usage comes unasked on the last chunk', async () => {
      // Another app of the person's, so the first app's grant stays.
      const { accessToken } = await (await fx.addApp('Mistral app')).grant('mistral:*:chat');
      const mistralGrant = grantIdOf(accessToken);
      await lowerLimits(fx, mistralGrant, { maxTokens: 100_000 });
      const mistral = openaiClient(fx.proxy.compatibleBaseURL('mistral'), accessToken);
      fx.upstream.control.set({ chunkCount: 9 });
      // A capped grant and no bound from the app: the proxy injects one, in max_tokens.
      const completion = await mistral.chat.completions.create({
        model: 'mistral-large-latest',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(completion.usage?.completion_tokens).to.equal(9);
      const json = fx.upstream.requests.at(-1)?.json as Record<string, unknown>;
      expect(fx.upstream.requests.at(-1)?.headers.authorization).to.equal(`Bearer ${fx.upstream.mistralKey}`);
      expect(json.max_tokens).to.be.a('number');
      for (const field of ['max_completion_tokens', 'store', 'stream_options'])
        expect(json, field).to.not.have.property(field);
      const stream = await mistral.chat.completions.create({
        model: 'mistral-large-latest',
        messages: [{ role: 'user', content: 'count to nine' }],
        stream: true,
      });
      let deltas = 0;
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) deltas++;
      expect(deltas).to.equal(9);
      expect(fx.upstream.requests.at(-1)?.json).to.not.have.property('stream_options');
      const usage = createUsageStore(fx.as.database.db);
      let rows = await usage.forGrant(mistralGrant);
      for (let i = 0; i < 250 && rows.length < 2; i++) {
        await fx.proxy.usage.flush();
        rows = await usage.forGrant(mistralGrant);
        if (rows.length < 2) await new Promise((r) => setTimeout(r, 20));
      }
      expect(rows.map((r) => [r.provider, r.outputTokens, r.clientAborted])).to.deep.equal([
        ['mistral', 9, false],
        ['mistral', 9, false],
      ]);
      // The fake refuses what Mistral refuses: the app's own stream_options gets Mistral's 422.
      const refused = await rejectionOf(
        mistral.chat.completions.create({
          model: 'mistral-large-latest',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      expect(refused).to.be.instanceOf(OpenAI.UnprocessableEntityError);
    });

    it('the model listing is Groq’s, filtered to the models scope', async () => {
      const models = [];
      for await (const model of groq().models.list()) models.push(model.id);
      expect(models).to.deep.equal(['llama-3.3-70b-versatile', 'llama-3.1-8b-instant', 'openai/gpt-oss-20b']);
      expect(fx.upstream.requests.at(-1)?.path).to.equal('/groq/openai/v1/models');
    });

    it('an operator key (proxy.operatorKeys.groq) serves a person who stored none', async () => {
      await fx.restartProxy({ operatorKeys: { groq: fx.upstream.groqKey } });
      try {
        await fx.as.database
          .db('provider_keys')
          .where({ account_id: fx.accountId, provider: 'groq' })
          .delete();
        const completion = await groq().chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'hi' }],
        });
        expect(completion.choices).to.have.length(1);
        expect(fx.upstream.requests.at(-1)?.headers.authorization).to.equal(`Bearer ${fx.upstream.groqKey}`);
        expect(fx.proxy.logs.join('\n')).to.not.include(fx.upstream.groqKey);
      } finally {
        // Back to the person's own key for whatever runs next.
        await fx.restartProxy();
      }
    });
  });
}
