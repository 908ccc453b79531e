import { ApiError } from '@google/genai';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { createUsageStore, type UsageRecord } from '../../../src/storage/usage-store.ts';
import { engines } from '../../support/databases.ts';
import { geminiPromptTokens } from '../../support/fake-upstream/index.ts';
import { geminiClient, geminiErrorOf } from '../../support/gemini-client.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

const SCOPE = [
  'google:gemini-2.5-flash:chat',
  'google:gemini-embedding-001:embeddings',
  'google:gemini-2.5-flash:models',
  'google:gemini-embedding-001:models',
].join(' ');

/** Gemini through the official `@google/genai` SDK, JSON and streaming, on both databases. */
for (const engine of engines) {
  describe(`Gemini through @google/genai (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;
    let token: string;
    let grantId: string;

    before(async () => {
      fx = await startProxyFixture(engine);
      token = (await fx.grant(SCOPE)).accessToken;
      grantId = String(decodeJwt(token).grant_id);
    });
    after(async () => {
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());

    async function lastRecord(count: number): Promise<UsageRecord> {
      const usage = createUsageStore(fx.as.database.db);
      let rows = await usage.forGrant(grantId);
      for (let i = 0; i < 250 && rows.length < count; i++) {
        await fx.proxy.usage.flush();
        rows = await usage.forGrant(grantId);
        if (rows.length < count) await new Promise((r) => setTimeout(r, 20));
      }
      expect(rows.length).to.be.at.least(count);
      return rows.sort((a, b) => a.createdAt - b.createdAt).at(-1) as UsageRecord;
    }
    const recordsSoFar = async () => (await createUsageStore(fx.as.database.db).forGrant(grantId)).length;

    it('generateContent: the person key goes as x-goog-api-key, the token never; usage from usageMetadata', async () => {
      fx.upstream.control.set({ chunkCount: 7, reasoningTokens: 3, cachedTokens: 2 });
      const before = await recordsSoFar();
      const ai = geminiClient(fx.proxy.googleBaseURL, token);
      const response = await ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'say hello to the whole world',
      });
      expect(response.text).to.be.a('string').and.not.equal('');
      expect(response.usageMetadata?.candidatesTokenCount).to.equal(7);
      const seen = fx.upstream.requests.at(-1);
      expect(seen?.path).to.equal('/google/v1/models/gemini-2.5-flash:generateContent');
      expect(seen?.headers['x-goog-api-key']).to.equal(fx.upstream.googleKey);
      expect(seen?.search).to.equal('');
      expect(JSON.stringify(seen?.headers)).to.not.include(token);
      const record = await lastRecord(before + 1);
      expect(record).to.include({
        provider: 'google',
        model: 'gemini-2.5-flash',
        capability: 'chat',
        inputTokens: 6,
        cachedInputTokens: 2,
        outputTokens: 10,
        reasoningTokens: 3,
        status: 200,
      });
      // gemini-2.5-flash: 4 × 0.30 + 2 × 0.03 + 10 × 2.50 µ$ = 26.26 → 27
      expect(record.costMicroUsd).to.equal(27);
    });

    it('streamGenerateContent (alt=sse) arrives chunk by chunk; the last chunk usage is recorded', async () => {
      fx.upstream.control.set({ chunkCount: 12 });
      const before = await recordsSoFar();
      const ai = geminiClient(fx.proxy.googleBaseURL, token, 'v1beta');
      const stream = await ai.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'stream a story please',
      });
      let chunks = 0;
      let text = '';
      for await (const chunk of stream) {
        chunks++;
        text += chunk.text ?? '';
      }
      expect(chunks).to.equal(12);
      expect(text.split(' ')).to.have.length(12);
      const seen = fx.upstream.requests.at(-1);
      expect(seen?.path).to.equal('/google/v1beta/models/gemini-2.5-flash:streamGenerateContent');
      expect(seen?.search).to.equal('?alt=sse');
      const record = await lastRecord(before + 1);
      expect(record).to.include({ inputTokens: 4, outputTokens: 12, clientAborted: false });
    });

    it('countTokens and embedContent (the SDK sends batchEmbedContents)', async () => {
      const ai = geminiClient(fx.proxy.googleBaseURL, token);
      const counted = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'one two three' });
      expect(counted.totalTokens).to.equal(geminiPromptTokens({ contents: 'one two three' }));
      const embedded = await ai.models.embedContent({
        model: 'gemini-embedding-001',
        contents: ['first text', 'second text'],
        config: { outputDimensionality: 4 },
      });
      expect(embedded.embeddings).to.have.length(2);
      expect(embedded.embeddings?.[0]?.values).to.have.length(4);
      expect(fx.upstream.requests.at(-1)?.route).to.equal(
        '/v1/models/gemini-embedding-001:batchEmbedContents',
      );
      const single = await fetch(
        `${fx.proxy.googleBaseURL}/v1beta/models/gemini-embedding-001:embedContent`,
        {
          method: 'POST',
          headers: { 'x-goog-api-key': token, 'content-type': 'application/json' },
          body: JSON.stringify({ content: { parts: [{ text: 'one text' }] } }),
        },
      );
      expect(single.status).to.equal(200);
      expect(((await single.json()) as { embedding: { values: number[] } }).embedding.values).to.have.length(
        8,
      );
    });

    it('the model listing shows only the granted models; get works for a granted one', async () => {
      const ai = geminiClient(fx.proxy.googleBaseURL, token);
      const names: string[] = [];
      for await (const model of await ai.models.list()) names.push(model.name ?? '');
      expect(names.sort()).to.deep.equal(['models/gemini-2.5-flash', 'models/gemini-embedding-001']);
      const model = await ai.models.get({ model: 'gemini-2.5-flash' });
      expect(model.name).to.equal('models/gemini-2.5-flash');
      const refused = await ai.models.get({ model: 'gemini-2.5-pro' }).catch((err: unknown) => err);
      expect(refused).to.be.instanceOf(ApiError);
      expect((refused as ApiError).status).to.equal(403);
    });

    it('a model outside the grant is 403 insufficient_scope in Google error shape', async () => {
      const since = fx.upstream.requests.length;
      const ai = geminiClient(fx.proxy.googleBaseURL, token);
      const err = await ai.models
        .generateContent({ model: 'gemini-2.5-pro', contents: 'hi' })
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ApiError);
      const { status, body } = geminiErrorOf(err);
      expect(status).to.equal(403);
      expect(body).to.deep.include({
        error: {
          code: 403,
          message: 'Mandate: this app was not granted google:gemini-2.5-pro:chat',
          status: 'PERMISSION_DENIED',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'insufficient_scope',
              domain: 'mandate',
            },
          ],
        },
      });
      expect(fx.upstream.requests.length, 'nothing forwarded').to.equal(since);
    });
  });
}
