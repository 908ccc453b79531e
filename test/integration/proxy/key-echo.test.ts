import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { type IssuedTokens, type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

const SCOPE = 'openai:gpt-4o-mini:chat anthropic:claude-sonnet-5-5:chat';
const messages = [{ role: 'user', content: 'hi' }];

for (const engine of engines) {
  describe(`proxy: a key the provider echoes never reaches the app (${engine})`, () => {
    let fx: ProxyFixture;
    let tokens: IssuedTokens;

    before(async () => {
      fx = await startProxyFixture(engine);
      tokens = await fx.grant(SCOPE);
    });
    after(async () => {
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());

    const openaiChat = (body: Record<string, unknown>) =>
      fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages, ...body }),
      });

    /** The answer's text and header values hold a same-length mask, never the key. */
    async function expectMasked(res: Response, key: string): Promise<string> {
      const text = await res.text();
      const mask = '*'.repeat(key.length);
      expect(text).not.to.include(key);
      expect(text).to.include(mask);
      expect(res.headers.get('x-echo-key')).to.equal(`sent ${mask}`);
      for (const [name, value] of res.headers) expect(value, name).not.to.include(key);
      return text;
    }

    it('in a 200 JSON body and a header: masked, the body still whole JSON of the same length', async () => {
      const key = fx.upstream.openaiKey;
      fx.upstream.control.next({ echoKey: true });
      const res = await openaiChat({});
      expect(res.status).to.equal(200);
      const text = await expectMasked(res, key);
      const body = JSON.parse(text) as { echo: string; choices: unknown[] };
      expect(body.echo).to.equal(`Incorrect API key provided: ${'*'.repeat(key.length)}`);
      expect(body.choices).to.have.length(1);
      // The upstream did get (and echo) the real key: the mask is the proxy's doing.
      expect((await fx.upstream.control.waitForEnd()).headers.authorization).to.equal(`Bearer ${key}`);

      const anthropicKey = fx.upstream.anthropicKey;
      fx.upstream.control.next({ echoKey: true });
      const a = await fetch(`${fx.proxy.anthropicBaseURL}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': tokens.accessToken, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-5-5', max_tokens: 16, messages }),
      });
      expect(a.status).to.equal(200);
      await expectMasked(a, anthropicKey);
    });

    it('in a 400 error body: passed through with the key masked', async () => {
      const key = fx.upstream.openaiKey;
      fx.upstream.control.next({ echoKey: true, fault: { kind: 'status', status: 400, message: 'bad' } });
      const res = await openaiChat({});
      expect(res.status).to.equal(400);
      const body = JSON.parse(await expectMasked(res, key)) as { error: { message: string } };
      expect(body.error.message).to.equal('bad');
    });

    it('mid-stream, cut across two chunks: masked, the events around it intact', async () => {
      const key = fx.upstream.openaiKey;
      fx.upstream.control.next({ echoKey: true, settings: { chunkDelayMs: 15, chunkCount: 3 } });
      const res = await openaiChat({ stream: true });
      expect(res.status).to.equal(200);
      const text = await expectMasked(res, key);
      expect(text).to.include(`: debug key ${'*'.repeat(key.length)}\n\n`);
      const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
      expect(events.at(-1)).to.equal('data: [DONE]');
      const content = events
        .slice(0, -1)
        .map((e) => JSON.parse(e.slice(6)) as { choices: Array<{ delta: { content?: string } }> })
        .map((chunk) => chunk.choices[0]?.delta.content ?? '')
        .join('');
      expect(content).to.equal('fake reply from');
      expect((await fx.upstream.control.waitForEnd()).eventsSent).to.be.greaterThan(3);
    });
  });
}
