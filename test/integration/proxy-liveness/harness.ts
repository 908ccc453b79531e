import { createLiveness } from '../../../src/proxy/liveness/liveness.ts';
import { createPgListen, type Listen } from '../../../src/proxy/liveness/pg-listen.ts';
import { createRevocationFeed, type FeedEvent } from '../../../src/proxy/liveness/revocation-feed.ts';
import type { Clock } from '../../../src/storage/clock.ts';
import { createDatabase, type Database } from '../../../src/storage/create-database.ts';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createStores, type Stores } from '../../../src/storage/index.ts';
import { createRevocationStore, REVOCATION_CHANNEL } from '../../../src/storage/revocation-store.ts';
import { createTestDatabase, type Engine, type TestDatabase } from '../../support/databases.ts';

/** `application_name` of the LISTEN connections `composeLiveness` opens (to find them). */
export const LISTENER_NAME = 'mandate-liveness-test';

/** Feed events as they happen, and a way to await the next one that matters. */
export function feedEvents() {
  const waiters: { match: (e: FeedEvent) => boolean; resolve: (e: FeedEvent) => void }[] = [];
  const seen: FeedEvent[] = [];
  return {
    seen,
    record(event: FeedEvent) {
      seen.push(event);
      for (const w of waiters.filter((w) => w.match(event))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    },
    next(match: (e: FeedEvent) => boolean): Promise<FeedEvent> {
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    /** The read that delivers the log entry about this grant id or token id. */
    delivering(subjectId: string): Promise<FeedEvent> {
      return this.next((e) => e.type === 'read' && e.entries.some((x) => x.subjectId === subjectId));
    },
    nextRead(): Promise<FeedEvent> {
      return this.next((e) => e.type === 'read');
    },
  };
}

export interface World {
  engine: Engine;
  t: TestDatabase;
  /** The authorization server's stores, on their own knex instance. */
  as: Stores;
  /** The proxy's own knex instance on the same database. */
  proxyDb: Database;
  accountId: string;
  recordGrant(id: string, expiresAt: number): Promise<void>;
  close(): Promise<void>;
}

/** One database, seen by an "authorization server" and a "proxy" through separate pools. */
export async function createWorld(engine: Engine, clock: Clock): Promise<World> {
  const t = await createTestDatabase(engine);
  const as = createStores(t.db, clock, { loginWindowMs: 60_000 });
  const account = await as.accounts.create('alice', 'correct horse battery');
  const proxyDb = createDatabase({
    url: t.url,
    poolMax: 2,
    // A read that asks for a connection while `destroy()` is closing the pool waits for
    // the acquire timeout (knex: 60 s) before it fails; the feed reads nothing meanwhile.
    acquireTimeoutMs: 500,
  });
  return {
    engine,
    t,
    as,
    proxyDb,
    accountId: account.id,
    recordGrant: async (id, expiresAt) => {
      await as.grants.record({
        id,
        accountId: account.id,
        clientId: 'app',
        scopes: ['openai:*:chat'],
        expiresAt,
      });
    },
    async close() {
      await proxyDb.destroy().catch(() => {});
      await t.drop();
    },
  };
}

/**
 * The same wiring as `startLiveness`, with seams a test can wrap: the grant and token
 * reads, the log reads and the LISTEN connection.
 */
export async function composeLiveness(
  world: World,
  {
    clock,
    pollIntervalMs,
    maxSilenceMs = 5000,
    maxTokenTtlMs = 3_600_000,
    wrapLoadGrant = (f) => f,
    wrapIsTokenRevoked = (f) => f,
    wrapReadLog = (f) => f,
    wrapListen = (f) => f,
  }: {
    clock: Clock;
    pollIntervalMs: number;
    maxSilenceMs?: number;
    maxTokenTtlMs?: number;
    wrapLoadGrant?: (
      f: (id: string) => Promise<{ revokedAt: number | null; expiresAt: number } | undefined>,
    ) => (id: string) => Promise<{ revokedAt: number | null; expiresAt: number } | undefined>;
    wrapIsTokenRevoked?: (f: (jti: string) => Promise<boolean>) => (jti: string) => Promise<boolean>;
    wrapReadLog?: (f: Stores['revocations']['readLog']) => Stores['revocations']['readLog'];
    wrapListen?: (f: Listen) => Listen;
  },
) {
  const revocations = createRevocationStore(world.proxyDb, clock);
  const grants = createGrantStore(world.proxyDb, clock, revocations);
  const events = feedEvents();
  const listen =
    world.engine === 'pg'
      ? wrapListen(
          createPgListen({ url: world.t.url, channel: REVOCATION_CHANNEL, applicationName: LISTENER_NAME }),
        )
      : undefined;
  const feed = createRevocationFeed({
    revocations: { readLog: wrapReadLog(revocations.readLog), lastSeq: revocations.lastSeq },
    pollIntervalMs,
    maxSilenceMs,
    clock,
    listen,
    onEvent: events.record,
    onEntries: (entries) => liveness.applyEntries(entries),
    reconnectDelayMs: { min: 20, max: 200 },
  });
  const liveness = createLiveness({
    loadGrant: wrapLoadGrant((id) => grants.find(id)),
    isTokenRevoked: wrapIsTokenRevoked((jti) => revocations.isTokenRevoked(jti)),
    feed,
    clock,
    maxTokenTtlMs,
  });
  await feed.start();
  return { feed, liveness, events };
}
