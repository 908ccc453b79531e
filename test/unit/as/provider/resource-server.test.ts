import { expect } from 'chai';
import { createGetResourceServerInfo } from '../../../../src/as/provider/resource-server.ts';

const PROXY = 'https://proxy.example';

describe('provider/resource-server: invalid_scope names the offending scope', () => {
  const info = createGetResourceServerInfo({ proxyUrl: PROXY, accessTokenTtl: 600, openDoorScopes: [] });
  const ctx = (scope: string) => ({ oidc: { entities: {}, params: { scope } } }) as never;
  const client = { clientId: 'app', allowed_ai_scopes: 'openai:*:chat' };

  async function refusal(scope: string): Promise<{ error?: string; scope?: string }> {
    try {
      await info(ctx(scope), PROXY, client);
    } catch (err) {
      return err as { error?: string; scope?: string };
    }
    throw new Error(`${scope} was not refused`);
  }

  it('with no AI scope at all, carries no scope (oidc-provider would send a literal scope=scope)', async () => {
    const err = await refusal('openid');
    expect(err.error).to.equal('invalid_scope');
    expect(err.scope).to.equal(undefined);
  });

  it('a malformed or disallowed scope is named', async () => {
    expect((await refusal('openai::chat')).scope).to.equal('openai::chat');
    expect((await refusal('anthropic:*:chat')).scope).to.equal('anthropic:*:chat');
  });
});
