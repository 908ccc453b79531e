/**
 * Child process: the servers under test, on one core of their own. Starts the three bare
 * pass-throughs, a real authorization server over a fresh database (SQLite, or a schema
 * in the PostgreSQL database the parent created) and Mandate's proxy twice in this
 * process, once with leases off (`proxy.leases.enabled: false`: a reservation per
 * request) and once with them on, plus three `mandate serve proxy` processes with leases
 * on over the same database (they inherit this process's core); gets four access tokens
 * through the real OAuth flow (sign-in, consent, code + PKCE) and stores the person's
 * OpenAI key. The first token's grant has no caps; the other three have caps far too
 * large to refuse anything during the bench: the budgeted grant's requests, on the proxy
 * without leases, each reserve before forwarding and settle after; the leased grant's, on
 * the leased proxy, and the shared grant's, on the three processes, are admitted against
 * slices of the budget those proxies take in one write each. Each is checked here once
 * before the parent measures anything.
 * Answers the parent's profiling requests with a V8 CPU profile of exactly the window
 * between `profile-start` and `profile-stop`.
 *
 *   node bench/servers.ts <upstream url> <upstream openai key> [sqlite | postgres://…/<bench database>]
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { decodeJwt } from 'jose';
import { pino } from 'pino';
import { createLogger } from '../src/shared/log/index.ts';
import { LEASE_ID_PREFIX } from '../src/storage/budget-store.ts';
import { freePort } from '../test/support/free-port.ts';
import { authorize, discover, exchange } from '../test/support/oauth-flow.ts';
import { type SpawnedProxies, spawnProxies } from '../test/support/spawn-proxies.ts';
import { type RunningAs, startAuthorizationServer } from '../test/support/start-authorization-server.ts';
import { type RunningProxy, startProxy } from '../test/support/start-proxy.ts';
import { createUserAgent } from '../test/support/user-agent.ts';
import { type BareProxy, startHttpProxy, startHttpProxy3, startNodeHttp } from './bare-proxies.ts';
import type {
  BudgetSetup,
  BudgetState,
  CappedTarget,
  ChildMessage,
  GcStats,
  ParentMessage,
} from './processes.ts';

const send = (message: ChildMessage) => process.send?.(message);
const [upstreamUrl, upstreamKey, database = 'sqlite'] = process.argv.slice(2);
if (
  !upstreamUrl?.startsWith('http://127.0.0.1:') ||
  !upstreamKey ||
  !(database === 'sqlite' || /^postgres(ql)?:\/\//.test(database))
) {
  console.error(
    'usage: node bench/servers.ts http://127.0.0.1:<port> <openai key> [sqlite | postgres://…/<database>]',
  );
  process.exit(2);
}

/** Caps no bench run can reach: every budgeted request reserves, none is refused. */
const BENCH_CAPS = { maxSpendMicroUsd: 1e12, maxRequests: 1e12 } as const;
/** The warm-up request of the budget check (the workloads' model, priced in the shipped table). */
const CHECK_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello to the world in one short sentence.' }],
});

const closers: Array<() => Promise<void>> = [];
let session: Session | undefined;

async function stop(code: number): Promise<never> {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  process.exit(code);
}

let running: RunningAs | undefined;
/** The capped grants, whose counters the parent checks after the run. */
let cappedGrants: Record<CappedTarget, string> | undefined;

/** The budgeted grant's counters and open reservations, read from the tables themselves. */
async function budgetState(as: RunningAs, grantId: string): Promise<BudgetState> {
  const db = as.database.db;
  const row = await db('grant_counters').where({ grant_id: grantId, scope: '*', period: 'lifetime' }).first();
  const [open] = await db('reservations').where({ grant_id: grantId }).count({ n: '*' });
  return {
    requests: Number(row?.requests ?? 0),
    tokens: Number(row?.tokens ?? 0),
    microUsd: Number(row?.micro_usd ?? 0),
    openReservations: Number(open?.n ?? 0),
  };
}

/** The grant's open slices (reservations of several requests: docs/limits.md#leases). */
async function openSlices(as: RunningAs, grantId: string): Promise<number> {
  const [row] = await as.database
    .db('reservations')
    .where({ grant_id: grantId })
    .where('id', 'like', `${LEASE_ID_PREFIX}%`)
    .count({ n: '*' });
  return Number(row?.n ?? 0);
}

/** The state once every reservation is settled (the proxy settles after the answer ends); at most `ms`. */
async function settledBudgetState(as: RunningAs, grantId: string, ms = 5000): Promise<BudgetState> {
  const until = Date.now() + ms;
  let state = await budgetState(as, grantId);
  while (state.openReservations > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    state = await budgetState(as, grantId);
  }
  return state;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bench: ${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function start() {
  const httpProxy: BareProxy = await startHttpProxy(upstreamUrl as string);
  closers.push(() => httpProxy.close());
  const httpProxy3: BareProxy = await startHttpProxy3(upstreamUrl as string);
  closers.push(() => httpProxy3.close());
  const nodeHttp: BareProxy = await startNodeHttp(upstreamUrl as string);
  closers.push(() => nodeHttp.close());

  // The test harness's PostgreSQL databases are schemas of the run database it is handed.
  if (database !== 'sqlite') process.env.MANDATE_TEST_RUN_PG_URL = database;
  const as = await startAuthorizationServer(database === 'sqlite' ? 'sqlite' : 'pg');
  running = as;
  closers.push(() => as.close());
  const accountId = await as.addUser('alice', 'correct horse battery');
  // The request log goes through production's logger (its redaction and serializers) to
  // /dev/null the way production logs to stdout, not into the harness's in-memory array,
  // which would grow by a line per request.
  const logger = createLogger({
    service: 'mandate-proxy',
    destination: pino.destination({ dest: '/dev/null' }),
  });
  /** Both in-process proxies are built alike; `proxy` is configuration over the defaults. */
  const inProcessProxy = async (proxy?: Record<string, unknown>): Promise<RunningProxy> => {
    const built = await startProxy(
      as,
      { url: upstreamUrl as string },
      { logger, ...(proxy ? { proxy } : {}) },
    );
    closers.unshift(() => built.close());
    return built;
  };
  // Leases pinned off whatever the default: this proxy's budgeted row is the per-request path.
  const mandate = await inProcessProxy({ leases: { enabled: false } });
  // On a port of its own; its public URL (the tokens' audience) stays the one the AS names.
  const leasedPort = await freePort();
  const mandateLeased = await inProcessProxy({ port: leasedPort, leases: { enabled: true } });
  const mandateLeasedUrl = `http://127.0.0.1:${leasedPort}`;
  await mandate.setProviderKey(accountId, 'openai', upstreamKey as string);

  const grantThroughFlow = async (name: string) => {
    const app = await as.addClient({ name, allowedScopes: ['openai:*:chat'] });
    const config = await discover(as, app.clientId);
    const authorized = await authorize(config, as, createUserAgent(), {
      redirectUri: app.redirectUri,
      scope: 'openai:gpt-4o-mini:chat',
    });
    const tokens = await exchange(authorized);
    return { token: tokens.access_token, grantId: String(decodeJwt(tokens.access_token).grant_id) };
  };
  // Caps the way the account page sets them (lowering from unlimited).
  const cappedThroughFlow = async (name: string) => {
    const grant = await grantThroughFlow(name);
    const lowered = await as.stores.grants.lowerLimits(grant.grantId, BENCH_CAPS, 'bench');
    if (!lowered.ok) throw new Error(`bench: could not set the caps of ${name}: ${lowered.reason}`);
    return grant;
  };
  const plain = await grantThroughFlow('Bench');
  const capped: Record<CappedTarget, { token: string; grantId: string }> = {
    mandateBudgeted: await cappedThroughFlow('Bench, budgeted'),
    mandateLeased: await cappedThroughFlow('Bench, leased'),
    mandateLeased3: await cappedThroughFlow('Bench, leased over three processes'),
  };
  cappedGrants = {
    mandateBudgeted: capped.mandateBudgeted.grantId,
    mandateLeased: capped.mandateLeased.grantId,
    mandateLeased3: capped.mandateLeased3.grantId,
  };
  // Wait until both in-process proxies' revocation feeds have read the caps.
  for (const proxy of [mandate, mandateLeased]) {
    for (const { grantId } of Object.values(capped)) {
      await within(proxy.revocationDelivered(grantId), 10_000, "the proxy's feed did not deliver the caps");
    }
  }
  // Started once the caps are set, so they read them fresh. stdout is the request log.
  const processes: SpawnedProxies = await spawnProxies(
    as,
    { url: upstreamUrl as string },
    { count: 3, env: { MANDATE_PROXY_LEASES: 'true' }, stdout: 'discard' },
  );
  // Closed first (closers run last-in first): they return their slices to the database.
  closers.push(() => processes.close());

  // One request each, then the tables must show that each capped grant reserved and settled
  // and that the unbudgeted one did neither: otherwise the comparison would be meaningless.
  const ask = async (url: string, token: string) => {
    const res = await fetch(`${url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: CHECK_BODY,
    });
    const text = await res.text();
    if (res.status !== 200)
      throw new Error(`bench: budget check request to ${url}: ${res.status} ${text.slice(0, 300)}`);
    return res.headers.get('x-mandate-output-bound');
  };
  const injectedOutputBound = await ask(mandate.url, capped.mandateBudgeted.token);
  // An unbudgeted grant is not sized: no output bound is injected and nothing is reserved
  // (its usage record charges the ledger when it is written, off the request path).
  const plainBound = await ask(mandate.url, plain.token);
  if (plainBound !== null)
    throw new Error(
      `bench: the unbudgeted grant's request was sized (output bound ${plainBound}); want none`,
    );
  // The leased rows really lease: right after a request (its slice idles half a second
  // later) a slice is out for each leased grant, and none for the budgeted grant.
  const slices = { mandateBudgeted: await openSlices(as, capped.mandateBudgeted.grantId) } as Record<
    CappedTarget,
    number
  >;
  await ask(mandateLeasedUrl, capped.mandateLeased.token);
  slices.mandateLeased = await openSlices(as, capped.mandateLeased.grantId);
  for (const proxy of processes.proxies) await ask(proxy.url, capped.mandateLeased3.token);
  slices.mandateLeased3 = await openSlices(as, capped.mandateLeased3.grantId);
  if (slices.mandateBudgeted !== 0 || slices.mandateLeased < 1 || slices.mandateLeased3 < 1) {
    throw new Error(
      `bench: open slices right after the check requests: ${JSON.stringify(slices)} ` +
        '(want none for the budgeted grant, at least one for each leased grant)',
    );
  }
  // What each capped grant's counter must say once settled: the leased ones exactly what was
  // asked, whatever slice was taken for it (a slice returned gives back what it did not use).
  const asked: Record<CappedTarget, number> = {
    mandateBudgeted: 1,
    mandateLeased: 1,
    mandateLeased3: processes.proxies.length,
  };
  for (const [target, { grantId }] of Object.entries(capped) as Array<[CappedTarget, { grantId: string }]>) {
    const after = await settledBudgetState(as, grantId);
    if (after.requests !== asked[target] || after.openReservations !== 0 || !(after.microUsd > 0)) {
      throw new Error(
        `bench: ${target}'s check requests did not reserve and settle: grant_counters ${JSON.stringify(after)} ` +
          `(want requests ${asked[target]}, micro_usd > 0, no open reservations)`,
      );
    }
  }
  const plainState = await budgetState(as, plain.grantId);
  if (plainState.openReservations !== 0) {
    throw new Error(
      `bench: the unbudgeted grant has open reservations: ${JSON.stringify(plainState)} (want none)`,
    );
  }

  let description = 'SQLite (better-sqlite3, WAL, one connection per process)';
  if (database !== 'sqlite') {
    const { rows } = (await as.database.db.raw('select version() as v')) as { rows: Array<{ v: string }> };
    const version = /^PostgreSQL [\d.]+/.exec(rows[0]?.v ?? '')?.[0] ?? 'PostgreSQL';
    description = `${version} (node-postgres, each proxy's pool at most 10 connections; a fresh database on ${new URL(database).host})`;
  }
  const budget: BudgetSetup = { grantIds: cappedGrants, ...BENCH_CAPS, injectedOutputBound };
  send({
    type: 'servers-ready',
    targets: {
      httpProxy: httpProxy.url,
      httpProxy3: httpProxy3.url,
      nodeHttp: nodeHttp.url,
      mandate: mandate.url,
      mandateLeased: mandateLeasedUrl,
      mandateLeased3: processes.proxies.map((p) => p.url),
    },
    processPids: processes.proxies.map((p) => p.pid),
    tokens: {
      mandate: plain.token,
      mandateBudgeted: capped.mandateBudgeted.token,
      mandateLeased: capped.mandateLeased.token,
      mandateLeased3: capped.mandateLeased3.token,
    },
    database: description,
    budget,
  });
}

// Every GC pause of this process, so the parent can tell GC pauses from other latency.
let gc: GcStats = { count: 0, totalMs: 0, maxMs: 0, long: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
    if (entry.duration >= 5) gc.long += 1;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

async function onMessage(message: ParentMessage) {
  if (message.type === 'stop') await stop(0);
  if (message.type === 'gc-reset') gc = { count: 0, totalMs: 0, maxMs: 0, long: 0 };
  if (message.type === 'gc-report') {
    // Entries still buffered in the observer belong to the window too.
    for (const entry of gcObserver.takeRecords()) {
      gc.count += 1;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
      if (entry.duration >= 5) gc.long += 1;
    }
    send({ type: 'gc-stats', stats: gc });
  }
  if (message.type === 'budget-check' && running && cappedGrants) {
    const as = running;
    const states = Object.fromEntries(
      await Promise.all(
        Object.entries(cappedGrants).map(async ([t, id]) => [t, await settledBudgetState(as, id)] as const),
      ),
    ) as Record<CappedTarget, BudgetState>;
    send({ type: 'budget-state', states });
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
