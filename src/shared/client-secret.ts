import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets are 256 random bits, so a fast hash is enough: nothing to brute-force.
 * Only the hash is stored; the secret is shown once, when the client is created.
 */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashClientSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('base64url')}`;
}

/** Whether a stored value is a hash made here (a generated secret is base64url: no `:`). */
export function isClientSecretHash(value: string): boolean {
  return value.startsWith('sha256:');
}

export function verifyClientSecret(storedHash: string | undefined, presented: unknown): boolean {
  if (typeof storedHash !== 'string' || typeof presented !== 'string') return false;
  const a = Buffer.from(hashClientSecret(presented));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
