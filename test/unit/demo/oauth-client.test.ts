import { expect } from 'chai';
import { DemoError } from '../../../src/demo/demo-error.ts';
import { codeFromCallback } from '../../../src/demo/oauth-client.ts';

const expected = { state: 'st-1', issuer: 'http://localhost:3000' };
const cb = (query: string) => new URL(`http://127.0.0.1:5000/callback?${query}`);
const refusal = (query: string) => {
  try {
    codeFromCallback(cb(query), expected);
  } catch (err) {
    expect(err).to.be.instanceOf(DemoError);
    return (err as Error).message;
  }
  throw new Error('expected a DemoError');
};

describe('demo/codeFromCallback', () => {
  it('takes the code of this request from this issuer', () => {
    expect(codeFromCallback(cb('code=c1&state=st-1&iss=http%3A%2F%2Flocalhost%3A3000'), expected)).to.equal(
      'c1',
    );
  });

  it('refuses another state, another issuer, an error and a missing code', () => {
    expect(refusal('code=c1&state=other')).to.include('another state');
    expect(refusal('code=c1&state=st-1&iss=http%3A%2F%2Fevil.example')).to.include('another issuer');
    expect(refusal('error=access_denied&state=st-1')).to.equal(
      'Mandate answered access_denied: you pressed Deny',
    );
    expect(refusal('error=invalid_scope&error_description=no+AI+scope&state=st-1')).to.include('no AI scope');
    expect(refusal('state=st-1')).to.include('no authorization code');
  });
});
