import { expect } from 'chai';
import { checkRegistration } from '../../../../src/as/open-door/check-registration.ts';

const POLICY = ['openai:*:chat', 'anthropic:*:chat'];
const base = { redirect_uris: ['https://app.example/cb'] };

describe('check-registration: what an app may register about itself', () => {
  it('moves AI scopes within the policy to allowed_ai_scopes and keeps OIDC scopes in scope', () => {
    const checked = checkRegistration(
      { ...base, scope: 'openid openai:gpt-4o:chat anthropic:*:chat' },
      POLICY,
    );
    expect(checked).to.deep.equal({
      ok: true,
      body: { ...base, scope: 'openid', allowed_ai_scopes: 'openai:gpt-4o:chat anthropic:*:chat' },
    });
    const aiOnly = checkRegistration({ ...base, scope: 'openai:*:chat' }, POLICY);
    expect(aiOnly.ok && aiOnly.body).to.deep.equal({ ...base, allowed_ai_scopes: 'openai:*:chat' });
  });

  it('refuses scopes beyond the policy, and wrong types', () => {
    for (const body of [
      { ...base, scope: 'openai:*:embeddings' },
      { ...base, scope: 42 },
      { ...base, redirect_uris: 'https://app.example/cb' },
      { ...base, redirect_uris: [42] },
      { ...base, grant_types: 'authorization_code' },
      { ...base, grant_types: ['refresh_token'] },
      { ...base, client_name: 7 },
      null,
      [],
      'x',
    ]) {
      expect(checkRegistration(body, POLICY).ok, JSON.stringify(body)).to.equal(false);
    }
  });

  it('does not change the caller’s object', () => {
    const input = { ...base, scope: 'openai:*:chat' };
    checkRegistration(input, POLICY);
    expect(input).to.deep.equal({ ...base, scope: 'openai:*:chat' });
  });
});
