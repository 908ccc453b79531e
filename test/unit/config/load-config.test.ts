import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';

const secrets = {
  MANDATE_COOKIE_KEYS: 'k'.repeat(43),
  MANDATE_PROXY_CLIENT_SECRET: 's'.repeat(43),
};
const noFiles = (path: string): string => {
  throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' });
};

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config/loadConfig', () => {
  it('layers defaults < file < environment and freezes the result', () => {
    const config = loadConfig({
      env: { ...secrets, MANDATE_AS_PORT: '3100' },
      file: { as: { port: 3050, host: '0.0.0.0' } },
      readFile: noFiles,
    });
    expect(config.as.port).to.equal(3100);
    expect(config.as.host).to.equal('0.0.0.0');
    // Not set: the issuer follows the port (and an unspecified host is reached as localhost).
    expect(config.as.issuer).to.equal('http://localhost:3100');
    expect(config.proxy.url).to.equal('http://localhost:4000');
    expect(Object.isFrozen(config.as)).to.equal(true);
  });

  it('derives as.issuer and proxy.url from host and port unless they are set', () => {
    const moved = loadConfig({
      env: {
        ...secrets,
        MANDATE_AS_PORT: '3999',
        MANDATE_PROXY_PORT: '4999',
        MANDATE_PROXY_HOST: '127.0.0.1',
      },
      readFile: noFiles,
    });
    expect(moved.as.issuer).to.equal('http://localhost:3999');
    expect(moved.proxy.url).to.equal('http://127.0.0.1:4999');
    expect(loadConfig({ env: secrets, readFile: noFiles }).as.issuer).to.equal('http://localhost:3000');
    const v6 = loadConfig({ env: { ...secrets, MANDATE_AS_HOST: '::1' }, readFile: noFiles });
    expect(v6.as.issuer).to.equal('http://[::1]:3000');
    const set = loadConfig({
      env: {
        ...secrets,
        MANDATE_AS_PORT: '3999',
        MANDATE_ISSUER: 'https://auth.example.com',
        MANDATE_TRUST_PROXY: 'true',
      },
      file: { proxy: { url: 'https://ai.example.com' } },
      readFile: noFiles,
    });
    expect(set.as.issuer).to.equal('https://auth.example.com');
    expect(set.proxy.url).to.equal('https://ai.example.com');
    // A random port has no URL beforehand: the setting must then be given.
    expect(
      errorOf(() => loadConfig({ env: { ...secrets, MANDATE_PROXY_PORT: '0' }, readFile: noFiles })),
    ).to.include('proxy.url (MANDATE_PROXY_URL): must be set when proxy.port is 0');
  });

  it('puts the database and signing keys in the data folder unless set elsewhere', () => {
    const config = loadConfig({ env: { ...secrets, MANDATE_DATA_DIR: '/srv/mandate' }, readFile: noFiles });
    expect(config.database.url).to.equal('sqlite:/srv/mandate/mandate.sqlite');
    expect(config.as.signingKeysFile).to.equal('/srv/mandate/signing-keys.json');
    const pg = loadConfig({
      env: { ...secrets, MANDATE_DATABASE_URL: 'postgres://db/m' },
      readFile: noFiles,
    });
    expect(pg.database.url).to.equal('postgres://db/m');
  });

  it('reads secrets from *_FILE paths', () => {
    const files: Record<string, string> = { '/run/secrets/cookie': `${'c'.repeat(40)}\n` };
    const config = loadConfig({
      env: { MANDATE_COOKIE_KEYS_FILE: '/run/secrets/cookie', MANDATE_PROXY_CLIENT_SECRET: 's'.repeat(43) },
      readFile: (p) => files[p] ?? noFiles(p),
    });
    expect(config.as.cookieKeys).to.deep.equal(['c'.repeat(40)]);
    expect(
      errorOf(() =>
        loadConfig({ env: { ...secrets, MANDATE_DATABASE_URL_FILE: '/nope' }, readFile: noFiles }),
      ),
    ).to.include('MANDATE_DATABASE_URL_FILE: cannot read /nope (ENOENT)');
  });

  it('names every bad or missing setting, with its environment variable', () => {
    const message = errorOf(() =>
      loadConfig({ env: { MANDATE_AS_PORT: '80x', MANDATE_TRUST_PROXY: 'yes' }, readFile: noFiles }),
    );
    expect(message).to.include('MANDATE_AS_PORT must be a whole number');
    expect(message).to.include('MANDATE_TRUST_PROXY must be true or false');
    const missing = errorOf(() => loadConfig({ env: {}, readFile: noFiles }));
    expect(missing).to.include('as.cookieKeys (MANDATE_COOKIE_KEYS): is required');
    expect(missing).to.include('proxyClient.secret (MANDATE_PROXY_CLIENT_SECRET): is required');
  });

  it('refuses unknown keys, short secrets, a non-http issuer and a default longer than the maximum', () => {
    expect(
      errorOf(() => loadConfig({ env: secrets, file: { as: { prot: 1 } }, readFile: noFiles })),
    ).to.match(/prot/);
    expect(
      errorOf(() => loadConfig({ env: { ...secrets, MANDATE_COOKIE_KEYS: 'short' }, readFile: noFiles })),
    ).to.include('at least 32 characters');
    expect(
      errorOf(() => loadConfig({ env: { ...secrets, MANDATE_ISSUER: 'ftp://x' }, readFile: noFiles })),
    ).to.include('as.issuer (MANDATE_ISSUER)');
    expect(
      errorOf(() =>
        loadConfig({ env: { ...secrets, MANDATE_GRANT_DEFAULT_TTL: '999999999' }, readFile: noFiles }),
      ),
    ).to.include('must not exceed as.grantTtl.max');
  });

  it('requires a trusted TLS-terminating proxy for an https issuer', () => {
    const env = { ...secrets, MANDATE_ISSUER: 'https://auth.example' };
    expect(errorOf(() => loadConfig({ env, readFile: noFiles }))).to.include('MANDATE_TRUST_PROXY');
    expect(
      loadConfig({ env: { ...env, MANDATE_TRUST_PROXY: 'true' }, readFile: noFiles }).as.trustProxy,
    ).to.equal(true);
  });

  it('reads operator maximums for limits from the file or the environment; none by default', () => {
    expect(loadConfig({ env: secrets, readFile: noFiles }).as.limitMaximums).to.deep.equal({});
    const config = loadConfig({
      env: {
        ...secrets,
        MANDATE_LIMIT_MAX_SPEND_USD: '2.5',
        MANDATE_LIMIT_MAX_REQUESTS_PER_MINUTE: '30',
      },
      file: { as: { limitMaximums: { maxRequests: 500, maxSpendUsd: 10 } } },
      readFile: noFiles,
    });
    expect(config.as.limitMaximums).to.deep.equal({
      maxRequests: 500,
      maxSpendUsd: 2.5,
      requestsPerMinute: 30,
    });
    for (const [env, value, message] of [
      ['MANDATE_LIMIT_MAX_REQUESTS', '1.5', 'MANDATE_LIMIT_MAX_REQUESTS must be a whole number'],
      ['MANDATE_LIMIT_MAX_TOKENS', '0', 'as.limitMaximums.maxTokens (MANDATE_LIMIT_MAX_TOKENS)'],
      ['MANDATE_LIMIT_MAX_SPEND_USD', 'five', 'MANDATE_LIMIT_MAX_SPEND_USD must be a number'],
      ['MANDATE_LIMIT_MAX_SPEND_USD', '-1', 'as.limitMaximums.maxSpendUsd (MANDATE_LIMIT_MAX_SPEND_USD)'],
      ['MANDATE_LIMIT_MAX_SPEND_USD', '0.0000001', 'at most 6 decimal places'],
    ] as const) {
      expect(errorOf(() => loadConfig({ env: { ...secrets, [env]: value }, readFile: noFiles }))).to.include(
        message,
      );
    }
    expect(
      errorOf(() =>
        loadConfig({ env: secrets, file: { as: { limitMaximums: { maxImages: 3 } } }, readFile: noFiles }),
      ),
    ).to.match(/maxImages/);
  });
});
