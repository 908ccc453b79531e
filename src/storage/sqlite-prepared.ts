import type { Database } from './create-database.ts';

/** The part of a better-sqlite3 statement used here. */
export interface SqliteStatement {
  get(...params: unknown[]): Record<string, unknown> | undefined;
  run(...params: unknown[]): { changes: number };
}

/** The part of a better-sqlite3 connection used here. */
export interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  transaction<T>(fn: () => T): { immediate(): T };
}

interface KnexClient {
  acquireConnection(): Promise<SqliteConnection>;
  releaseConnection(connection: SqliteConnection): Promise<unknown>;
}

const prepared = new WeakMap<SqliteConnection, Map<unknown, unknown>>();

/**
 * SQLite: runs `fn` in a `BEGIN IMMEDIATE` transaction on a connection taken from knex's
 * pool, with the statements `prepare` makes prepared once per connection (and per
 * `prepare` function). better-sqlite3 is synchronous and the connection is held for the
 * duration, so no other query can interleave; the write lock is taken first, so several
 * processes on one file queue (busy_timeout) instead of deadlocking. For the hot paths:
 * knex's query building and compiling cost about ten times the statements themselves.
 */
export async function inPreparedSqliteTransaction<S, T>(
  db: Database,
  prepare: (connection: SqliteConnection) => S,
  fn: (statements: S) => T,
): Promise<T> {
  const client = (db as unknown as { client: KnexClient }).client;
  const connection = await client.acquireConnection();
  try {
    let byPrepare = prepared.get(connection);
    if (!byPrepare) {
      byPrepare = new Map();
      prepared.set(connection, byPrepare);
    }
    let statements = byPrepare.get(prepare) as S | undefined;
    if (statements === undefined) {
      statements = prepare(connection);
      byPrepare.set(prepare, statements);
    }
    const ready = statements;
    return connection.transaction(() => fn(ready)).immediate();
  } finally {
    await client.releaseConnection(connection);
  }
}
