import { expect } from 'chai';
import { createUsageWriter } from '../../../../src/proxy/usage/usage-writer.ts';
import type { UsageRecord } from '../../../../src/storage/usage-store.ts';

const record = (id: string): UsageRecord => ({
  id,
  grantId: 'g',
  clientId: 'c',
  accountId: 'a',
  provider: 'openai',
  model: 'gpt-4o-mini',
  capability: 'chat',
  inputTokens: 1,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 1,
  reasoningTokens: 0,
  costMicroUsd: null,
  status: 200,
  upstreamMs: 1,
  createdAt: 0,
  clientAborted: false,
  upstreamFailed: false,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('usage writer', () => {
  it('writes in batches: at once when a batch is full, else on the timer', async () => {
    const batches: string[][] = [];
    const writer = createUsageWriter({
      insert: async (records) => {
        batches.push(records.map((r) => r.id));
      },
      flushIntervalMs: 30,
      batchSize: 2,
    });
    writer.record(record('1'));
    writer.record(record('2'));
    await sleep(5);
    expect(batches).to.deep.equal([['1', '2']]);
    writer.record(record('3'));
    await sleep(5);
    expect(batches).to.deep.equal([['1', '2']]);
    await sleep(60);
    expect(batches).to.deep.equal([['1', '2'], ['3']]);
    await writer.stop();
  });

  it('keeps a batch that failed and retries it; stop writes what is pending', async () => {
    const written: string[] = [];
    let failures = 2;
    const errors: number[] = [];
    const writer = createUsageWriter({
      insert: async (records) => {
        if (failures-- > 0) throw new Error('database down');
        written.push(...records.map((r) => r.id));
      },
      flushIntervalMs: 10,
      batchSize: 100,
      onError: (_err, pending) => errors.push(pending),
    });
    writer.record(record('a'));
    writer.record(record('b'));
    await sleep(60);
    expect(written).to.deep.equal(['a', 'b']);
    expect(errors).to.deep.equal([2, 2]);
    writer.record(record('c'));
    await writer.stop();
    expect(written).to.deep.equal(['a', 'b', 'c']);
    expect(writer.pending).to.equal(0);
  });

  it('stop retries a failing flush, then rejects with the records still pending', async () => {
    const writer = createUsageWriter({
      insert: async () => {
        throw new Error('database down');
      },
      flushIntervalMs: 60_000,
    });
    writer.record(record('x'));
    let error: unknown;
    await writer.stop({ attempts: 2, retryDelayMs: 1 }).catch((err) => {
      error = err;
    });
    expect((error as Error).message).to.equal('database down');
    expect(writer.pending).to.equal(1);
  });
});

describe('usage writer under a long outage', () => {
  it('holds at most maxPending records, dropping the oldest but never the batch being written', async () => {
    let release: () => void = () => {};
    let fail = true;
    const written: string[] = [];
    const drops: number[] = [];
    const writer = createUsageWriter({
      insert: (records) =>
        new Promise<void>((resolve, reject) => {
          const settle = () => {
            if (fail) reject(new Error('database down'));
            else {
              written.push(...records.map((r) => r.id));
              resolve();
            }
          };
          if (fail) release = settle;
          else settle();
        }),
      flushIntervalMs: 5,
      batchSize: 2,
      maxPending: 4,
      onDropped: (n) => drops.push(n),
    });
    for (const id of ['1', '2']) writer.record(record(id)); // a full batch: being written now
    for (const id of ['3', '4', '5', '6']) writer.record(record(id));
    expect(writer.pending).to.equal(4);
    expect(writer.dropped).to.equal(2);
    expect(drops).to.deep.equal([1, 2]);
    fail = false;
    release();
    await writer.stop();
    // 1 and 2 were in flight and kept; 3 and 4 were the oldest waiting.
    expect(written).to.deep.equal(['1', '2', '5', '6']);
  });
});
