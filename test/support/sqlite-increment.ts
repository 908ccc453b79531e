/**
 * A second process for the SQLite locking tests, run as
 * `node sqlite-increment.ts <database url> <hold ms>`: prints `ready`, then in one knex
 * transaction reads `counter.n`, prints `begun`, waits `hold ms`, writes `n + 1` and commits, then prints
 * `done <ms the transaction took>` (or `failed <message>`) and exits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase } from '../../src/storage/create-database.ts';

const [url = '', hold = '0'] = process.argv.slice(2);
const db = createDatabase({ url, poolMax: 1 });
console.log('ready');
const started = Date.now();
try {
  await db.transaction(async (trx) => {
    const row = await trx('counter').where({ id: 1 }).first();
    console.log('begun');
    await sleep(Number(hold));
    await trx('counter')
      .where({ id: 1 })
      .update({ n: Number(row.n) + 1 });
  });
  console.log(`done ${Date.now() - started}`);
} catch (err) {
  console.log(`failed ${(err as Error).message}`);
} finally {
  await db.destroy();
}
