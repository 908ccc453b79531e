import type { UsageRecord } from '../../storage/usage-store.ts';

export interface UsageWriterOptions {
  /** Writes one batch; throws when it could not (the batch is kept and retried). */
  insert(records: readonly UsageRecord[]): Promise<void>;
  /** How often pending records are written. Default 250 ms. */
  flushIntervalMs?: number;
  /** Records per batch; a full batch is written at once. Default 200. */
  batchSize?: number;
  /** Told when a batch could not be written (it will be retried). */
  onError?(err: unknown, pending: number): void;
  /**
   * Most records held while the database cannot be written (default 100,000, a few tens
   * of MB): past it the oldest are dropped, and counted, rather than the process running
   * out of memory. Budgets do not depend on these records (they settle on their own rows).
   */
  maxPending?: number;
  /** Told how many records were dropped so far, each time some are. */
  onDropped?(dropped: number): void;
}

/**
 * Usage records leave the hot path through an in-memory queue: `record` only appends,
 * and a writer inserts batches every `flushIntervalMs` or as soon as a batch is full.
 * A batch that fails stays at the head of the queue and is retried on the next tick
 * (inserts ignore ids already stored, so a retry after an ambiguous failure is safe).
 * `stop` writes everything still pending.
 */
export function createUsageWriter(options: UsageWriterOptions) {
  const intervalMs = options.flushIntervalMs ?? 250;
  const batchSize = options.batchSize ?? 200;
  const maxPending = options.maxPending ?? 100_000;
  let queue: UsageRecord[] = [];
  let dropped = 0;
  /** Records at the head of the queue in the batch being written. */
  let inFlight = 0;
  let writing: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  function schedule() {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush().catch(() => undefined);
    }, intervalMs);
    timer.unref();
  }

  /** Writes the queue batch by batch; rejects (records kept) when a batch fails. */
  async function writeAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, batchSize);
      inFlight = batch.length;
      try {
        await options.insert(batch);
      } catch (err) {
        options.onError?.(err, queue.length);
        throw err;
      } finally {
        inFlight = 0;
      }
      queue = queue.slice(batch.length);
    }
  }

  function flush(): Promise<void> {
    if (!writing) {
      writing = writeAll().finally(() => {
        writing = undefined;
        if (queue.length > 0) schedule();
      });
    }
    return writing;
  }

  return {
    record(record: UsageRecord): void {
      queue.push(record);
      if (queue.length > maxPending) {
        // The oldest not in the batch being written (that batch is the head of the queue).
        const over = queue.length - maxPending;
        queue.splice(inFlight, over);
        dropped += over;
        options.onDropped?.(dropped);
      }
      if (queue.length >= batchSize && !writing) void flush().catch(() => undefined);
      else schedule();
    },
    /** Records not yet written. */
    get pending(): number {
      return queue.length;
    },
    /** Records dropped because the queue was full. */
    get dropped(): number {
      return dropped;
    },
    /** Writes everything pending now (waits for a write in progress first). */
    async flush(): Promise<void> {
      if (writing) await writing.catch(() => undefined);
      await flush();
    },
    /** Stops the timer and writes what is pending, retrying a failed batch a few times. */
    async stop({ attempts = 5, retryDelayMs = 200 } = {}): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          if (writing) await writing.catch(() => undefined);
          await flush();
          return;
        } catch (err) {
          if (attempt >= attempts) throw err;
          await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
        }
      }
    },
  };
}

export type UsageWriter = ReturnType<typeof createUsageWriter>;
