import type { Clock } from '../../storage/clock.ts';
import type { RevocationEntry, RevocationStore } from '../../storage/revocation-store.ts';
import type { Listen } from './pg-listen.ts';
import { systemTimers, type Timers } from './timers.ts';

/** What the feed tells its owner, for logs and metrics. `read` comes every poll. */
export type FeedEvent =
  | { type: 'read'; position: number; entries: RevocationEntry[] }
  | { type: 'read-failed'; error: unknown }
  | { type: 'listening' }
  | { type: 'listen-failed'; error: unknown; retryInMs: number }
  | { type: 'listen-lost'; error: unknown; retryInMs: number };

export interface RevocationFeedDeps {
  revocations: Pick<RevocationStore, 'readLog' | 'lastSeq'>;
  /** Heartbeat and SQLite delivery: read the log this often even without notifications. */
  pollIntervalMs: number;
  /** Longer than this without a successful read and the feed is unhealthy. */
  maxSilenceMs: number;
  clock: Clock;
  /** Called with each batch of new entries, oldest first, before the position advances. */
  onEntries(entries: RevocationEntry[]): void;
  /** PostgreSQL: a LISTEN connection that says when to read (see `createPgListen`). */
  listen?: Listen | undefined;
  onEvent?: ((event: FeedEvent) => void) | undefined;
  timers?: Timers;
  reconnectDelayMs?: { min: number; max: number };
  batchSize?: number;
  random?: () => number;
}

export interface RevocationFeed {
  /**
   * Starts polling and listening; resolves once the first read and the first LISTEN
   * attempt are done, failed or not (failures go to `onEvent`, and are retried).
   */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A successful read started no longer than `maxSilenceMs` ago. */
  healthy(now: number): boolean;
  /** Reads now, or once more after the read in flight; rejects if that read fails. */
  readNow(): Promise<void>;
  /** The last sequence number delivered (undefined until the first read). */
  readonly position: number | undefined;
  readonly lastHeardAt: number | undefined;
}

/**
 * Follows the `revocations` log from the moment it starts. Entries from before are not
 * replayed: whoever asks about a grant for the first time reads the database, which
 * already holds them. A notification only says "read now"; delivery is always a read of
 * the log after the last position, so a lost notification, a reconnect or a failed read
 * costs at most one poll interval, never an entry. Reads never overlap: a trigger
 * during a read schedules exactly one more.
 */
export function createRevocationFeed({
  revocations,
  pollIntervalMs,
  maxSilenceMs,
  clock,
  onEntries,
  listen,
  onEvent = () => {},
  timers = systemTimers,
  reconnectDelayMs = { min: 100, max: 5000 },
  batchSize = 1000,
  random = Math.random,
}: RevocationFeedDeps): RevocationFeed {
  let position: number | undefined;
  let lastHeardAt: number | undefined;
  let running = false;
  let reading: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let pollTimer: unknown;
  let reconnectTimer: unknown;
  let closeListener: (() => Promise<void>) | undefined;
  let connecting: Promise<void> | undefined;
  let failedConnects = 0;

  async function readOnce(): Promise<void> {
    if (!running) return;
    const startedAt = clock();
    try {
      const delivered: RevocationEntry[] = [];
      if (position === undefined) {
        // First read: only what comes after now; the database answers for the past.
        position = await revocations.lastSeq();
      } else {
        for (;;) {
          const entries = await revocations.readLog(position, batchSize);
          if (!running) return;
          if (entries.length > 0) {
            onEntries(entries);
            position = entries[entries.length - 1].seq;
            delivered.push(...entries);
          }
          if (entries.length < batchSize) break;
        }
      }
      lastHeardAt = Math.max(lastHeardAt ?? startedAt, startedAt);
      onEvent({ type: 'read', position, entries: delivered });
    } catch (error) {
      onEvent({ type: 'read-failed', error });
      throw error;
    }
  }

  function readNow(): Promise<void> {
    if (!reading) {
      reading = readOnce().finally(() => {
        reading = undefined;
      });
      return reading;
    }
    queued ??= reading
      .catch(() => {})
      .then(() => {
        queued = undefined;
        return readNow();
      });
    return queued;
  }

  const trigger = () => {
    if (running) readNow().catch(() => {});
  };

  function retryDelay(): number {
    const base = Math.min(reconnectDelayMs.max, reconnectDelayMs.min * 2 ** failedConnects);
    failedConnects += 1;
    return Math.round(base * (0.5 + random() / 2));
  }

  function scheduleReconnect(): number {
    const delay = retryDelay();
    reconnectTimer = timers.setTimeout(() => {
      reconnectTimer = undefined;
      connecting = connect();
    }, delay);
    return delay;
  }

  async function connect(): Promise<void> {
    if (!listen || !running) return;
    let lost = false;
    try {
      const close = await listen({
        onNotify(payload) {
          const seq = Number(payload);
          if (position !== undefined && Number.isFinite(seq) && seq <= position) return;
          trigger();
        },
        onLost(error) {
          lost = true;
          closeListener = undefined;
          if (running) onEvent({ type: 'listen-lost', error, retryInMs: scheduleReconnect() });
        },
      });
      if (!running) {
        await close();
        return;
      }
      if (lost) return; // died before we got here; onLost scheduled the retry
      closeListener = close;
      failedConnects = 0;
      onEvent({ type: 'listening' });
      trigger(); // catch up on whatever was committed while not listening
    } catch (error) {
      if (running) onEvent({ type: 'listen-failed', error, retryInMs: scheduleReconnect() });
    }
  }

  return {
    async start() {
      if (running) return;
      running = true;
      pollTimer = timers.setInterval(trigger, pollIntervalMs);
      connecting = connect();
      await Promise.all([readNow().catch(() => {}), connecting]);
    },

    async stop() {
      running = false;
      timers.clearInterval(pollTimer);
      if (reconnectTimer !== undefined) timers.clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const close = closeListener;
      closeListener = undefined;
      await Promise.all([close?.(), connecting, reading?.catch(() => {}), queued?.catch(() => {})]);
    },

    healthy(now) {
      return running && lastHeardAt !== undefined && now - lastHeardAt <= maxSilenceMs;
    },

    readNow,

    get position() {
      return position;
    },
    get lastHeardAt() {
      return lastHeardAt;
    },
  };
}
