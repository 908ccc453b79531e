import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { decodeJwt, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The claims of an issued access token (not verified: the test issued it). */
export function claimsOf(token: string): JWTPayload & Record<string, unknown> {
  return decodeJwt(token) as JWTPayload & Record<string, unknown>;
}

/**
 * Signs `payload` with an ES256 private JWK, as the authorization server does
 * (`typ: at+jwt`, the key's `kid`), unless `header` says otherwise. A fresh `jti` unless
 * the payload has one.
 */
export async function signAccessToken(
  privateJwk: JWK,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const key = await importJWK(privateJwk, 'ES256');
  return new SignJWT({ jti: randomUUID(), ...payload })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: privateJwk.kid, ...header })
    .sign(key);
}

/** An unsecured JWT (`alg: none`, empty signature). */
export function unsecuredToken(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  return `${b64url({ alg: 'none', typ: 'at+jwt', ...header })}.${b64url(payload)}.`;
}

/** An HS256 JWT whose MAC secret is `secret` (the algorithm-confusion attack). */
export function hmacToken(
  secret: Uint8Array | string,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64url({ alg: 'HS256', typ: 'at+jwt', ...header })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * The byte strings an attacker would try as the HMAC secret for a public key: the JWK
 * as served (JSON), and the SPKI PEM and DER of the key.
 */
export function publicKeyAsSecrets(publicJwk: JWK): Array<{ name: string; secret: Buffer }> {
  const key = createPublicKey({ key: publicJwk as never, format: 'jwk' });
  return [
    { name: 'the JWK JSON', secret: Buffer.from(JSON.stringify(publicJwk)) },
    { name: 'the SPKI PEM', secret: Buffer.from(key.export({ type: 'spki', format: 'pem' }) as string) },
    { name: 'the SPKI DER', secret: key.export({ type: 'spki', format: 'der' }) as Buffer },
  ];
}
