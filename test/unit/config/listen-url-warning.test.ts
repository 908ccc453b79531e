import { expect } from 'chai';
import { listenUrlWarning } from '../../../src/config/listen-url-warning.ts';

const check = (url: string, port: number) =>
  listenUrlWarning({
    url,
    setting: 'as.issuer (MANDATE_ISSUER)',
    port,
    portSetting: 'as.port, MANDATE_AS_PORT',
  });

describe('config/listenUrlWarning', () => {
  it('warns, naming the setting, when a loopback URL names another port than the listening one', () => {
    for (const url of [
      'http://localhost:3000',
      'http://127.0.0.1:3000',
      'http://[::1]:3000',
      'http://app.localhost:3000',
    ]) {
      const warning = check(url, 3005);
      expect(warning, url)
        .to.include('as.issuer (MANDATE_ISSUER)')
        .and.include('port 3000')
        .and.include('3005');
    }
    // No explicit port: 80 for http, 443 for https.
    expect(check('http://localhost', 3000)).to.include('port 80');
    expect(check('https://localhost', 3000)).to.include('port 443');
  });

  it('says nothing when the ports agree, or for a public host behind a reverse proxy', () => {
    expect(check('http://localhost:3005', 3005)).to.equal(undefined);
    expect(check('http://localhost', 80)).to.equal(undefined);
    expect(check('https://auth.example.com', 3000)).to.equal(undefined);
    expect(check('http://10.0.0.5:8080', 3000)).to.equal(undefined);
    expect(check('http://localhost.example.com:8080', 3000)).to.equal(undefined);
  });
});
