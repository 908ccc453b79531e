/**
 * Child process: the servers under test, on one core of their own. Starts both bare
 * pass-throughs, a real authorization server over a fresh SQLite database and Mandate's
 * proxy, gets an access token through the real OAuth flow (sign-in, consent, code + PKCE)
 * and stores the person's OpenAI key. Answers the parent's profiling requests with a
 * V8 CPU profile of exactly the window between `profile-start` and `profile-stop`.
 *
 *   node bench/servers.ts <upstream url> <upstream openai key>
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { pino } from 'pino';
import { authorize, discover, exchange } from '../test/support/oauth-flow.ts';
import { startAuthorizationServer } from '../test/support/start-authorization-server.ts';
import { startProxy } from '../test/support/start-proxy.ts';
import { createUserAgent } from '../test/support/user-agent.ts';
import { type BareProxy, startHttpProxy, startHttpProxy3 } from './bare-proxies.ts';
import type { ChildMessage, GcStats, ParentMessage } from './processes.ts';

const send = (message: ChildMessage) => process.send?.(message);
const [upstreamUrl, upstreamKey] = process.argv.slice(2);
if (!upstreamUrl?.startsWith('http://127.0.0.1:') || !upstreamKey) {
  console.error('usage: node bench/servers.ts http://127.0.0.1:<port> <openai key>');
  process.exit(2);
}

const closers: Array<() => Promise<void>> = [];
let session: Session | undefined;

async function stop(code: number): Promise<never> {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  process.exit(code);
}

async function start() {
  const httpProxy: BareProxy = await startHttpProxy(upstreamUrl as string);
  closers.push(() => httpProxy.close());
  const httpProxy3: BareProxy = await startHttpProxy3(upstreamUrl as string);
  closers.push(() => httpProxy3.close());

  const as = await startAuthorizationServer('sqlite');
  closers.push(() => as.close());
  const accountId = await as.addUser('alice', 'correct horse battery');
  // The request log goes through pino to /dev/null the way production logs to stdout,
  // not into the harness's in-memory array, which would grow by a line per request.
  const mandate = await startProxy(
    as,
    { url: upstreamUrl as string },
    { logger: pino(pino.destination({ dest: '/dev/null' })) },
  );
  closers.unshift(() => mandate.close());
  await mandate.setProviderKey(accountId, 'openai', upstreamKey as string);

  const app = await as.addClient({ name: 'Bench', allowedScopes: ['openai:*:chat'] });
  const config = await discover(as, app.clientId);
  const authorized = await authorize(config, as, createUserAgent(), {
    redirectUri: app.redirectUri,
    scope: 'openai:gpt-4o-mini:chat',
  });
  const tokens = await exchange(authorized);

  send({
    type: 'servers-ready',
    targets: { httpProxy: httpProxy.url, httpProxy3: httpProxy3.url, mandate: mandate.url },
    token: tokens.access_token,
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
