import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { approveDevice, pollOnce, startDevice } from '../../support/device-flow.ts';
import { discover } from '../../support/oauth-flow.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const SCOPE = 'openai:gpt-4o-mini:chat';

for (const engine of engines) {
  describe(`device flow token at the proxy (${engine})`, () => {
    let fx: ProxyFixture;
    before(async () => {
      fx = await startProxyFixture(engine);
    });
    after(async () => {
      await fx.close();
    });

    it('a token from the device flow is served for the consented model with the official SDK, and refused for another', async () => {
      const app = await fx.as.addClient({ name: 'Terminal Agent', deviceFlow: true });
      const start = await startDevice(await discover(fx.as, app.clientId), fx.as, SCOPE);
      await approveDevice(createUserAgent(), start.verification_uri, start.user_code, {
        scope: SCOPE,
        username: fx.username,
        password: fx.password,
      });
      const { tokens } = await pollOnce(fx.as, app.clientId, start.device_code);
      expect(tokens?.access_token).to.be.a('string');

      const client = openaiClient(fx.proxy.openaiBaseURL, tokens?.access_token ?? '');
      const answer = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(answer.choices[0]?.message.content).to.be.a('string');
      const other = await client.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] })
        .catch((e: { status?: number }) => e);
      expect((other as { status?: number }).status).to.equal(403);
    });
  });
}
