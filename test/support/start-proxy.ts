import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { loadConfig } from '../../src/config/index.ts';
import { type BuiltProxy, buildProxy } from '../../src/proxy/build-proxy.ts';
import { stopGracefully } from '../../src/proxy/lifecycle/graceful-stop.ts';
import { toProxyLiveness } from '../../src/proxy/liveness/proxy-liveness.ts';
import type { FeedEvent } from '../../src/proxy/liveness/revocation-feed.ts';
import { livenessSettings, startLiveness } from '../../src/proxy/liveness/start-liveness.ts';
import type { Provider } from '../../src/scopes/index.ts';
import { createLogger } from '../../src/shared/log/index.ts';
import {
  createProviderKeyDecrypter,
  encryptProviderKey,
  generateProviderKeyPair,
  publicJwksOf,
} from '../../src/shared/provider-key-crypto.ts';
import { createDatabase, type Database, systemClock } from '../../src/storage/index.ts';
import { createProviderKeyStore } from '../../src/storage/provider-key-store.ts';
import type { FakeUpstream } from './fake-upstream/index.ts';
import type { RunningAs } from './start-authorization-server.ts';

export interface RunningProxy extends BuiltProxy {
  url: string;
  openaiBaseURL: string;
  anthropicBaseURL: string;
  /** `@google/genai` `httpOptions.baseUrl` through the proxy. */
  googleBaseURL: string;
  /** The openai SDK's `baseURL` for a configured OpenAI-compatible provider (`${url}/<id>/v1`). */
  compatibleBaseURL(provider: string): string;
  /** The proxy's own knex instance (tests may cut it). */
  db: Database;
  /** Every log line the proxy wrote, as text. */
  logs: string[];
  /** Stores a person's provider key, encrypted to this proxy's key. */
  setProviderKey(accountId: string, provider: Provider, key: string): Promise<void>;
  /**
   * Resolves once this proxy's revocation feed has read the newest log entry about
   * `subjectId` (a grant id or a token id) appended so far, whether that read already
   * happened or is yet to come.
   */
  revocationDelivered(subjectId: string): Promise<void>;
  /** What SIGTERM does to `mandate serve proxy` (drain, cut, settle, write usage), then closes its database. */
  shutdown(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real proxy on the port the authorization server names as its resource, over the
 * same database, forwarding to the fake upstream. Built as `bin/wiring/start-proxy.ts`
 * builds it (the same `livenessSettings`, `startLiveness` and `buildProxy`); the bench
 * uses this helper too.
 */
export async function startProxy(
  as: RunningAs,
  upstream: Pick<FakeUpstream, 'url'>,
  options: {
    proxy?: Record<string, unknown>;
    /** Where the request log goes; by default into `logs` (tests read it). */
    logger?: Logger;
    /** How usage records are batched (the proxy's defaults otherwise). */
    usage?: { flushIntervalMs?: number; batchSize?: number };
    /** Price table entries over the shipped ones (`prices.<provider>.<model>`). */
    prices?: Record<string, unknown>;
    /** The database URL this proxy uses (default the AS's), e.g. through a TCP forwarder a test can cut. */
    databaseUrl?: string;
    /** Database settings over the defaults (timeouts). */
    database?: { acquireTimeoutMs?: number; connectTimeoutMs?: number };
    /**
     * OpenAI-compatible providers (`providers.*`); those the fake serves (`groq`, `acme`, `mistral`)
     * are pointed at it through `proxy.upstreams.<id>`.
     */
    providers?: { presets?: string[]; compatible?: { id: string }[] };
  } = {},
): Promise<RunningProxy> {
  const proxyUrl = new URL(as.proxyUrl);
  const configured = [
    ...(options.providers?.presets ?? []),
    ...(options.providers?.compatible ?? []).map((p) => p.id),
  ];
  const fakeCompatible = Object.entries({
    groq: `${upstream.url}/groq/openai/v1`,
    acme: `${upstream.url}/acme/v1`,
    mistral: `${upstream.url}/mistral/v1`,
  }).filter(([id]) => configured.includes(id));
  const config = loadConfig({
    env: {},
    readFile: () => '',
    overrides: {
      database: { url: options.databaseUrl ?? as.database.url, ...options.database },
      as: { issuer: as.issuer, cookieKeys: ['x'.repeat(43)] },
      proxy: {
        url: as.proxyUrl,
        port: Number(proxyUrl.port),
        upstreams: {
          openai: `${upstream.url}/openai`,
          anthropic: `${upstream.url}/anthropic`,
          google: `${upstream.url}/google`,
          ...Object.fromEntries(fakeCompatible),
        },
        ...options.proxy,
      },
      proxyClient: as.proxyClient,
      ...(options.providers ? { providers: options.providers } : {}),
      ...(options.prices ? { prices: options.prices } : {}),
    },
  });
  const db = createDatabase(config.database);
  // The same key pair as the AS's public half, so keys stored on the account pages decrypt.
  const privateJwks = as.providerKeyPrivateJwks ?? { keys: [await generateProviderKeyPair()] };
  const decrypter = await createProviderKeyDecrypter(privateJwks);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  /** The last log entry read about each subject (its sequence number). */
  const delivered = new Map<string, number>();
  const waiters = new Map<string, Array<{ seq: number; resolve: () => void }>>();
  const onEvent = (event: FeedEvent) => {
    if (event.type !== 'read') return;
    for (const entry of event.entries) {
      delivered.set(entry.subjectId, Math.max(entry.seq, delivered.get(entry.subjectId) ?? 0));
      const waiting = waiters.get(entry.subjectId) ?? [];
      for (const w of waiting) if (w.seq <= entry.seq) w.resolve();
      const left = waiting.filter((w) => w.seq > entry.seq);
      if (left.length > 0) waiters.set(entry.subjectId, left);
      else waiters.delete(entry.subjectId);
    }
  };
  const running = await startLiveness({
    db,
    ...livenessSettings(config),
    clock: systemClock,
    onEvent,
  });
  const built = buildProxy(config, {
    db,
    clock: systemClock,
    logger: options.logger ?? createLogger({ service: 'mandate-proxy', destination: sink }),
    decrypter,
    liveness: toProxyLiveness(running),
    ...(options.usage ? { usage: options.usage } : {}),
  });
  const server: Server = built.app.listen(config.proxy.port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const keys = createProviderKeyStore(db, systemClock);
  let closed = false;
  return {
    ...built,
    db,
    url: as.proxyUrl,
    openaiBaseURL: `${as.proxyUrl}/openai/v1`,
    anthropicBaseURL: `${as.proxyUrl}/anthropic`,
    googleBaseURL: `${as.proxyUrl}/google`,
    compatibleBaseURL: (provider) => `${as.proxyUrl}/${provider}/v1`,
    logs,
    async setProviderKey(accountId, provider, key) {
      const encrypted = await encryptProviderKey(key, publicJwksOf(privateJwks), { accountId, provider });
      await keys.set(accountId, provider, { ...encrypted, last4: key.slice(-4) });
    },
    async revocationDelivered(subjectId) {
      // The newest entry about it so far: a second change of the same grant waits for its own.
      const newest = await db('revocations').where({ subject_id: subjectId }).max('seq as seq').first();
      const seq = Number(newest?.seq ?? 0);
      if ((delivered.get(subjectId) ?? 0) >= seq) return;
      await new Promise<void>((resolve) => {
        waiters.set(subjectId, [...(waiters.get(subjectId) ?? []), { seq, resolve }]);
      });
    },
    async shutdown() {
      if (closed) return;
      closed = true;
      await stopGracefully(server, built, config.proxy.drainTimeoutMs);
      await running.stop();
      await db.destroy();
    },
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await built.stop();
      await running.stop();
      await db.destroy();
    },
  };
}
