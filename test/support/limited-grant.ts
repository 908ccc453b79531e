import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { createGrantStore, type GrantStore, type LowerLimits } from '../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../src/storage/revocation-store.ts';
import type { IssuedTokens, ProxyFixture } from './proxy-fixture.ts';

/** The grant store on the fixture's database, as the account page uses it. */
export function grantStoreOf(fx: ProxyFixture): GrantStore {
  const db = fx.as.database.db;
  return createGrantStore(db, Date.now, createRevocationStore(db, Date.now));
}

/** The grant an access token belongs to. */
export function grantIdOf(accessToken: string): string {
  return String(decodeJwt(accessToken).grant_id);
}

/**
 * Lowers a grant's limits through the grant store (what the account page does), checks
 * the store took them, and waits until the proxy has received the change.
 */
export async function lowerLimits(fx: ProxyFixture, grantId: string, limits: LowerLimits): Promise<void> {
  const lowered = await grantStoreOf(fx).lowerLimits(grantId, limits);
  expect(lowered.ok, JSON.stringify(lowered)).to.equal(true);
  await fx.proxy.revocationDelivered(grantId);
}

/**
 * A grant with these caps through the real flow (sign-in, consent, code + PKCE), then
 * lowered via the grant store and delivered to the proxy.
 */
export async function limitedGrant(
  fx: ProxyFixture,
  limits: LowerLimits,
  scope: string,
): Promise<IssuedTokens & { grantId: string }> {
  const tokens = await fx.grant(scope);
  const grantId = grantIdOf(tokens.accessToken);
  await lowerLimits(fx, grantId, limits);
  return { ...tokens, grantId };
}
