import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '../../src/storage/create-database.ts';
import { migrateLatest } from '../../src/storage/migrate.ts';

export const engines = ['sqlite', 'pg'] as const;
export type Engine = (typeof engines)[number];

export interface TestDatabase {
  engine: Engine;
  /** A URL another process (or a second knex) can open to reach the same data. */
  url: string;
  db: Database;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database: a new SQLite file, or a new schema in this run's PostgreSQL
 * database (selected through the URL's search_path, so every connection lands in it).
 */
export async function createTestDatabase(engine: Engine, { migrate = true } = {}): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mandate-sqlite-'));
    const url = `sqlite:${join(dir, 'mandate.sqlite')}`;
    const db = createDatabase({ url, poolMax: 1 });
    if (migrate) await migrateLatest(db);
    return {
      engine,
      url,
      db,
      async drop() {
        await db.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const runUrl = process.env.MANDATE_TEST_RUN_PG_URL;
  if (!runUrl) throw new Error('PostgreSQL test database not set up (mochaGlobalSetup did not run)');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = createDatabase({ url: runUrl, poolMax: 1 });
  await admin.raw(`create schema ${schema}`);
  await admin.destroy();
  const url = new URL(runUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const db = createDatabase({ url: url.toString(), poolMax: 5 });
  if (migrate) await migrateLatest(db);
  return {
    engine,
    url: url.toString(),
    db,
    async drop() {
      await db.destroy();
      const cleanup = createDatabase({ url: runUrl, poolMax: 1 });
      await cleanup.raw(`drop schema ${schema} cascade`);
      await cleanup.destroy();
    },
  };
}
