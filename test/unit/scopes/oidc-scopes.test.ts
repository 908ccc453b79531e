import { expect } from 'chai';
import { isAiScope, isOidcScope, OIDC_SCOPES } from '../../../src/scopes/index.ts';

describe('OIDC scopes and AI-scope candidates', () => {
  it('knows the OpenID Connect scopes', () => {
    for (const scope of ['openid', 'offline_access', 'profile', 'email', 'address', 'phone']) {
      expect(OIDC_SCOPES.has(scope), scope).to.equal(true);
      expect(isOidcScope(scope), scope).to.equal(true);
      expect(isAiScope(scope), scope).to.equal(false);
    }
  });

  it('treats everything else as an AI-scope candidate, valid or not', () => {
    for (const scope of [
      'openai:gpt-4o:chat',
      'anthropic:*:chat',
      'foo',
      'OPENID',
      'openid ',
      '',
      'email:x:chat',
    ]) {
      expect(isAiScope(scope), JSON.stringify(scope)).to.equal(true);
      expect(isOidcScope(scope), JSON.stringify(scope)).to.equal(false);
    }
  });
});
