import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

type GoogleError = {
  error: { code: number; message: string; status: string; details: Array<{ reason: string }> };
};

/**
 * What the proxy refuses on /google paths, over real HTTP: every refusal in Google's
 * error shape, and nothing of it forwarded.
 */
for (const engine of engines) {
  describe(`Gemini refusals (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;
    let token: string;
    let openaiToken: string;

    before(async () => {
      fx = await startProxyFixture(engine);
      token = (await fx.grant('google:gemini-2.5-flash:chat google:gemini-embedding-001:embeddings'))
        .accessToken;
      const other = await fx.addApp('Other');
      openaiToken = (await other.grant('openai:*:chat openai:*:models')).accessToken;
    });
    after(async () => {
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());

    async function send(
      path: string,
      init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<{ status: number; body: GoogleError }> {
      const since = fx.upstream.requests.length;
      const response = await fetch(`${fx.proxy.url}/google${path}`, {
        method: init.method ?? 'POST',
        headers: {
          'x-goog-api-key': token,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      const body = (await response.json()) as GoogleError;
      expect(fx.upstream.requests.length, `${path}: nothing forwarded`).to.equal(since);
      return { status: response.status, body };
    }

    const contents = [{ role: 'user', parts: [{ text: 'hello' }] }];
    const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';

    it('a key in the query is 400 and never forwarded; so is a fields mask', async () => {
      const withToken = await send(`${GENERATE}?key=AIzaAppOwnKey00000000000000000000000`, {
        body: { contents },
      });
      expect(withToken.status).to.equal(400);
      expect(withToken.body.error).to.include({ code: 400, status: 'INVALID_ARGUMENT' });
      expect(withToken.body.error.message).to.include('not in the key query parameter');
      expect(JSON.stringify(withToken.body)).to.not.include('AIzaAppOwnKey');
      const stream = await send('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=AIzaX', {
        body: { contents },
      });
      expect(stream.status).to.equal(400);
      // A fields mask could drop usageMetadata from the answer.
      const fields = await send(`${GENERATE}?fields=candidates`, { body: { contents } });
      expect(fields.status).to.equal(400);
    });

    it('stored-state endpoints are 403 endpoint_denied', async () => {
      for (const [method, path] of [
        ['GET', '/v1beta/files'],
        ['POST', '/v1beta/files'],
        ['POST', '/v1beta/cachedContents'],
        ['GET', '/v1beta/cachedContents/abc'],
        ['GET', '/v1beta/tunedModels'],
        ['POST', '/v1beta/tunedModels/mine:generateContent'],
        ['GET', '/v1beta/batches'],
        ['GET', '/v1beta/corpora'],
      ] as const) {
        const refused = await send(path, { method, ...(method === 'POST' ? { body: {} } : {}) });
        expect(refused.status, `${method} ${path}`).to.equal(403);
        expect(refused.body.error.status).to.equal('PERMISSION_DENIED');
        expect(refused.body.error.details[0]?.reason).to.equal('endpoint_denied');
      }
      const batch = await send('/v1beta/models/gemini-2.5-flash:batchGenerateContent', { body: {} });
      expect(batch.status).to.equal(404);
      expect(batch.body.error.status).to.equal('NOT_FOUND');
    });

    it('cachedContent and uploaded files in a body are 403 stored_state_denied', async () => {
      const cached = await send(GENERATE, { body: { contents, cachedContent: 'cachedContents/abc' } });
      expect(cached.status).to.equal(403);
      expect(cached.body.error.details[0]?.reason).to.equal('stored_state_denied');
      expect(cached.body.error.message).to.include('cachedContent');
      const file = await send(GENERATE, {
        body: {
          contents: [{ parts: [{ fileData: { fileUri: 'files/abc-123', mimeType: 'application/pdf' } }] }],
        },
      });
      expect(file.status).to.equal(403);
      const snake = await send(GENERATE, { body: { contents, cached_content: 'cachedContents/abc' } });
      expect(snake.status).to.equal(400);
    });

    it('a model outside the grant, and a token of another provider, are 403 insufficient_scope', async () => {
      const pro = await send('/v1beta/models/gemini-2.5-pro:generateContent', { body: { contents } });
      expect(pro.status).to.equal(403);
      expect(pro.body.error.message).to.equal('Mandate: this app was not granted google:gemini-2.5-pro:chat');
      const other = await send(GENERATE, { body: { contents }, headers: { 'x-goog-api-key': openaiToken } });
      expect(other.status).to.equal(403);
      expect(other.body.error.details[0]?.reason).to.equal('insufficient_scope');
      expect(other.body.error.message).to.include('google:gemini-2.5-flash:chat');
      // Embeddings are not chat, nor the other way round.
      const embedAsChat = await send('/v1beta/models/gemini-2.5-flash:embedContent', {
        body: { content: { parts: [{ text: 'x' }] } },
      });
      expect(embedAsChat.status).to.equal(403);
      // A listing needs a models scope.
      const listing = await send('/v1beta/models', { method: 'GET' });
      expect(listing.status).to.equal(403);
    });

    it('x-goog-api-key is read as the token on /google only; a missing or bad token is 401 in Google shape', async () => {
      const none = await send(GENERATE, { body: { contents }, headers: { 'x-goog-api-key': '' } });
      expect(none.status).to.equal(401);
      expect(none.body.error).to.include({ code: 401, status: 'UNAUTHENTICATED' });
      const bad = await send(GENERATE, {
        body: { contents },
        headers: { 'x-goog-api-key': 'AIzaNotAToken' },
      });
      expect(bad.status).to.equal(401);
      const openai = await fetch(`${fx.proxy.openaiBaseURL}/models`, {
        headers: { 'x-goog-api-key': openaiToken },
      });
      expect(openai.status, 'not a token header on /openai').to.equal(401);
    });

    it('Google refusing the person key (400 API_KEY_INVALID) is 502 upstream_key_rejected; another 400 passes', async () => {
      fx.upstream.control.next({ fault: { kind: 'reject-key' } });
      {
        const response = await fetch(`${fx.proxy.url}/google${GENERATE}`, {
          method: 'POST',
          headers: { 'x-goog-api-key': token, 'content-type': 'application/json' },
          body: JSON.stringify({ contents }),
        });
        const body = (await response.json()) as GoogleError;
        expect(response.status).to.equal(502);
        expect(response.headers.get('x-should-retry')).to.equal('false');
        expect(body.error.details[0]?.reason).to.equal('upstream_key_rejected');
        expect(body.error.message).to.include("the person's Google Gemini key was rejected");
        expect(fx.upstream.requests.at(-1)?.status, 'the upstream answered 400').to.equal(400);
      }
      // A 400 about the request itself is Google's own answer, passed on.
      const bad = await fetch(`${fx.proxy.url}/google${GENERATE}`, {
        method: 'POST',
        headers: { 'x-goog-api-key': token, 'content-type': 'application/json' },
        body: JSON.stringify({ notContents: true }),
      });
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as GoogleError).error.message).to.include('contents is not specified');
    });

    it('a stream of several candidates, and a body naming another model, are 400', async () => {
      const many = await send('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', {
        body: { contents, generationConfig: { candidateCount: 2 } },
      });
      expect(many.status).to.equal(400);
      const mismatch = await send('/v1beta/models/gemini-embedding-001:batchEmbedContents', {
        body: { requests: [{ model: 'models/gemini-2.5-pro', content: { parts: [{ text: 'x' }] } }] },
      });
      expect(mismatch.status).to.equal(400);
      expect(mismatch.body.error.message).to.include('another model than the path');
    });
  });
}
