import { expect } from 'chai';
import { hostAllowed } from '../../../../src/as/open-door/metadata-documents.ts';
import { redirectUriProblem } from '../../../../src/as/open-door/redirect-uri-rules.ts';

describe('redirect URI rules (RFC 8252, RFC 9700), the same for every registration path', () => {
  it('allows https, loopback http on any port, and reverse-domain private-use schemes', () => {
    for (const uri of [
      'https://app.example/cb',
      'https://app.example:8443/cb?x=1',
      'http://127.0.0.1/cb',
      'http://127.0.0.1:51234/cb',
      'http://[::1]:8080/cb',
      'http://localhost:3000/callback',
      'com.example.app:/oauth2redirect',
      'io.github.someone.tool:/cb',
    ]) {
      expect(redirectUriProblem(uri), uri).to.equal(undefined);
    }
  });

  it('refuses plain http elsewhere, code-running schemes, fragments, credentials and bare schemes', () => {
    const cases: Array<[string, RegExp]> = [
      ['http://app.example/cb', /loopback/],
      ['http://127.0.0.1.nip.io/cb', /loopback/],
      ['http://10.0.0.1/cb', /loopback/],
      ['javascript:alert(1)', /javascript/],
      ['JavaScript:alert(1)', /javascript/],
      ['data:text/html;base64,PHNjcmlwdD4=', /data/],
      ['file:///etc/passwd', /file/],
      ['vbscript:msgbox', /vbscript/],
      ['https://app.example/cb#frag', /fragment/],
      ['https://user:pw@app.example/cb', /credentials/],
      ['myapp:/cb', /reverse-domain/],
      ['not a url', /absolute URL/],
      ['/relative/cb', /absolute URL/],
    ];
    for (const [uri, reason] of cases) expect(redirectUriProblem(uri), uri).to.match(reason);
  });
});

describe('metadata document host allow-list', () => {
  it('matches *, exact names and *.domain (subdomains only)', () => {
    expect(hostAllowed('anything.example', ['*'])).to.equal(true);
    expect(hostAllowed('app.example', [])).to.equal(false);
    expect(hostAllowed('App.Example', ['app.example'])).to.equal(true);
    expect(hostAllowed('evilapp.example', ['app.example'])).to.equal(false);
    expect(hostAllowed('a.tools.example', ['*.tools.example'])).to.equal(true);
    expect(hostAllowed('tools.example', ['*.tools.example'])).to.equal(false);
    expect(hostAllowed('eviltools.example', ['*.tools.example'])).to.equal(false);
  });
});
