/**
 * knex's better-sqlite3 client, except that a transaction starts with `BEGIN IMMEDIATE`.
 *
 * A plain (deferred) `BEGIN` takes the write lock only at the first write; when another
 * process committed in between, SQLite cannot upgrade the read snapshot and fails at once
 * with SQLITE_BUSY ("database is locked") — the busy timeout does not apply. Taking the
 * write lock first makes several processes on one file queue for it (up to the busy
 * timeout) instead. Savepoints (nested transactions) are unchanged, as is the rest of
 * knex's transaction bookkeeping: only the statement that opens one differs.
 */
import { createRequire } from 'node:module';
import type { Knex } from 'knex';

const require = createRequire(import.meta.url);
type Constructor = new (...args: never[]) => object;
const BetterSqlite3Client = require('knex/lib/dialects/better-sqlite3/index.js') as Constructor;
const SqliteTransaction = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as Constructor;

class ImmediateTransaction extends SqliteTransaction {
  begin(this: { query(conn: unknown, sql: string): Promise<unknown> }, conn: unknown) {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

class ImmediateClient extends BetterSqlite3Client {
  transaction(...args: unknown[]) {
    return new (ImmediateTransaction as unknown as new (...a: unknown[]) => object)(this, ...args);
  }
}

/** The client class to pass as knex's `client`. */
export const ImmediateSqliteClient = ImmediateClient as unknown as typeof Knex.Client;
