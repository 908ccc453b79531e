import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { type DpopProofInput, verifyDpopProof } from '../../../../src/proxy/auth/dpop-proof.ts';

const URL_ = 'https://proxy.example/openai/v1/chat/completions';
const TOKEN = 'access.token.value';

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  let key: CryptoKey;
  let jwk: Record<string, unknown>;
  let jkt: string;
  const now = Date.now();

  before(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    jwk = { ...(await exportJWK(pair.publicKey)) };
    jkt = await calculateJwkThumbprint(jwk);
  });

  const proof = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signer = key) =>
    new SignJWT({
      jti: crypto.randomUUID(),
      htm: 'POST',
      htu: URL_,
      iat: Math.floor(now / 1000),
      ath: createHash('sha256').update(TOKEN).digest('base64url'),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header })
      .sign(signer);

  const check = async (p: string, over: Partial<DpopProofInput> = {}) =>
    verifyDpopProof({
      proof: p,
      method: 'POST',
      htu: URL_,
      accessToken: TOKEN,
      jkt,
      now,
      iatWindowSeconds: 60,
      ...over,
    });

  const reasonOf = async (p: Promise<string>, over: Partial<DpopProofInput> = {}) => {
    const result = await check(await p, over);
    return result.ok ? 'accepted' : result.reason;
  };

  it('accepts a good proof; the case of the host and the default port do not matter', async () => {
    expect(await reasonOf(proof())).to.equal('accepted');
    expect(await reasonOf(proof({ htu: 'https://PROXY.example:443/openai/v1/chat/completions' }))).to.equal(
      'accepted',
    );
  });

  it('refuses wrong htm, htu, ath, iat, key, typ, alg, a missing jti, a private jwk, garbage', async () => {
    expect(await reasonOf(proof({ htm: 'GET' }))).to.include('htm');
    expect(await reasonOf(proof({ htu: 'https://proxy.example/openai/v1/embeddings' }))).to.include('htu');
    expect(await reasonOf(proof({ htu: 'https://other.example/openai/v1/chat/completions' }))).to.include(
      'htu',
    );
    expect(await reasonOf(proof({ ath: 'x' }))).to.include('ath');
    expect(await reasonOf(proof({ ath: undefined }))).to.include('ath');
    expect(await reasonOf(proof({ iat: Math.floor(now / 1000) - 120 }))).to.include('iat');
    expect(await reasonOf(proof({ iat: Math.floor(now / 1000) + 120 }))).to.include('iat');
    expect(await reasonOf(proof({ jti: undefined }))).to.include('jti');
    expect(await reasonOf(proof({}, { typ: 'JWT' }))).to.include('typ');
    expect(await reasonOf(proof(), { jkt: 'another' })).to.include('bound to');
    const other = await generateKeyPair('ES256');
    expect(await reasonOf(proof({}, {}, other.privateKey))).to.include('signature');
    const priv = await exportJWK(key);
    expect(await reasonOf(proof({}, { jwk: priv }))).to.include('private key');
    expect(await reasonOf(proof({}, { jwk: undefined }))).to.include('jwk');
    expect(await reasonOf(Promise.resolve('garbage'))).to.include('not a JWT');
    const hs = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt' }).sign(new Uint8Array(32));
    expect(await reasonOf(hs)).to.include('ES256 or Ed25519 or EdDSA');
  });

  it('refuses a crit header, a key of another kind than alg, a bad signature length, a segment not JSON', async () => {
    const [, body, signature] = (await proof()).split('.');
    const critical = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk, crit: ['x'], x: 1 }));
    expect(
      await reasonOf(Promise.resolve(`${critical.toString('base64url')}.${body}.${signature}`)),
    ).to.include('crit');
    expect(await reasonOf(proof({}, { jwk: { ...jwk, crv: 'P-384' } }))).to.include('not a public ES256 key');
    expect(await reasonOf(proof({}, { jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } }))).to.include(
      'not a public ES256 key',
    );
    const ed = await generateKeyPair('Ed25519', { extractable: true });
    const edJwk = await exportJWK(ed.publicKey);
    // An Ed25519 key under ES256, and a P-256 key under EdDSA.
    expect(await reasonOf(proof({}, { jwk: edJwk }))).to.include('not a public ES256 key');
    expect(await reasonOf(proof({}, { alg: 'EdDSA' }, ed.privateKey))).to.include('not a public EdDSA key');
    const good = await proof();
    const [h, b, sig] = good.split('.');
    expect(await reasonOf(Promise.resolve(`${h}.${b}.${sig}AAAA`))).to.include('signature');
    expect(await reasonOf(Promise.resolve(`${h}.${b}.`))).to.include('signature');
    expect(await reasonOf(Promise.resolve(`${h}.bm90IGpzb24.${sig}`))).to.include('signature');
    expect(await reasonOf(Promise.resolve(`${h}.${b}`))).to.include('not a JWT');
    // A point off the curve, under the token's own thumbprint's name, is not a key.
    const offCurve = { ...jwk, y: jwk.x as string };
    const offJkt = await calculateJwkThumbprint(offCurve);
    expect(await reasonOf(proof({}, { jwk: offCurve }), { jkt: offJkt })).to.include(
      'not a public ES256 key',
    );
    // The same key again (imported once, then from the cache) verifies alike.
    expect(await reasonOf(proof())).to.equal('accepted');
    expect(await reasonOf(proof({}, {}, (await generateKeyPair('ES256')).privateKey))).to.include(
      'signature',
    );
  });

  it('accepts an Ed25519 key under both of its algorithm names', async () => {
    const ed = await generateKeyPair('Ed25519', { extractable: true });
    const edJwk = { ...(await exportJWK(ed.publicKey)) };
    const edJkt = await calculateJwkThumbprint(edJwk);
    for (const alg of ['Ed25519', 'EdDSA']) {
      expect(await reasonOf(proof({}, { alg, jwk: edJwk }, ed.privateKey), { jkt: edJkt })).to.equal(
        'accepted',
      );
    }
  });

  it('asks for the nonce when one is required and the proof lacks it', async () => {
    const acceptNonce = (nonce: unknown) => nonce === 'n-1';
    expect(await check(await proof(), { acceptNonce })).to.deep.include({ ok: false, useNonce: true });
    expect(await check(await proof({ nonce: 'n-0' }), { acceptNonce })).to.deep.include({
      ok: false,
      useNonce: true,
    });
    expect((await check(await proof({ nonce: 'n-1' }), { acceptNonce })).ok).to.equal(true);
  });
});
