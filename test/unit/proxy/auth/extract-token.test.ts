import { expect } from 'chai';
import { extractToken } from '../../../../src/proxy/auth/extract-token.ts';
import { ProxyError } from '../../../../src/proxy/errors/proxy-error.ts';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ProxyError);
    return (err as ProxyError).code;
  }
  return 'passed';
};

describe('extractToken: the provider API-key header (Gemini x-goog-api-key)', () => {
  it('reads x-goog-api-key only where the provider names it', () => {
    expect(extractToken({ 'x-goog-api-key': 'tok.en.1' }, 'x-goog-api-key')).to.deep.equal({
      token: 'tok.en.1',
      scheme: 'Bearer',
    });
    expect(codeOf(() => extractToken({ 'x-goog-api-key': 'tok.en.1' }))).to.equal('missing_token');
  });

  it('the same token in several headers passes; different tokens or a header twice do not', () => {
    const both = { authorization: 'Bearer tok.en.1', 'x-goog-api-key': 'tok.en.1' };
    expect(extractToken(both, 'x-goog-api-key')).to.deep.equal({ token: 'tok.en.1', scheme: 'Bearer' });
    expect(
      extractToken({ 'x-api-key': 'tok.en.1', 'x-goog-api-key': 'tok.en.1' }, 'x-goog-api-key'),
    ).to.deep.equal({ token: 'tok.en.1', scheme: 'Bearer' });
    expect(
      codeOf(() =>
        extractToken({ authorization: 'Bearer tok.en.1', 'x-goog-api-key': 'tok.en.2' }, 'x-goog-api-key'),
      ),
    ).to.equal('invalid_request');
    expect(
      codeOf(() => extractToken({ 'x-api-key': 'tok.en.1', 'x-goog-api-key': 'tok.en.2' }, 'x-goog-api-key')),
    ).to.equal('invalid_request');
    expect(codeOf(() => extractToken({ 'x-goog-api-key': ['a', 'b'] }, 'x-goog-api-key'))).to.equal(
      'invalid_request',
    );
  });
});

describe('extractToken: the Authorization scheme (RFC 6750 Bearer, RFC 9449 DPoP)', () => {
  it('says how the token came; any other scheme or a bare token is invalid_token', () => {
    expect(extractToken({ authorization: 'DPoP tok.en.1' })).to.deep.equal({
      token: 'tok.en.1',
      scheme: 'DPoP',
    });
    expect(extractToken({ 'x-api-key': 'tok.en.1' })).to.deep.equal({ token: 'tok.en.1', scheme: 'Bearer' });
    expect(extractToken({ authorization: 'DPoP tok.en.1', 'x-api-key': 'tok.en.1' })).to.deep.equal({
      token: 'tok.en.1',
      scheme: 'DPoP',
    });
    for (const authorization of ['Basic tok.en.1', 'dpop  tok.en.1', 'DPoP', 'tok.en.1', 'DPoP tok en'])
      expect(
        codeOf(() => extractToken({ authorization })),
        authorization,
      ).to.equal('invalid_token');
    expect(codeOf(() => extractToken({ authorization: 'DPoP tok.en.1', 'x-api-key': 'tok.en.2' }))).to.equal(
      'invalid_request',
    );
  });
});
