import type { Stores } from '../storage/index.ts';
import { purgeExpired } from '../storage/oidc-adapter.ts';

export interface PurgeReport {
  payloads: number;
  revokedTokens: number;
  expiredGrants: number;
  loginFailures: number;
  dpopProofs: number;
}

/** One pass: expired rows go (DPoP proofs past their window too), grants past their expiry are logged as ended. */
export async function purgeOnce(stores: Stores): Promise<PurgeReport> {
  const { payloads, revokedTokens } = await purgeExpired(stores.db, stores.clock);
  const expiredGrants = await stores.grants.revokeExpired();
  const loginFailures = await stores.loginFailures.purge();
  const dpopProofs = await stores.dpopProofs.purge();
  return { payloads, revokedTokens, expiredGrants, loginFailures, dpopProofs };
}

/** Runs `purgeOnce` every `intervalMs`; returns a function that stops it. */
export function startPurgeJob(
  stores: Stores,
  intervalMs: number,
  onError: (err: unknown) => void,
): () => void {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await purgeOnce(stores);
    } catch (err) {
      onError(err);
    } finally {
      running = false;
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
