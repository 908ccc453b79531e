import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** How long one nonce is current; the one before it is still accepted. */
export const DPOP_NONCE_PERIOD_MS = 5 * 60_000;

export interface DpopNonces {
  /** The nonce to hand out now (`DPoP-Nonce`). */
  current(now: number): string;
  /** Whether a proof's `nonce` is the current one or the one before it. */
  accepts(nonce: unknown, now: number): boolean;
}

/**
 * Server nonces for DPoP proofs (RFC 9449 §9) that every proxy process hands out and
 * accepts alike, with nothing stored: a nonce is an HMAC of the current five-minute
 * period under a key derived from a secret all proxies share (the proxy's client
 * secret, domain-separated with HKDF), so an app cannot make one up and a proof
 * signed in advance is useless.
 */
export function createDpopNonces(sharedSecret: string): DpopNonces {
  const key = Buffer.from(hkdfSync('sha256', sharedSecret, '', 'mandate dpop nonce', 32));
  const nonceOf = (period: number) =>
    createHmac('sha256', key).update(String(period)).digest('base64url').slice(0, 32);
  const same = (a: string, b: string) =>
    a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
  return {
    current: (now) => nonceOf(Math.floor(now / DPOP_NONCE_PERIOD_MS)),
    accepts(nonce, now) {
      if (typeof nonce !== 'string') return false;
      const period = Math.floor(now / DPOP_NONCE_PERIOD_MS);
      return same(nonce, nonceOf(period)) || same(nonce, nonceOf(period - 1));
    },
  };
}
