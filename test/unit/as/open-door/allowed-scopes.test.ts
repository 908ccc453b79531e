import { expect } from 'chai';
import { clientDomain, clientKind } from '../../../../src/as/open-door/client-kind.ts';
import { allowedScopesFor } from '../../../../src/as/provider/resource-server.ts';

const POLICY = ['openai:*:chat', 'anthropic:*:chat'];

describe('allowedScopesFor: what a client may ask for, by who vouches for it', () => {
  it("an operator's client: exactly what it was registered for, the open-door policy aside", () => {
    expect(
      allowedScopesFor({ clientId: 'app_x', allowed_ai_scopes: 'openai:*:images' }, POLICY),
    ).to.deep.equal(['openai:*:images']);
    expect(allowedScopesFor({ clientId: 'app_x' }, POLICY)).to.deep.equal([]);
  });

  it('a self-registered or metadata-document client: the policy, narrowed to what it said, never beyond', () => {
    expect(allowedScopesFor({ clientId: 'dcr_1' }, POLICY)).to.deep.equal(POLICY);
    expect(
      allowedScopesFor({ clientId: 'dcr_1', allowed_ai_scopes: 'openai:gpt-4o:chat' }, POLICY),
    ).to.deep.equal(['openai:gpt-4o:chat']);
    // Registered under a wider policy, or claimed in a document: the policy of now bounds it.
    expect(
      allowedScopesFor(
        { clientId: 'https://app.example/c.json', allowed_ai_scopes: 'openai:*:images openai:*:chat' },
        POLICY,
      ),
    ).to.deep.equal(['openai:*:chat']);
  });

  it('tells the kinds apart by their ids, and a document client by its host', () => {
    expect(clientKind('app_abc')).to.equal('operator');
    expect(clientKind('mandate-proxy')).to.equal('operator');
    expect(clientKind('dcr_abc')).to.equal('registered');
    expect(clientKind('https://tool.example/oauth.json')).to.equal('metadata_document');
    expect(clientDomain('https://tool.example:8443/oauth.json')).to.equal('tool.example:8443');
    expect(clientDomain('dcr_abc')).to.equal(undefined);
  });
});
