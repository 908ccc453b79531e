import { GRANT_AND_COUNTERS, MOVE_COUNTERS } from './budget-queries.ts';
import type { Database } from './create-database.ts';

/** The part of a better-sqlite3 connection used here. */
interface Statement {
  get(...params: unknown[]): Record<string, unknown> | undefined;
  run(...params: unknown[]): unknown;
}
export interface SqliteConnection {
  prepare(sql: string): Statement;
  transaction<T>(fn: () => T): { immediate(): T };
}

interface KnexClient {
  acquireConnection(): Promise<SqliteConnection>;
  releaseConnection(connection: SqliteConnection): Promise<unknown>;
}

/** The budget's statements on one connection, prepared once. */
export interface BudgetStatements {
  grantAndCounters: Statement;
  addReservation: Statement;
  claimReservation: Statement;
  moveCounters: Statement;
}

const prepared = new WeakMap<SqliteConnection, BudgetStatements>();

/**
 * SQLite: runs `fn` in a `BEGIN IMMEDIATE` transaction on the connection knex holds,
 * with the budget's statements prepared once per connection. better-sqlite3 is
 * synchronous, and the connection is taken from knex's pool for the duration, so no
 * other query can interleave; the write lock is taken first, so several processes on
 * one file queue (busy_timeout) instead of deadlocking. Knex's query building and
 * compiling cost about ten times the statements themselves here.
 */
export async function inSqliteTransaction<T>(
  db: Database,
  insertReservation: string,
  fn: (statements: BudgetStatements) => T,
): Promise<T> {
  const client = (db as unknown as { client: KnexClient }).client;
  const connection = await client.acquireConnection();
  try {
    let statements = prepared.get(connection);
    if (!statements) {
      statements = prepare(connection, insertReservation);
      prepared.set(connection, statements);
    }
    const ready = statements;
    return connection.transaction(() => fn(ready)).immediate();
  } finally {
    await client.releaseConnection(connection);
  }
}

function prepare(connection: SqliteConnection, insertReservation: string): BudgetStatements {
  return {
    grantAndCounters: connection.prepare(GRANT_AND_COUNTERS),
    addReservation: connection.prepare(insertReservation),
    claimReservation: connection.prepare(
      'delete from reservations where id = ? returning grant_id, period, provider, requests, tokens, micro_usd, ancestors',
    ),
    moveCounters: connection.prepare(MOVE_COUNTERS),
  };
}
