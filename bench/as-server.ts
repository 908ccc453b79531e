/**
 * Child process of `npm run bench:as`: one authorization server under test, on a core of
 * its own, built the one way (buildAuthorizationServer, through the tests' harness) over
 * a fresh database: SQLite, a schema of the parent's fresh PostgreSQL database, or
 * SQLite with oidc-provider's in-memory adapter (its LRU store, enlarged) for everything but clients (`memory`:
 * accounts, apps and Mandate's grants stay in SQLite). Adds one person per lane (their
 * password hashed once, with the production scrypt parameters, and the hash shared) and
 * a pool of apps, one per flow, so every flow makes a new grant rather than replacing
 * one. Answers the parent's CPU reads (process.cpuUsage: all threads, scrypt's included)
 * and profiling requests.
 *
 *   node bench/as-server.ts <sqlite | memory | postgres://…/<bench database>> <lanes> <apps>
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import MemoryAdapter, { setStorage } from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { pino } from 'pino';
import { registerClient } from '../src/as/register-client.ts';
import { hashPassword } from '../src/shared/password.ts';
import { type RunningAs, startAuthorizationServer } from '../test/support/start-authorization-server.ts';
import { FLOW_SCOPE } from './as-flow-driver.ts';
import type { ChildMessage, ParentMessage } from './processes.ts';

const send = (message: ChildMessage) => process.send?.(message);
const [storage = '', lanesArg = '', appsArg = ''] = process.argv.slice(2);
const LANES = Number(lanesArg);
const APPS = Number(appsArg);
if (
  !(storage === 'sqlite' || storage === 'memory' || /^postgres(ql)?:\/\//.test(storage)) ||
  !(LANES >= 1 && LANES <= 256) ||
  !(APPS >= 1 && APPS <= 1_000_000)
) {
  console.error('usage: node bench/as-server.ts <sqlite | memory | postgres://…/<database>> <lanes> <apps>');
  process.exit(2);
}
const PASSWORD = 'correct horse battery staple';
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
/** `as.loginThrottle.maxFailures` for the run (see below); the window stays the default. */
const BENCH_MAX_FAILURES = 100_000;

let as: RunningAs | undefined;
let session: Session | undefined;

async function stop(code: number): Promise<never> {
  await as?.close().catch(() => undefined);
  process.exit(code);
}

async function start() {
  // The harness's PostgreSQL databases are schemas of the run database it is handed.
  if (storage.startsWith('postgres')) process.env.MANDATE_TEST_RUN_PG_URL = storage;
  // oidc-provider's in-memory adapter keeps at most 1,000 entries by default, which a run
  // outgrows (an idle lane's refresh token would be evicted): the same LRU, large enough.
  if (storage === 'memory') setStorage(new LRU({ maxSize: 10_000_000 }));
  as = await startAuthorizationServer(
    storage.startsWith('postgres') ? 'pg' : 'sqlite',
    // Every lane signs in from 127.0.0.1, and the throttle counts a check in flight as an
    // attempt of the address: with the default (5), eight concurrent sign-ins get 429.
    { as: { loginThrottle: { maxFailures: BENCH_MAX_FAILURES, windowSeconds: 15 * 60 } } },
    undefined,
    {
      ...(storage === 'memory' ? { adapter: (model: string) => new MemoryAdapter(model) } : {}),
      // Production logs to stdout through pino; here to /dev/null, not into a growing array.
      logDestination: pino.destination({ dest: '/dev/null' }),
    },
  );
  const hash = await hashPassword(PASSWORD);
  const users: string[] = [];
  for (let i = 0; i < LANES; i += 1) {
    const username = `bench-${i}`;
    await as.stores.accounts.create(username, hash);
    users.push(username);
  }
  const clientIds: string[] = [];
  for (let i = 0; i < APPS; i += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, APPS - i) }, (_, j) =>
        registerClient((as as RunningAs).stores.clients, {
          name: `Bench app ${i + j}`,
          redirectUris: [REDIRECT_URI],
          allowedScopes: [FLOW_SCOPE],
          confidential: false,
        }),
      ),
    );
    clientIds.push(...batch.map((c) => c.clientId));
  }
  let database = 'SQLite (better-sqlite3, WAL, one connection)';
  if (storage === 'memory')
    database =
      "oidc-provider's in-memory adapter for sessions, interactions, codes, grants and tokens; accounts, apps and Mandate's grants in SQLite";
  if (storage.startsWith('postgres')) {
    const { rows } = (await as.database.db.raw('select version() as v')) as { rows: Array<{ v: string }> };
    const version = /^PostgreSQL [\d.]+/.exec(rows[0]?.v ?? '')?.[0] ?? 'PostgreSQL';
    database = `${version} (node-postgres, a pool of at most 5 connections; a fresh database on ${new URL(storage).host})`;
  }
  send({
    type: 'as-ready',
    issuer: as.issuer,
    proxyUrl: as.proxyUrl,
    users,
    password: PASSWORD,
    clientIds,
    redirectUri: REDIRECT_URI,
    database,
  });
}

async function onMessage(message: ParentMessage) {
  if (message.type === 'stop') await stop(0);
  if (message.type === 'cpu-read') {
    const { user, system } = process.cpuUsage();
    send({ type: 'cpu', us: user + system });
  }
  if (message.type === 'profile-start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    send({ type: 'profile-started' });
  }
  if (message.type === 'profile-stop' && session) {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    session = undefined;
    writeFileSync(message.path, JSON.stringify(profile));
    send({ type: 'profile-written', path: message.path });
  }
}

process.on('message', (message: ParentMessage) => {
  onMessage(message).catch((err: Error) => send({ type: 'error', message: err.stack ?? String(err) }));
});
process.once('disconnect', () => void stop(0));

try {
  await start();
} catch (err) {
  send({ type: 'error', message: (err as Error).stack ?? String(err) });
  await stop(1);
}
