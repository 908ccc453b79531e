import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });

for (const engine of engines) {
  describe(`proxy: the authorization server away, upstream 403s, browser errors (${engine})`, () => {
    let fx: ProxyFixture;
    let token: string;

    before(async () => {
      fx = await startProxyFixture(engine, { redirectUris: ['https://writer.example/callback'] });
      token = (await fx.grant('openai:gpt-4o-mini:chat')).accessToken;
    });
    after(() => fx.close());
    beforeEach(() => fx.upstream.control.reset());

    const chat = (headers: Record<string, string> = {}) =>
      fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: chatBody,
      });

    it('with the authorization server down and no keys cached yet: 503 in the provider shape, then it recovers', async () => {
      await fx.restartProxy(); // a fresh proxy: its JWKS cache is cold
      const port = Number(new URL(fx.as.issuer).port);
      fx.as.server.closeAllConnections();
      await new Promise((resolve) => fx.as.server.close(resolve));
      try {
        const refused = await chat();
        expect(refused.status).to.equal(503);
        const body = (await refused.json()) as { error: { code: string; message: string } };
        expect(body.error.code).to.equal('unavailable');
        expect(body.error.message).to.match(/authorization server/);
      } finally {
        fx.as.server.listen(port, '127.0.0.1');
        await new Promise((resolve) => fx.as.server.once('listening', resolve));
      }
      expect((await chat()).status).to.equal(200);
    });

    it('an upstream 403 that is not about the key passes through unchanged', async () => {
      fx.upstream.control.next({
        fault: { kind: 'status', status: 403, message: 'this model is not available in your region' },
      });
      const res = await chat();
      expect(res.status).to.equal(403);
      expect(await res.text()).to.include('not available in your region');
    });

    it('an upstream 403 about the key is the same 502 as a rejected key', async () => {
      fx.upstream.control.next({
        fault: {
          kind: 'status',
          status: 403,
          message: 'Your API key does not have permission to use this resource',
        },
      });
      const res = await chat();
      expect(res.status).to.equal(502);
      expect(res.headers.get('x-should-retry')).to.equal('false');
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal(
        'upstream_key_rejected',
      );
    });

    it('a browser app can read a refusal (401) and the headers it needs, from its registered origin', async () => {
      const origin = 'https://writer.example';
      const refused = await fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer not-a-token', origin, 'content-type': 'application/json' },
        body: chatBody,
      });
      expect(refused.status).to.equal(401);
      expect(refused.headers.get('access-control-allow-origin')).to.equal(origin);
      expect(refused.headers.get('access-control-expose-headers')).to.include('www-authenticate');
      const ok = await chat({ origin });
      expect(ok.status).to.equal(200);
      expect(ok.headers.get('access-control-allow-origin')).to.equal(origin);
      expect(ok.headers.get('access-control-expose-headers')).to.include('x-mandate-request-id');
      const stranger = await fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer not-a-token', origin: 'https://evil.example' },
        body: chatBody,
      });
      expect(stranger.headers.get('access-control-allow-origin')).to.equal(null);
    });
  });
}
