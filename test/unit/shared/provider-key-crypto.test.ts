import { expect } from 'chai';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import {
  checkProviderKeyJwks,
  createProviderKeyDecrypter,
  encryptProviderKey,
  generateProviderKeyPair,
  ProviderKeyError,
  type ProviderKeyErrorCode,
  type ProviderKeyJwks,
  parseProviderKeyJwks,
  publicJwksOf,
} from '../../../src/shared/provider-key-crypto.ts';

const KEY = 'sk-proj-unit-test-secret-0123456789abcdef';
const binding = { accountId: 'acct-1', provider: 'openai' };

async function rejection(promise: Promise<unknown>): Promise<ProviderKeyError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(ProviderKeyError);
    return err as ProviderKeyError;
  }
  throw new Error('expected a rejection');
}

function thrown(run: () => unknown): ProviderKeyError {
  try {
    run();
  } catch (err) {
    expect(err).to.be.instanceOf(ProviderKeyError);
    return err as ProviderKeyError;
  }
  throw new Error('expected a throw');
}

const expectCode = (err: ProviderKeyError, code: ProviderKeyErrorCode) => {
  expect(err.code).to.equal(code);
  expect(err.message).to.not.include(KEY);
};

/** Flips one character of the JWE part at `index` (0 header … 4 tag). */
function tamper(ciphertext: string, index: number): string {
  const parts = ciphertext.split('.');
  const part = parts[index] as string;
  const at = Math.floor(part.length / 2);
  parts[index] = `${part.slice(0, at)}${part[at] === 'A' ? 'B' : 'A'}${part.slice(at + 1)}`;
  return parts.join('.');
}

describe('shared/provider-key-crypto', () => {
  let oldPrivate: ProviderKeyJwks;
  let newPrivate: ProviderKeyJwks;

  before(async () => {
    oldPrivate = { keys: [await generateProviderKeyPair()] };
    newPrivate = { keys: [await generateProviderKeyPair(), ...oldPrivate.keys] };
  });

  it('generates EC P-256 ECDH-ES encryption keys whose kid is the thumbprint; the public half has no d', async () => {
    const key = oldPrivate.keys[0] as JWK;
    expect(key).to.include({ kty: 'EC', crv: 'P-256', alg: 'ECDH-ES', use: 'enc' });
    expect(key.d).to.be.a('string');
    expect(key.kid).to.match(/^[A-Za-z0-9_-]{43}$/);
    const pub = publicJwksOf(newPrivate);
    expect(pub.keys.map((k) => k.kid)).to.deep.equal(newPrivate.keys.map((k) => k.kid));
    for (const k of pub.keys) expect(k).to.not.have.property('d');
    expect(Object.keys(pub.keys[0] as JWK).sort()).to.deep.equal([
      'alg',
      'crv',
      'kid',
      'kty',
      'use',
      'x',
      'y',
    ]);
  });

  it('round trip: a compact JWE (ECDH-ES, A256GCM) to the first public key, kid in the header', async () => {
    const pub = publicJwksOf(newPrivate);
    const { ciphertext, kid } = await encryptProviderKey(KEY, pub, binding);
    expect(kid).to.equal(newPrivate.keys[0]?.kid);
    expect(ciphertext.split('.')).to.have.length(5);
    expect(ciphertext).to.not.include(KEY);
    expect(decodeProtectedHeader(ciphertext)).to.include({ alg: 'ECDH-ES', enc: 'A256GCM', kid });
    const decrypter = await createProviderKeyDecrypter(newPrivate);
    expect(decrypter.kids).to.deep.equal(newPrivate.keys.map((k) => k.kid));
    expect(await decrypter.decrypt(ciphertext, binding)).to.equal(KEY);
    expect(await decrypter.decrypt(ciphertext)).to.equal(KEY);
  });

  it('decrypts by kid after a rotation: old and new ciphertexts both open with the new private set', async () => {
    const before = await encryptProviderKey(KEY, publicJwksOf(oldPrivate), binding);
    const after = await encryptProviderKey(`${KEY}-new`, publicJwksOf(newPrivate), binding);
    expect(before.kid).to.not.equal(after.kid);
    const rotated = await createProviderKeyDecrypter(newPrivate);
    expect(await rotated.decrypt(before.ciphertext, binding)).to.equal(KEY);
    expect(await rotated.decrypt(after.ciphertext, binding)).to.equal(`${KEY}-new`);
    // A proxy that has not loaded the new key says so, by kid.
    const stale = await createProviderKeyDecrypter(oldPrivate);
    const err = await rejection(stale.decrypt(after.ciphertext, binding));
    expectCode(err, 'ERR_PROVIDER_KEY_UNKNOWN_KID');
    expect(err.message).to.include(after.kid);
  });

  it('cannot be decrypted by the authorization server side, which holds only the public JWKS', async () => {
    const pub = publicJwksOf(oldPrivate);
    const { ciphertext } = await encryptProviderKey(KEY, pub, binding);
    expectCode(await rejection(createProviderKeyDecrypter(pub)), 'ERR_PROVIDER_KEY_JWKS_INVALID');
    // Nor with jose directly: a public key cannot derive the content key.
    const publicKey = await importJWK(pub.keys[0] as JWK, 'ECDH-ES');
    let opened: unknown;
    try {
      opened = await compactDecrypt(ciphertext, publicKey);
    } catch (err) {
      opened = err;
    }
    expect(opened).to.be.instanceOf(Error);
  });

  it('refuses a tampered ciphertext, whatever part was changed', async () => {
    const { ciphertext } = await encryptProviderKey(KEY, publicJwksOf(oldPrivate), binding);
    const decrypter = await createProviderKeyDecrypter(oldPrivate);
    for (const part of [2, 3, 4]) {
      expectCode(
        await rejection(decrypter.decrypt(tamper(ciphertext, part))),
        'ERR_PROVIDER_KEY_DECRYPTION_FAILED',
      );
    }
    // The header is authenticated too: rebinding it to another account breaks the tag.
    const [, ...rest] = ciphertext.split('.');
    const header = { ...decodeProtectedHeader(ciphertext), mandate_account: 'attacker' };
    const forged = [Buffer.from(JSON.stringify(header)).toString('base64url'), ...rest].join('.');
    expectCode(
      await rejection(decrypter.decrypt(forged, { accountId: 'attacker', provider: 'openai' })),
      'ERR_PROVIDER_KEY_DECRYPTION_FAILED',
    );
    for (const garbage of ['', 'not-a-jwe', 'a.b.c.d.e', 'x'.repeat(20_000)]) {
      const err = await rejection(decrypter.decrypt(garbage));
      expect(err.code).to.be.oneOf([
        'ERR_PROVIDER_KEY_CIPHERTEXT_INVALID',
        'ERR_PROVIDER_KEY_DECRYPTION_FAILED',
      ]);
    }
  });

  it('refuses a ciphertext moved to another row when told whose key it is', async () => {
    const { ciphertext } = await encryptProviderKey(KEY, publicJwksOf(oldPrivate), binding);
    const decrypter = await createProviderKeyDecrypter(oldPrivate);
    for (const expected of [
      { accountId: 'acct-2', provider: 'openai' },
      { accountId: 'acct-1', provider: 'anthropic' },
    ]) {
      expectCode(
        await rejection(decrypter.decrypt(ciphertext, expected)),
        'ERR_PROVIDER_KEY_BINDING_MISMATCH',
      );
    }
    const unbound = await encryptProviderKey(KEY, publicJwksOf(oldPrivate));
    expectCode(
      await rejection(decrypter.decrypt(unbound.ciphertext, binding)),
      'ERR_PROVIDER_KEY_BINDING_MISMATCH',
    );
  });

  it('accepts only ECDH-ES + A256GCM without compression', async () => {
    const pub = publicJwksOf(oldPrivate);
    const kid = pub.keys[0]?.kid as string;
    const key = await importJWK(pub.keys[0] as JWK, 'ECDH-ES+A256KW');
    const wrapped = await new CompactEncrypt(new TextEncoder().encode(KEY))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid })
      .encrypt(key);
    const decrypter = await createProviderKeyDecrypter(oldPrivate);
    expectCode(await rejection(decrypter.decrypt(wrapped)), 'ERR_PROVIDER_KEY_CIPHERTEXT_INVALID');
    const noKid = await new CompactEncrypt(new TextEncoder().encode(KEY))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM' })
      .encrypt(await importJWK(pub.keys[0] as JWK, 'ECDH-ES'));
    expectCode(await rejection(decrypter.decrypt(noKid)), 'ERR_PROVIDER_KEY_CIPHERTEXT_INVALID');
    const zipped = await new CompactEncrypt(new TextEncoder().encode(KEY))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', kid, zip: 'DEF' })
      .encrypt(await importJWK(pub.keys[0] as JWK, 'ECDH-ES'));
    const zipErr = await rejection(decrypter.decrypt(zipped));
    expectCode(zipErr, 'ERR_PROVIDER_KEY_CIPHERTEXT_INVALID');
    expect(zipErr.message).to.match(/zip/);
  });

  it('checks its inputs with clear errors', async () => {
    const pub = publicJwksOf(oldPrivate);
    expectCode(await rejection(encryptProviderKey('', pub)), 'ERR_PROVIDER_KEY_PLAINTEXT_INVALID');
    expectCode(
      await rejection(encryptProviderKey('x'.repeat(5000), pub)),
      'ERR_PROVIDER_KEY_PLAINTEXT_INVALID',
    );
    const privateToAs = await rejection(encryptProviderKey(KEY, oldPrivate));
    expectCode(privateToAs, 'ERR_PROVIDER_KEY_JWKS_INVALID');
    expect(privateToAs.message).to.match(/is a private key/);

    const k = oldPrivate.keys[0] as JWK;
    const cases: Array<[unknown, RegExp]> = [
      [{}, /at least one key/],
      [{ keys: [] }, /at least one key/],
      [null, /at least one key/],
      [{ keys: [{ ...k, kid: undefined }] }, /needs a kid/],
      [{ keys: [k, k] }, /appears twice/],
      [{ keys: [{ ...k, crv: 'P-384' }] }, /not an EC P-256 key/],
      [{ keys: [{ kty: 'RSA', kid: 'r', n: 'x', e: 'AQAB', d: 'y' }] }, /not an EC P-256 key/],
      [{ keys: [{ ...k, alg: 'ES256' }] }, /alg ES256, expected ECDH-ES/],
      [{ keys: [{ ...k, use: 'sig' }] }, /use sig, expected enc/],
      [{ keys: [{ ...k, d: undefined }] }, /not a private key/],
    ];
    for (const [value, message] of cases) {
      const err = thrown(() => checkProviderKeyJwks(value, 'private', 'proxy-keys.json'));
      expectCode(err, 'ERR_PROVIDER_KEY_JWKS_INVALID');
      expect(err.message)
        .to.match(/^proxy-keys\.json: /)
        .and.match(message);
      expect(err.message).to.not.include(k.d as string);
    }
    const badJson = thrown(() => parseProviderKeyJwks(`{"keys": [${JSON.stringify(k)}`, 'private', 'f.json'));
    expect(badJson.message).to.equal('f.json: not valid JSON');
    const badPoint = { keys: [{ ...k, x: pub.keys[0]?.y as string }] };
    expectCode(await rejection(createProviderKeyDecrypter(badPoint)), 'ERR_PROVIDER_KEY_JWKS_INVALID');
  });
});
