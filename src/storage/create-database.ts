import knex, { type Knex } from 'knex';
import pg from 'pg';
import { ImmediateSqliteClient } from './sqlite-client.ts';

export interface DatabaseOptions {
  url: string;
  password?: string | undefined;
  poolMax: number;
  /** How long a query waits for a pooled connection before failing (knex's default is 60 s). */
  acquireTimeoutMs?: number | undefined;
  /** PostgreSQL: how long opening a connection may take (pg's default: no limit). */
  connectTimeoutMs?: number | undefined;
}

export type Database = Knex & { readonly engine: 'sqlite' | 'pg' };

/** How long a SQLite connection waits for another connection's write lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** bigint columns hold epoch milliseconds and sequence numbers: safe as JS numbers. */
const pgTypes = {
  getTypeParser(oid: number, format: string) {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/**
 * A knex instance on SQLite (WAL, shared by the AS and proxy processes) or PostgreSQL.
 * On SQLite every transaction begins `IMMEDIATE` (sqlite-client.ts) and every connection
 * waits up to `SQLITE_BUSY_TIMEOUT_MS` for another process's write lock, so concurrent
 * writers from several processes queue rather than fail with "database is locked".
 */
export function createDatabase({
  url,
  password,
  poolMax,
  acquireTimeoutMs,
  connectTimeoutMs,
}: DatabaseOptions): Database {
  const acquire = acquireTimeoutMs === undefined ? {} : { acquireConnectionTimeout: acquireTimeoutMs };
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length) || ':memory:';
    const db = knex({
      client: ImmediateSqliteClient,
      connection: { filename },
      useNullAsDefault: true,
      ...acquire,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        },
      },
    });
    return Object.assign(db, { engine: 'sqlite' as const });
  }
  const db = knex({
    client: 'pg',
    ...acquire,
    connection: {
      connectionString: url,
      ...(password ? { password } : {}),
      ...(connectTimeoutMs === undefined ? {} : { connectionTimeoutMillis: connectTimeoutMs }),
      types: pgTypes,
    },
    pool: { min: 0, max: poolMax },
  });
  return Object.assign(db, { engine: 'pg' as const });
}
