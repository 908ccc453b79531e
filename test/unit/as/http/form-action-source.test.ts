import { expect } from 'chai';
import { formActionSource } from '../../../../src/as/http/security-headers.ts';

describe('as/http/formActionSource', () => {
  it('names the origin of a web redirect URI', () => {
    expect(formActionSource('https://app.example:8443/cb?x=1')).to.equal('https://app.example:8443');
    expect(formActionSource('http://127.0.0.1:9/callback')).to.equal('http://127.0.0.1:9');
  });
  it('names the scheme of a native app redirect URI', () => {
    expect(formActionSource('com.example.app:/oauth')).to.equal('com.example.app:');
  });
  it('gives nothing for what is not a URI, and cannot be used to inject a directive', () => {
    expect(formActionSource('not a uri')).to.equal(undefined);
    expect(formActionSource("https://a.example/;script-src 'unsafe-inline'")).to.equal('https://a.example');
  });
});
