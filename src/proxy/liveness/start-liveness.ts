import type { Config } from '../../config/index.ts';
import type { Clock } from '../../storage/clock.ts';
import type { Database } from '../../storage/create-database.ts';
import { createGrantStore } from '../../storage/grant-store.ts';
import { createRevocationStore, REVOCATION_CHANNEL } from '../../storage/revocation-store.ts';
import { createLiveness, type Liveness } from './liveness.ts';
import { createPgListen } from './pg-listen.ts';
import { createRevocationFeed, type FeedEvent } from './revocation-feed.ts';

export interface StartLivenessOptions {
  /** The proxy's knex instance: the feed's polls and first-sight reads use its pool. */
  db: Database;
  /** The URL (and password) `db` was opened with: PostgreSQL LISTENs on its own connection. */
  databaseUrl: string;
  databasePassword?: string | undefined;
  /** `proxy.revocationFeed.pollIntervalMs` */
  pollIntervalMs: number;
  /** `proxy.revocationFeed.maxSilenceMs` */
  maxSilenceMs: number;
  /** `(as.accessTokenTtl + proxy.tokenLeewaySeconds) * 1000` */
  maxTokenTtlMs: number;
  clock: Clock;
  onEvent?: (event: FeedEvent) => void;
  onError?: (error: unknown) => void;
}

export interface RunningLiveness extends Liveness {
  /** For a readiness endpoint: false while requests would get 'unavailable'. */
  healthy(): boolean;
  size(): { grants: number; tokens: number; loading: number };
  /** Called with the id of each live grant whose limits changed (a `limits` log entry). */
  onLimitsChanged(listener: (grantId: string) => void): void;
  /**
   * Called with each grant or token id the log says was revoked, after the cache knows
   * it (the proxy ends the requests of it that are still running).
   */
  onRevoked(listener: (revoked: { kind: 'grant' | 'token'; id: string }) => void): void;
  stop(): Promise<void>;
}

/** The feed's settings, read from the configuration the same way by `bin/` and the tests. */
export function livenessSettings(
  config: Config,
): Pick<
  StartLivenessOptions,
  'databaseUrl' | 'databasePassword' | 'pollIntervalMs' | 'maxSilenceMs' | 'maxTokenTtlMs'
> {
  return {
    databaseUrl: config.database.url,
    databasePassword: config.database.password,
    pollIntervalMs: config.proxy.revocationFeed.pollIntervalMs,
    maxSilenceMs: config.proxy.revocationFeed.maxSilenceMs,
    maxTokenTtlMs: (config.as.accessTokenTtl + config.proxy.tokenLeewaySeconds) * 1000,
  };
}

/** Wires the feed to the liveness cache over the proxy's database and starts following. */
export async function startLiveness(options: StartLivenessOptions): Promise<RunningLiveness> {
  const { db, clock } = options;
  const revocations = createRevocationStore(db, clock);
  const grants = createGrantStore(db, clock, revocations);
  const listen =
    db.engine === 'pg'
      ? createPgListen({
          url: options.databaseUrl,
          password: options.databasePassword,
          channel: REVOCATION_CHANNEL,
        })
      : undefined;
  const feed = createRevocationFeed({
    revocations,
    pollIntervalMs: options.pollIntervalMs,
    maxSilenceMs: options.maxSilenceMs,
    clock,
    listen,
    onEvent: options.onEvent,
    onEntries: (entries) => {
      cache.applyEntries(entries);
      for (const entry of entries) {
        if (entry.kind === 'limits') for (const listener of limitListeners) listener(entry.subjectId);
        else for (const listener of revokedListeners) listener({ kind: entry.kind, id: entry.subjectId });
      }
    },
  });
  const limitListeners: Array<(grantId: string) => void> = [];
  const revokedListeners: Array<(revoked: { kind: 'grant' | 'token'; id: string }) => void> = [];
  const cache = createLiveness({
    loadGrant: (id) => grants.find(id),
    isTokenRevoked: (jti) => revocations.isTokenRevoked(jti),
    feed,
    clock,
    maxTokenTtlMs: options.maxTokenTtlMs,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  await feed.start();
  return {
    check: cache.check,
    healthy: () => feed.healthy(clock()),
    size: cache.size,
    onLimitsChanged: (listener) => limitListeners.push(listener),
    onRevoked: (listener) => revokedListeners.push(listener),
    stop: () => feed.stop(),
  };
}
