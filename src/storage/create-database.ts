import knex, { type Knex } from 'knex';
import pg from 'pg';

export interface DatabaseOptions {
  url: string;
  password?: string | undefined;
  poolMax: number;
}

export type Database = Knex & { readonly engine: 'sqlite' | 'pg' };

/** bigint columns hold epoch milliseconds and sequence numbers: safe as JS numbers. */
const pgTypes = {
  getTypeParser(oid: number, format: string) {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** A knex instance on SQLite (WAL, shared by the AS and proxy processes) or PostgreSQL. */
export function createDatabase({ url, password, poolMax }: DatabaseOptions): Database {
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length) || ':memory:';
    const db = knex({
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        },
      },
    });
    return Object.assign(db, { engine: 'sqlite' as const });
  }
  const db = knex({
    client: 'pg',
    connection: { connectionString: url, ...(password ? { password } : {}), types: pgTypes },
    pool: { min: 0, max: poolMax },
  });
  return Object.assign(db, { engine: 'pg' as const });
}
