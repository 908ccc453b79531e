import { expect } from 'chai';
import OpenAI from 'openai';
import { engines } from '../../support/databases.ts';
import { claimsOf } from '../../support/mint-token.ts';
import {
  createExchangeRecorder,
  expectInvalidTokenChallenge,
  openaiClient,
  openaiRefusal,
} from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

for (const engine of engines) {
  describe(`proxy: metadata, health and metrics (${engine})`, () => {
    let fx: ProxyFixture;

    before(async () => {
      fx = await startProxyFixture(engine);
    });
    after(async () => {
      await fx?.close();
    });

    it('GET /.well-known/oauth-protected-resource: RFC 9728 metadata naming the proxy and its issuer', async () => {
      const res = await fetch(`${fx.proxy.url}/.well-known/oauth-protected-resource`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      const metadata = (await res.json()) as Record<string, unknown>;
      expect(metadata.resource).to.equal(fx.proxy.url);
      expect(metadata.authorization_servers).to.deep.equal([fx.as.issuer]);
      expect(metadata.bearer_methods_supported).to.deep.equal(['header']);
      expect(metadata.dpop_signing_alg_values_supported).to.deep.equal(['ES256', 'Ed25519', 'EdDSA']);
      expect(metadata.dpop_bound_access_tokens_required).to.equal(false);
      // The authorization server it names is really there, under that exact issuer.
      const discovery = (await (await fetch(`${fx.as.issuer}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
      };
      expect(discovery.issuer).to.equal(fx.as.issuer);
      // Tokens are issued for exactly this resource.
      const { accessToken } = await fx.grant('openai:gpt-4o-mini:chat');
      const aud = claimsOf(accessToken).aud;
      expect(Array.isArray(aud) ? aud : [aud]).to.deep.equal([metadata.resource]);
    });

    it('the resource_metadata URL of a 401 challenge serves that metadata', async () => {
      const rec = createExchangeRecorder();
      const refused = await openaiRefusal(
        rec,
        openaiClient(fx.proxy.openaiBaseURL, 'not-a-token', { fetch: rec.fetch }).models.list(),
        { status: 401, errorClass: OpenAI.AuthenticationError, code: 'invalid_token' },
      );
      const challenge = expectInvalidTokenChallenge(refused.exchange.headers, fx.proxy.url);
      const metadata = (await (await fetch(challenge.resource_metadata as string)).json()) as {
        resource: string;
      };
      expect(metadata.resource).to.equal(fx.proxy.url);
    });

    it('GET /healthz: 200', async () => {
      const res = await fetch(`${fx.proxy.url}/healthz`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ status: 'ok' });
    });

    it('GET /metrics: Prometheus text with mandate_proxy_requests_total counting requests', async () => {
      const { accessToken } = await fx.grant('openai:gpt-4o-mini:chat');
      await openaiClient(fx.proxy.openaiBaseURL, accessToken).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'count me' }],
      });
      await fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, { method: 'POST' });
      const res = await fetch(`${fx.proxy.url}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/plain/);
      const text = await res.text();
      expect(text).to.include('# TYPE mandate_proxy_requests_total counter');
      expect(text).to.match(
        /^mandate_proxy_requests_total\{[^}]*provider="openai"[^}]*status="200"[^}]*\} [1-9]/m,
      );
      expect(text).to.match(/^mandate_proxy_requests_total\{[^}]*status="401"[^}]*\} [1-9]/m);
    });
  });
}
