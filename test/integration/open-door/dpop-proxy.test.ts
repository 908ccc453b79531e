import { request } from 'node:http';
import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import OpenAI from 'openai';
import { engines } from '../../support/databases.ts';
import { type DpopApp, registerDpopApp } from '../../support/dpop-app.ts';
import { dpopFetch, dpopProof } from '../../support/dpop-fetch.ts';
import { openDoorFixtureHooks } from '../../support/open-door-fixture.ts';
import { expectDpopChallenge } from '../../support/proxy-clients.ts';
import type { ProxyFixture } from '../../support/proxy-fixture.ts';
import { type SpawnedProxies, spawnProxies } from '../../support/spawn-proxies.ts';

const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

/*
 * The proxy's side of DPoP (RFC 9449 §7): a bound token is honoured only as
 * `Authorization: DPoP` with one valid proof of its key for this request, each proof
 * once across every proxy process; everything else is a 401 with the DPoP challenge.
 * Clients: oauth4webapi (its DPoP handle), the official openai SDK with a DPoP `fetch`,
 * and hand-made proofs for each way a proof can be wrong.
 */
for (const engine of engines) {
  describe(`DPoP at the proxy (${engine})`, () => {
    let fx: ProxyFixture;
    let app: DpopApp;
    let keys: oauth.CryptoKeyPair;
    let tokens: oauth.TokenEndpointResponse;
    openDoorFixtureHooks(engine, (door) => {
      ({ fx } = door);
    });
    before(async () => {
      app = await registerDpopApp(fx);
      keys = await oauth.generateKeyPair('ES256');
      tokens = await app.authorize('openai:*:chat', oauth.DPoP(app.client, keys));
    });
    beforeEach(() => fx.upstream.control.reset());

    const chatUrl = () => `${fx.proxy.openaiBaseURL}/chat/completions`;
    const post = (headers: Record<string, string> | [string, string][], url = chatUrl()) =>
      fetch(url, {
        method: 'POST',
        headers: new Headers([
          ...(Array.isArray(headers) ? headers : Object.entries(headers)),
          ['content-type', 'application/json'],
        ]),
        body: JSON.stringify(CHAT),
      });
    const proofFor = (
      extra: Record<string, unknown> = {},
      over: { htm?: string; htu?: string; token?: string } = {},
      signer = keys,
    ) =>
      dpopProof(signer, {
        htm: over.htm ?? 'POST',
        htu: over.htu ?? chatUrl(),
        accessToken: over.token ?? tokens.access_token,
        extra,
      });
    /** A POST with the headers exactly as given, an array's values each on its own line (`fetch` would join them). */
    const rawPost = (url: string, headers: Record<string, string | string[]>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          url,
          { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              body += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode as number, body }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(CHAT));
      });
    const refusedProof = async (res: Response, reason: string) => {
      expect(res.status).to.equal(401);
      expectDpopChallenge(res.headers, 'invalid_dpop_proof');
      expect(((await res.json()) as { error: { message: string } }).error.message).to.include(reason);
    };

    it('oauth4webapi sends the bound token with its proof: served with the stored key, the proof not forwarded', async () => {
      const res = await oauth.protectedResourceRequest(
        tokens.access_token,
        'POST',
        new URL(chatUrl()),
        new Headers({ 'content-type': 'application/json' }),
        JSON.stringify(CHAT),
        { DPoP: oauth.DPoP(app.client, keys), [oauth.allowInsecureRequests]: true },
      );
      expect(res.status).to.equal(200);
      const seen = fx.upstream.requests.at(-1);
      expect(seen?.headers.authorization).to.equal(`Bearer ${fx.upstream.openaiKey}`);
      expect(seen?.headers.dpop).to.equal(undefined);
    });

    it('the official openai SDK with a DPoP fetch: a chat and a stream', async () => {
      const openai = new OpenAI({
        apiKey: tokens.access_token,
        baseURL: fx.proxy.openaiBaseURL,
        fetch: dpopFetch(keys, tokens.access_token),
        maxRetries: 0,
      });
      const chat = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: CHAT.messages });
      expect(chat.choices[0]?.message.content).to.be.a('string');
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: CHAT.messages,
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).to.not.equal('');
    });

    it('a proof used twice is refused the second time, and so is a burst of one proof but one', async () => {
      const seen = fx.upstream.requests.length;
      const proof = await proofFor();
      const auth = { authorization: `DPoP ${tokens.access_token}`, dpop: proof };
      expect((await post(auth)).status).to.equal(200);
      await refusedProof(await post(auth), 'already used');
      const burst = await proofFor();
      const statuses = await Promise.all(
        Array.from({ length: 10 }, () =>
          post({ authorization: `DPoP ${tokens.access_token}`, dpop: burst }).then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s === 200)).to.have.length(1);
      expect(statuses.filter((s) => s === 401)).to.have.length(9);
      expect(fx.upstream.requests.length - seen).to.equal(2);
    });

    it('each wrong proof is refused, and nothing reaches the provider', async () => {
      const seen = fx.upstream.requests.length;
      const other = await oauth.generateKeyPair('ES256');
      const auth = `DPoP ${tokens.access_token}`;
      const cases: Array<[string, Promise<string> | string, string]> = [
        ['another URL (htu)', proofFor({}, { htu: `${fx.proxy.openaiBaseURL}/embeddings` }), 'htu'],
        [
          'another host (htu)',
          proofFor({}, { htu: 'https://proxy.example/openai/v1/chat/completions' }),
          'htu',
        ],
        ['another method (htm)', proofFor({}, { htm: 'GET' }), 'htm'],
        ['another token (ath)', proofFor({}, { token: 'another.access.token' }), 'ath'],
        ['another key', proofFor({}, {}, other), 'not signed by the key'],
        ['two minutes old (iat)', proofFor({ iat: Math.floor(Date.now() / 1000) - 120 }), 'iat'],
        ['from the future (iat)', proofFor({ iat: Math.floor(Date.now() / 1000) + 120 }), 'iat'],
        ['iat a string', proofFor({ iat: String(Math.floor(Date.now() / 1000)) }), 'iat'],
        ['no jti', proofFor({ jti: undefined }), 'jti'],
        ['not a JWT', 'garbage', 'not a JWT'],
      ];
      for (const [what, proof, reason] of cases) {
        const res = await post({ authorization: auth, dpop: await proof });
        await refusedProof(res, reason).catch((err: Error) => {
          throw new Error(`${what}: ${err.message}`);
        });
      }
      await refusedProof(await post({ authorization: auth }), 'needs a DPoP proof');
      // Two proofs: on two header lines (raw HTTP), or joined into one by fetch.
      const [one, two] = [await proofFor(), await proofFor()];
      const raw = await rawPost(chatUrl(), { authorization: auth, dpop: [one, two] });
      expect(raw.status, raw.body).to.equal(401);
      expect(raw.body).to.include('exactly one DPoP proof');
      await refusedProof(await post({ authorization: auth, dpop: `${one}, ${two}` }), 'DPoP proof');
      expect(fx.upstream.requests.length).to.equal(seen);
    });

    it('a bound token as a bearer token and an unbound one as DPoP are invalid_token', async () => {
      const seen = fx.upstream.requests.length;
      for (const headers of [
        { authorization: `Bearer ${tokens.access_token}`, dpop: await proofFor() } as Record<string, string>,
        { 'x-api-key': tokens.access_token },
      ]) {
        const res = await post(headers);
        expect(res.status).to.equal(401);
        expectDpopChallenge(res.headers, 'invalid_token');
      }
      const unbound = await fx.grant('openai:*:chat');
      const res = await post({
        authorization: `DPoP ${unbound.accessToken}`,
        dpop: await proofFor({}, { token: unbound.accessToken }),
      });
      expect(res.status).to.equal(401);
      expectDpopChallenge(res.headers, 'invalid_token');
      expect(await res.text()).to.include('not bound to a DPoP key');
      expect(fx.upstream.requests.length).to.equal(seen);
    });

    it('the refreshed bound token works with a proof of the same key', async () => {
      const refreshed = await oauth.processRefreshTokenResponse(
        app.server,
        app.client,
        await oauth.refreshTokenGrantRequest(
          app.server,
          app.client,
          oauth.None(),
          tokens.refresh_token as string,
          {
            DPoP: oauth.DPoP(app.client, keys),
            [oauth.allowInsecureRequests]: true,
          },
        ),
      );
      tokens = refreshed;
      const res = await post({ authorization: `DPoP ${refreshed.access_token}`, dpop: await proofFor() });
      expect(res.status).to.equal(200);
    });

    describe('with server nonces (proxy.dpop.nonce)', () => {
      before(() => fx.restartProxy({ dpop: { nonce: true } }));
      after(() => fx.restartProxy());

      it('oauth4webapi is asked for a nonce, retries with it and is served; a made-up nonce is refused', async () => {
        const DPoP = oauth.DPoP(app.client, keys);
        const send = () =>
          oauth.protectedResourceRequest(
            tokens.access_token,
            'POST',
            new URL(chatUrl()),
            new Headers({ 'content-type': 'application/json' }),
            JSON.stringify(CHAT),
            { DPoP, [oauth.allowInsecureRequests]: true },
          );
        const first = await send().then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(oauth.isDPoPNonceError(first)).to.equal(true);
        const served = await send();
        expect(served.status).to.equal(200);
        expect(served.headers.get('dpop-nonce')).to.be.a('string').with.length(32);
        const madeUp = await post({
          authorization: `DPoP ${tokens.access_token}`,
          dpop: await proofFor({ nonce: 'A'.repeat(32) }),
        });
        expect(madeUp.status).to.equal(401);
        expectDpopChallenge(madeUp.headers, 'use_dpop_nonce');
        expect(madeUp.headers.get('dpop-nonce')).to.equal(served.headers.get('dpop-nonce'));
      });
    });

    describe('two proxy processes behind one URL', () => {
      let spawned: SpawnedProxies;
      before(async () => {
        spawned = await spawnProxies(fx.as, fx.upstream, { count: 2 });
      });
      after(() => spawned?.close());

      it('a proof accepted by one process is refused by the other', async () => {
        const [a, b] = spawned.proxies;
        const path = '/openai/v1/chat/completions';
        const proof = await proofFor({}, { htu: `${fx.as.proxyUrl}${path}` });
        const auth = { authorization: `DPoP ${tokens.access_token}`, dpop: proof };
        expect((await post(auth, `${a?.url}${path}`)).status).to.equal(200);
        await refusedProof(await post(auth, `${b?.url}${path}`), 'already used');
        await refusedProof(await post(auth, `${a?.url}${path}`), 'already used');
        // A proof for the process's own address is for another URL: the public one counts.
        const local = await proofFor({}, { htu: `${b?.url}${path}` });
        await refusedProof(await post({ ...auth, dpop: local }, `${b?.url}${path}`), 'htu');
        // The SDK through the other process, its proofs for the public URL.
        const openai = new OpenAI({
          apiKey: tokens.access_token,
          baseURL: `${b?.url}/openai/v1`,
          fetch: dpopFetch(keys, tokens.access_token, fx.as.proxyUrl),
          maxRetries: 0,
        });
        const chat = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: CHAT.messages });
        expect(chat.choices).to.have.length(1);
      });
    });
  });
}
