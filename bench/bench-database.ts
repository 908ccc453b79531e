/**
 * A fresh PostgreSQL database for one bench run, created on the server an admin URL names
 * and dropped at the end; and the CPU time of the backends serving it, read from /proc
 * (hence: PostgreSQL on this machine only).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { cpuMicros } from './processes.ts';

export interface BenchDatabase {
  name: string;
  url: string;
  /** CPU time so far of each backend connected to the database (but our own), µs. */
  backendCpu(): Promise<Map<number, number>>;
  drop(): Promise<void>;
}

export function isLocalPostgres(adminUrl: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(adminUrl).hostname);
}

export async function createBenchDatabase(
  adminUrl: string,
  prefix = 'mandate_bench',
): Promise<BenchDatabase> {
  if (!isLocalPostgres(adminUrl))
    throw new Error('PostgreSQL on this machine only (its CPU is read from /proc)');
  const name = `${prefix}_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // A client of our own in it, to find the backends serving the bench database.
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async backendCpu() {
      const cpu = new Map<number, number>();
      if (dropped) return cpu;
      const { rows } = await client.query<{ pid: number }>(
        'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
      for (const { pid } of rows) {
        try {
          cpu.set(pid, cpuMicros(pid));
        } catch {} // gone meanwhile
      }
      return cpu;
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await client.end().catch(() => undefined);
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** Backend CPU between two samples; a backend that started in between counts from zero. */
export const backendCpuBetween = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, us]) => sum + Math.max(0, us - (before.get(pid) ?? 0)), 0);
