/**
 * `npm run bench:as`: the authorization server measured. Full authorization code + PKCE
 * flows per second (authorize → sign-in → consent → token, over real HTTP with a cookie
 * jar, as a browser without JavaScript would: bench/as-flow-driver.ts) and refreshes per
 * second, side by side in one run, on three storages: PostgreSQL (a fresh database
 * created on the server `--database` names, dropped after), SQLite, and oidc-provider's
 * in-memory adapter (everything of oidc-provider's but clients in memory; accounts, apps
 * and Mandate's grants in SQLite). Each storage is its own AS process (bench/as-server.ts).
 *
 * Three kinds of cell, each at every `--concurrency` (lanes looping back to back):
 *  - "first flow": a fresh user agent per flow, so every flow signs in (the password
 *    checked with scrypt at the production parameters, on libuv's threads), and a new app
 *    of a pool registered up front, so every flow makes a new grant;
 *  - "re-authorization, signed in": the lane's user agent keeps its session, so sign-in
 *    is skipped (authorize → consent → token), and approves the lane's one app again,
 *    which replaces (revokes) the grant of the previous round, as the consent page says.
 *    (Kept sessions with a new app each time would grow oidc-provider's session record
 *    by one entry per app, which no person's does.)
 *  - "refresh": each lane rotates its own refresh token, of a grant of its own.
 * CPU per flow is the AS process's process.cpuUsage (all threads, scrypt's included) over
 * the cell divided by its flows; on PostgreSQL, also that of the backends serving the
 * bench database. Two rounds per cell (storages in order, then reversed), pooled. The
 * scrypt cost of one password check is measured on its own, in this process.
 *
 * Processes: this one (the flow driver) on core 0, the three AS processes on core 1, with
 * taskset when there is one.
 *
 *   npm run bench:as [-- --database postgres://postgres@127.0.0.1:5432/postgres (or MANDATE_BENCH_PG_URL)
 *                        --seconds 6 --warmup-seconds 1 --concurrency 1,8 --apps 4000
 *                        --profile auto|always|never --profile-seconds 4 --no-write]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword, verifyPassword } from '../src/shared/password.ts';
import { createUserAgent, type UserAgent } from '../test/support/user-agent.ts';
import { discoverTarget, type FlowParty, type FlowTarget, refreshOnce, runFlow } from './as-flow-driver.ts';
import {
  AS_END_MARKER,
  AS_START_MARKER,
  type AsRunInfo,
  CELL_KINDS,
  type CellKind,
  type CellResult,
  type Profiled,
  renderAsResults,
  STORAGES,
  type StorageId,
} from './as-report.ts';
import { type BenchDatabase, backendCpuBetween, createBenchDatabase } from './bench-database.ts';
import { percentile } from './fixed-rate.ts';
import {
  type ChildMessage,
  canPin,
  nextMessage,
  type ParentMessage,
  pinSelf,
  startChild,
  stopChild,
} from './processes.ts';
import { summarizeProfile } from './profile-summary.ts';
import { writeResults } from './report.ts';

const argv = process.argv.slice(2);
const { values: opts } = parseArgs({
  args: argv,
  options: {
    database: {
      type: 'string',
      default: process.env.MANDATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
    seconds: { type: 'string', default: '6' },
    'warmup-seconds': { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1,8' },
    apps: { type: 'string', default: '4000' },
    profile: { type: 'string', default: 'auto' },
    'profile-seconds': { type: 'string', default: '4' },
    'no-write': { type: 'boolean', default: false },
  },
});
const ROUNDS = 2;
const SECONDS = Number(opts.seconds);
const WARMUP_SECONDS = Number(opts['warmup-seconds']);
const PROFILE_SECONDS = Number(opts['profile-seconds']);
const APPS = Number(opts.apps);
const CONCURRENCY = (opts.concurrency as string).split(',').map(Number);
for (const [name, n] of Object.entries({ SECONDS, WARMUP_SECONDS, PROFILE_SECONDS, APPS })) {
  if (!Number.isFinite(n) || n <= 0 || n > 1_000_000) throw new Error(`bad ${name}: ${n}`);
}
if (CONCURRENCY.some((c) => !Number.isInteger(c) || c < 1 || c > 64))
  throw new Error('--concurrency: comma-separated integers 1..64');
if (!['auto', 'always', 'never'].includes(opts.profile as string))
  throw new Error('--profile auto|always|never');
const ADMIN_URL = opts.database as string;
if (!/^postgres(ql)?:\/\//.test(ADMIN_URL)) throw new Error('--database postgres://…');

const ROOT = new URL('..', import.meta.url).pathname;
const DOC = join(ROOT, 'docs/performance.md');
const LANES = Math.max(...CONCURRENCY);
const log = (line: string) => process.stderr.write(`${line}\n`);

const children: Array<import('node:child_process').ChildProcess> = [];
let benchDb: BenchDatabase | undefined;
const cleanUp = async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await benchDb
    ?.drop()
    .catch((err: Error) => console.error(`bench:as: could not drop the bench database: ${err.message}`));
};
const ESTIMATE_S =
  STORAGES.length * CELL_KINDS.length * CONCURRENCY.length * (SECONDS + WARMUP_SECONDS + 3) +
  4 * PROFILE_SECONDS +
  240;
setTimeout(() => {
  console.error(`bench:as: still running after ${Math.round(ESTIMATE_S * 2)} s, giving up`);
  void cleanUp().finally(() => process.exit(1));
}, ESTIMATE_S * 2000).unref();
process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));

interface Server {
  id: StorageId;
  child: import('node:child_process').ChildProcess;
  ready: Extract<ChildMessage, { type: 'as-ready' }>;
  target: FlowTarget;
  /** The next unused app of the pool. */
  nextApp: number;
  /** Per lane: a user agent kept signed in and the app it re-approves; a grant's refresh token to rotate and its app. */
  lanes: Array<{ ua: UserAgent; party?: FlowParty; refreshClientId?: string; refreshToken?: string }>;
}

async function serverCpu(server: Server): Promise<number> {
  server.child.send({ type: 'cpu-read' } satisfies ParentMessage);
  return (await nextMessage(server.child, 'cpu', 10_000)).us;
}

function partyOf(server: Server, lane: number): FlowParty | undefined {
  const clientId = server.ready.clientIds[server.nextApp];
  if (clientId === undefined) return undefined;
  server.nextApp += 1;
  return {
    clientId,
    redirectUri: server.ready.redirectUri,
    username: server.ready.users[lane] as string,
    password: server.ready.password,
  };
}

/** One operation of a cell on a lane: false when the pool of apps is used up. */
async function once(server: Server, kind: CellKind, lane: number): Promise<boolean> {
  const state = server.lanes[lane] as Server['lanes'][number];
  if (kind === 'refresh') {
    state.refreshToken = await refreshOnce(
      server.target,
      state.refreshClientId as string,
      state.refreshToken as string,
    );
    return true;
  }
  if (kind === 'reauthorize') {
    await runFlow(server.target, state.party as FlowParty, state.ua);
    return true;
  }
  const party = partyOf(server, lane);
  if (!party) return false;
  await runFlow(server.target, party, createUserAgent());
  return true;
}

interface Round {
  ops: number;
  wallMs: number;
  latencies: number[];
  cpuUs: number;
  databaseUs: number;
  exhausted: boolean;
}

async function runCell(server: Server, kind: CellKind, concurrency: number, seconds: number): Promise<Round> {
  const database0 = server.id === 'pg' && benchDb ? await benchDb.backendCpu() : new Map();
  const cpu0 = await serverCpu(server);
  const began = performance.now();
  const until = began + seconds * 1000;
  const latencies: number[] = [];
  let exhausted = false;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (performance.now() < until && !exhausted) {
        const t0 = performance.now();
        const done = await once(server, kind, lane).catch((err: Error) => {
          throw new Error(`bench:as: ${kind} on ${server.id}, lane ${lane}: ${err.message}`, { cause: err });
        });
        if (!done) {
          exhausted = true;
          break;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const wallMs = performance.now() - began;
  const cpuUs = (await serverCpu(server)) - cpu0;
  const databaseUs =
    server.id === 'pg' && benchDb ? backendCpuBetween(database0, await benchDb.backendCpu()) : 0;
  return { ops: latencies.length, wallMs, latencies, cpuUs, databaseUs, exhausted };
}

/** The cost of one password check with the production parameters, in this (idle) process. */
async function measureScrypt(n = 20) {
  const hash = await hashPassword('correct horse battery staple');
  await verifyPassword('correct horse battery staple', hash);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1) await verifyPassword('correct horse battery staple', hash);
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / n, wallMs: (performance.now() - t0) / n };
}

async function main() {
  const began = performance.now();
  pinSelf(0);
  benchDb = await createBenchDatabase(ADMIN_URL, 'mandate_asbench');
  log(`bench:as: created PostgreSQL database ${benchDb.name} for this run`);
  const servers: Server[] = [];
  for (const id of STORAGES) {
    const storage = id === 'pg' ? benchDb.url : id;
    const child = startChild(join(ROOT, 'bench/as-server.ts'), [storage, String(LANES), String(APPS)], 1);
    children.push(child);
    const ready = await nextMessage(child, 'as-ready', 180_000);
    const target = await discoverTarget(ready.issuer, ready.proxyUrl);
    servers.push({
      id,
      child,
      ready,
      target,
      nextApp: 0,
      lanes: Array.from({ length: LANES }, () => ({ ua: createUserAgent() })),
    });
    log(`bench:as: ${id} ready at ${ready.issuer} (${ready.database}), ${ready.clientIds.length} apps`);
  }
  // Every lane of every server: a first flow on the lane's kept user agent (so its
  // session is signed in) for the app it re-approves, and one for a grant of its own whose
  // refresh token the refresh cells rotate.
  for (const server of servers) {
    await Promise.all(
      server.lanes.map(async (lane, i) => {
        lane.party = partyOf(server, i) as FlowParty;
        await runFlow(server.target, lane.party, lane.ua);
        const refreshing = partyOf(server, i) as FlowParty;
        const tokens = await runFlow(server.target, refreshing, createUserAgent());
        lane.refreshClientId = refreshing.clientId;
        lane.refreshToken = tokens.refresh_token as string;
      }),
    );
  }
  const scrypt = await measureScrypt();
  log(`bench:as: one password check: ${scrypt.cpuMs.toFixed(1)} ms CPU, ${scrypt.wallMs.toFixed(1)} ms`);

  const results: CellResult[] = [];
  for (const kind of CELL_KINDS) {
    for (const concurrency of CONCURRENCY) {
      const acc = new Map<StorageId, Round[]>(STORAGES.map((s) => [s, []]));
      for (const server of servers) await runCell(server, kind, concurrency, WARMUP_SECONDS);
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
          const r = await runCell(server, kind, concurrency, SECONDS / ROUNDS);
          acc.get(server.id)?.push(r);
          log(
            `bench:as: ${kind} ×${concurrency} ${server.id} round ${round + 1}: ${((r.ops * 1000) / r.wallMs).toFixed(1)}/s, ` +
              `${(r.cpuUs / 1000 / Math.max(1, r.ops)).toFixed(2)} ms CPU each${r.exhausted ? ' (apps used up)' : ''}`,
          );
        }
      }
      for (const server of servers) {
        const rounds = acc.get(server.id) as Round[];
        const ops = rounds.reduce((s, r) => s + r.ops, 0);
        const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
        results.push({
          kind,
          concurrency,
          storage: server.id,
          ops,
          perSecond: (ops * 1000) / rounds.reduce((s, r) => s + r.wallMs, 0),
          rounds: rounds.map((r) => (r.ops * 1000) / r.wallMs),
          cpuMsPerOp: rounds.reduce((s, r) => s + r.cpuUs, 0) / 1000 / Math.max(1, ops),
          databaseCpuMsPerOp:
            server.id === 'pg' ? rounds.reduce((s, r) => s + r.databaseUs, 0) / 1000 / Math.max(1, ops) : 0,
          p50: percentile(latencies, 0.5),
          p99: percentile(latencies, 0.99),
          exhausted: rounds.some((r) => r.exhausted),
        });
      }
    }
  }

  const perSecond = (kind: CellKind, c: number, s: StorageId) =>
    results.find((r) => r.kind === kind && r.concurrency === c && r.storage === s)?.perSecond ?? Number.NaN;
  const missed = CELL_KINDS.some((k) =>
    CONCURRENCY.some((c) => perSecond(k, c, 'pg') / perSecond(k, c, 'memory') < 0.5),
  );
  const profiles: Profiled[] = [];
  const outDir = mkdtempSync(join(tmpdir(), 'mandate-asbench-'));
  if (opts.profile === 'always' || (opts.profile === 'auto' && missed)) {
    const c = LANES;
    for (const server of servers.filter((s) => s.id !== 'sqlite')) {
      const path = join(outDir, `${server.id}-reauthorization.cpuprofile`);
      log(`bench:as: profiling ${server.id} / re-authorizations ×${c} → ${path}`);
      server.child.send({ type: 'profile-start' } satisfies ParentMessage);
      await nextMessage(server.child, 'profile-started', 10_000);
      const r = await runCell(server, 'reauthorize', c, PROFILE_SECONDS);
      server.child.send({ type: 'profile-stop', path } satisfies ParentMessage);
      await nextMessage(server.child, 'profile-written', 30_000);
      profiles.push({
        storage: server.id,
        concurrency: c,
        flows: r.ops,
        summary: summarizeProfile(path, 40),
      });
    }
  }

  for (const server of servers) await stopChild(server.child);
  await benchDb.drop();

  let source = 'unknown (no git)';
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'bench', 'package.json')
      .split('\n')
      .filter(Boolean);
    source = `commit ${git('rev-parse', '--short', 'HEAD')}${dirty.length > 0 ? ` plus ${dirty.length} uncommitted files under src/, bench/ or package.json` : ''}`;
  } catch {}
  // A database password in the arguments is not written into the document.
  const shown = argv.map((arg) => arg.replace(/(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/, '$1:***@'));
  const info: AsRunInfo = {
    date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: cpus().length,
    command: `npm run bench:as${shown.length > 0 ? ` -- ${shown.join(' ')}` : ''}`,
    source,
    placement: canPin
      ? 'the flow driver (this process: fetch, cookie jar, openid-client) pinned to core 0; the three authorization servers (one process each, only one loaded at a time) pinned to core 1, with `taskset`; PostgreSQL unpinned.'
      : 'taskset or a second core missing: the driver and the servers run unpinned.',
    seconds: SECONDS,
    rounds: ROUNDS,
    warmupSeconds: WARMUP_SECONDS,
    durationSeconds: (performance.now() - began) / 1000,
    databases: Object.fromEntries(servers.map((s) => [s.id, s.ready.database])) as Record<StorageId, string>,
    scrypt,
  };
  const block = renderAsResults(info, results, profiles);
  writeFileSync(join(outDir, 'results.json'), JSON.stringify({ info, results, profiles }, null, 2));
  process.stdout.write(`${block}\n`);
  if (!opts['no-write']) {
    writeResults(DOC, block, { start: AS_START_MARKER, end: AS_END_MARKER });
    log(`bench:as: wrote ${DOC}`);
  }
  log(`bench:as: raw results and profiles in ${outDir}`);
}

main().then(
  () => process.exit(0),
  async (err: Error) => {
    console.error(err);
    await cleanUp();
    process.exit(1);
  },
);
