import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SQLITE_BUSY_TIMEOUT_MS } from '../../../src/storage/create-database.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';

const INCREMENT = fileURLToPath(new URL('../../support/sqlite-increment.ts', import.meta.url));
const HOLD_MS = 300;

/** The child's output lines, as they come. */
function increment(url: string, holdMs: number): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, [INCREMENT, url, String(holdMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  return { child, lines };
}

const nextLine = async (lines: AsyncIterator<string>): Promise<string> => String((await lines.next()).value);

/**
 * SQLite only: PostgreSQL has row locks and no "database is locked". Two processes on one
 * file, each in a knex transaction that reads and then writes: whichever comes second
 * waits for the first to commit (BEGIN IMMEDIATE + busy timeout) instead of failing when
 * its read snapshot can no longer be upgraded to a write.
 */
describe('SQLite: write transactions of two processes on one file queue', function () {
  this.timeout(30_000);
  let t: TestDatabase;

  beforeEach(async () => {
    t = await createTestDatabase('sqlite', { migrate: false });
    await t.db.schema.createTable('counter', (table) => {
      table.integer('id').primary();
      table.integer('n').notNullable();
    });
    await t.db('counter').insert({ id: 1, n: 0 });
  });
  afterEach(() => t.drop());

  const counter = async () => Number((await t.db('counter').where({ id: 1 }).first()).n);

  it('a transaction begins IMMEDIATE; the busy timeout is set on the connection', async () => {
    const sql: string[] = [];
    const onQuery = (query: { sql: string }) => sql.push(query.sql);
    t.db.on('query', onQuery);
    await t.db.transaction(async (trx) => {
      await trx('counter').where({ id: 1 }).first();
    });
    t.db.off('query', onQuery);
    expect(sql[0]).to.equal('BEGIN IMMEDIATE;');
    expect(await t.db.raw('pragma busy_timeout')).to.deep.equal([{ timeout: SQLITE_BUSY_TIMEOUT_MS }]);
    expect(await t.db.raw('pragma journal_mode')).to.deep.equal([{ journal_mode: 'wal' }]);
  });

  it('nested transactions (savepoints) and rollbacks still work', async () => {
    await t.db.transaction(async (trx) => {
      await trx('counter').update({ n: 1 });
      await trx
        .transaction(async (inner) => {
          await inner('counter').update({ n: 99 });
          throw new Error('undo the inner one');
        })
        .catch(() => undefined);
      expect(Number((await trx('counter').first()).n)).to.equal(1);
    });
    expect(await counter()).to.equal(1);
    await t.db
      .transaction(async (trx) => {
        await trx('counter').update({ n: 5 });
        throw new Error('undo it all');
      })
      .catch(() => undefined);
    expect(await counter()).to.equal(1);
  });

  it('another process waits for this connection’s transaction, then commits after it', async () => {
    let child: ReturnType<typeof increment> | undefined;
    await t.db.transaction(async (trx) => {
      const row = await trx('counter').where({ id: 1 }).first();
      child = increment(t.url, 0);
      expect(await nextLine(child.lines)).to.equal('ready');
      // Time for the child to open its transaction (and, unfixed, to commit its write).
      await sleep(HOLD_MS);
      await trx('counter')
        .where({ id: 1 })
        .update({ n: Number(row.n) + 1 });
    });
    const { lines, child: process } = child as ReturnType<typeof increment>;
    expect(await nextLine(lines)).to.equal('begun');
    const done = /^done (\d+)$/.exec(await nextLine(lines));
    await once(process, 'close');
    expect(Number(done?.[1]), 'queued behind this transaction').to.be.at.least(HOLD_MS / 3);
    expect(await counter()).to.equal(2);
  });

  it('this connection’s transaction waits for another process’s, then commits after it', async () => {
    const child = increment(t.url, HOLD_MS);
    expect(await nextLine(child.lines)).to.equal('ready');
    expect(await nextLine(child.lines)).to.equal('begun');
    const started = Date.now();
    await t.db.transaction(async (trx) => {
      const row = await trx('counter').where({ id: 1 }).first();
      await trx('counter')
        .where({ id: 1 })
        .update({ n: Number(row.n) + 1 });
    });
    const waited = Date.now() - started;
    expect(await nextLine(child.lines)).to.match(/^done \d+$/);
    await once(child.child, 'close');
    expect(waited, 'queued behind the other transaction').to.be.at.least(HOLD_MS / 3);
    expect(await counter()).to.equal(2);
  });
});
