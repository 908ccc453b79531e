import { expect } from 'chai';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKeyPair } from 'oauth4webapi';
import { createDpopCheck, type DpopCheckDeps } from '../../../../src/proxy/auth/dpop-check.ts';
import { createDpopNonces, DPOP_NONCE_PERIOD_MS } from '../../../../src/proxy/auth/dpop-nonces.ts';
import type { TokenClaims } from '../../../../src/proxy/auth/verify-token.ts';
import type { ProxyError } from '../../../../src/proxy/errors/proxy-error.ts';
import { dpopProof } from '../../../support/dpop-fetch.ts';

const PROXY = 'https://proxy.example';
const PATH = '/openai/v1/chat/completions';
const TOKEN = 'access.token.value';

describe('createDpopCheck: the proxy side of RFC 9449', () => {
  let keys: CryptoKeyPair;
  let claims: TokenClaims;
  before(async () => {
    keys = await generateKeyPair('ES256', { extractable: true });
    const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));
    claims = { jti: 't', sub: 's', clientId: 'c', grantId: 'g', scopes: [], grants: [], exp: 0, jkt };
  });

  const request = (dpop?: string) =>
    ({ method: 'POST', headersDistinct: dpop === undefined ? {} : { dpop: [dpop] } }) as never;
  const proof = (extra: Record<string, unknown> = {}) =>
    dpopProof(keys, { htm: 'POST', htu: `${PROXY}${PATH}`, accessToken: TOKEN, extra });
  const check = (over: Partial<DpopCheckDeps> = {}) =>
    createDpopCheck({ proxyUrl: PROXY, claim: async () => true, clock: Date.now, ...over });
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: unknown) => err as ProxyError,
    );

  it('an unbound bearer token needs no proof; a bound one is refused as bearer', async () => {
    const { jkt: _, ...unbound } = claims;
    expect(await check()(request(), PATH, { token: TOKEN, scheme: 'Bearer' }, unbound)).to.equal(undefined);
    const err = await refusal(
      check()(request(await proof()), PATH, { token: TOKEN, scheme: 'Bearer' }, claims),
    );
    expect(err).to.include({ code: 'invalid_token', challenge: 'DPoP' });
  });

  it('each proof is claimed once, until a second past its iat window', async () => {
    const claimed: Array<[string, string, number]> = [];
    const iat = Math.floor(Date.now() / 1000);
    await check({
      claim: async (...args) => {
        claimed.push(args);
        return true;
      },
    })(request(await proof({ iat })), PATH, { token: TOKEN, scheme: 'DPoP' }, claims);
    expect(claimed).to.have.length(1);
    expect(claimed[0]?.[0]).to.equal(claims.jkt);
    expect(claimed[0]?.[2]).to.equal((iat + 61) * 1000);
    const replay = await refusal(
      check({ claim: async () => false })(
        request(await proof()),
        PATH,
        { token: TOKEN, scheme: 'DPoP' },
        claims,
      ),
    );
    expect(replay).to.include({ code: 'invalid_dpop_proof' });
  });

  it('a database error while claiming is passed on (the proxy answers 503), not taken for a replay', async () => {
    const down = Object.assign(new Error('Timeout acquiring a connection'), { name: 'KnexTimeoutError' });
    const err = await refusal(
      check({
        claim: async () => {
          throw down;
        },
      })(request(await proof()), PATH, { token: TOKEN, scheme: 'DPoP' }, claims),
    );
    expect(err).to.equal(down);
  });

  it('with nonces: none or a stale one is use_dpop_nonce with a fresh DPoP-Nonce; this or the last period passes', async () => {
    const nonces = createDpopNonces('a shared secret of at least thirty-two characters');
    let now = 1_800_000_000_000;
    const withNonces = check({ nonces, clock: () => now });
    const presented = { token: TOKEN, scheme: 'DPoP' as const };
    const proofAt = (extra: Record<string, unknown>) => proof({ iat: Math.floor(now / 1000), ...extra });
    const none = await refusal(withNonces(request(await proofAt({})), PATH, presented, claims));
    expect(none).to.include({ code: 'use_dpop_nonce', challenge: 'DPoP' });
    const issued = (none as ProxyError).headers['dpop-nonce'] as string;
    expect(issued).to.equal(nonces.current(now));
    expect(await withNonces(request(await proofAt({ nonce: issued })), PATH, presented, claims)).to.equal(
      issued,
    );
    now += DPOP_NONCE_PERIOD_MS;
    expect(await withNonces(request(await proofAt({ nonce: issued })), PATH, presented, claims)).to.equal(
      nonces.current(now),
    );
    now += DPOP_NONCE_PERIOD_MS;
    const stale = await refusal(
      withNonces(request(await proofAt({ nonce: issued })), PATH, presented, claims),
    );
    expect(stale).to.include({ code: 'use_dpop_nonce' });
    const madeUp = await refusal(
      withNonces(request(await proofAt({ nonce: 'x'.repeat(32) })), PATH, presented, claims),
    );
    expect(madeUp).to.include({ code: 'use_dpop_nonce' });
    // Another secret (another install) makes other nonces.
    expect(createDpopNonces('another shared secret of thirty-two characters!').current(now)).to.not.equal(
      nonces.current(now),
    );
  });
});
