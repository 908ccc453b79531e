import { expect } from 'chai';
import * as scopes from '../../../src/scopes/index.ts';

describe('scopes public API', () => {
  it('exports the functions both servers use', () => {
    const functions = [
      'parseScope',
      'formatScope',
      'isAiScope',
      'isOidcScope',
      'splitScopeParam',
      'scopeCovers',
      'scopesAllow',
      'findMissingScope',
      'capabilitiesFor',
      'describeScope',
      'describeCapability',
    ] as const;
    const exported = new Map<string, unknown>(Object.entries(scopes));
    for (const name of functions) expect(exported.get(name), name).to.be.a('function');
    expect(scopes.ANY_MODEL).to.equal('*');
    expect(scopes.OIDC_SCOPES).to.be.instanceOf(Set);
  });
});
