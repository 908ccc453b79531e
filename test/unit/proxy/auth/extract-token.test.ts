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
    expect(extractToken({ 'x-goog-api-key': 'tok.en.1' }, 'x-goog-api-key')).to.equal('tok.en.1');
    expect(codeOf(() => extractToken({ 'x-goog-api-key': 'tok.en.1' }))).to.equal('missing_token');
  });

  it('the same token in several headers passes; different tokens or a header twice do not', () => {
    const both = { authorization: 'Bearer tok.en.1', 'x-goog-api-key': 'tok.en.1' };
    expect(extractToken(both, 'x-goog-api-key')).to.equal('tok.en.1');
    expect(
      extractToken({ 'x-api-key': 'tok.en.1', 'x-goog-api-key': 'tok.en.1' }, 'x-goog-api-key'),
    ).to.equal('tok.en.1');
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
