import { createRemoteJWKSet } from 'jose';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Provider } from '../scopes/index.ts';
import type { ProviderKeyDecrypter } from '../shared/provider-key-crypto.ts';
import { createClientStore } from '../storage/client-store.ts';
import type { Clock } from '../storage/clock.ts';
import type { Database } from '../storage/create-database.ts';
import { createProviderKeyStore } from '../storage/provider-key-store.ts';
import { createUsageStore } from '../storage/usage-store.ts';
import type { TokenClaims } from './auth/verify-token.ts';
import { createTokenVerifier } from './auth/verify-token.ts';
import { createProxyApp } from './create-proxy-app.ts';
import { createForwarder, type Forwarder } from './forward/forwarder.ts';
import { createUpstreams } from './forward/upstreams.ts';
import { createRequestHandler } from './handle-request.ts';
import { createClientOrigins } from './http/client-origins.ts';
import { createProxyMetrics } from './http/metrics.ts';
import { createKeyResolver } from './keys/key-resolver.ts';
import { createUsageWriter, type UsageWriter } from './usage/usage-writer.ts';

export interface ProxyLiveness {
  /** Throws a ProxyError when the token may not be honoured (revoked, or unknown: 503). */
  check(claims: TokenClaims): Promise<void>;
  ready(): boolean;
}

export interface BuiltProxy {
  app: Koa;
  forwarder: Forwarder;
  /** The queue of usage records; `stop()` it on shutdown to write what is pending. */
  usage: UsageWriter;
}

/** Builds the proxy from checked configuration and its collaborators. */
export function buildProxy(
  config: Config,
  deps: {
    db: Database;
    clock: Clock;
    logger: Logger;
    decrypter: ProviderKeyDecrypter;
    liveness: ProxyLiveness;
    /** How usage records are batched (defaults: every 250 ms or 200 records). */
    usage?: { flushIntervalMs?: number; batchSize?: number };
  },
): BuiltProxy {
  const { proxy } = config;
  const providerKeys = createProviderKeyStore(deps.db, deps.clock);
  const origins = createClientOrigins(createClientStore(deps.db, deps.clock), deps.clock);
  const forwarder = createForwarder({
    connectMs: proxy.upstreamConnectTimeoutMs,
    responseMs: proxy.upstreamResponseTimeoutMs,
    idleMs: proxy.upstreamIdleTimeoutMs,
  });
  const usageStore = createUsageStore(deps.db);
  const usage = createUsageWriter({
    insert: (records) => usageStore.insertMany(records),
    ...deps.usage,
    onError: (err, pending) =>
      deps.logger.error(
        { err: { message: (err as Error).message }, pending },
        'usage records not written; retrying',
      ),
  });
  const handle = createRequestHandler({
    verifyToken: createTokenVerifier({
      getKey: createRemoteJWKSet(new URL(`${config.as.issuer}/jwks`), {
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
      }),
      issuer: config.as.issuer,
      audience: proxy.url,
      leewaySeconds: proxy.tokenLeewaySeconds,
      clock: deps.clock,
    }),
    checkLiveness: (claims) => deps.liveness.check(claims),
    allowedOrigins: origins.forClient,
    resolveKey: createKeyResolver({
      loadCiphertext: async (accountId, provider) =>
        (await providerKeys.get(accountId, provider))?.ciphertext,
      decrypt: (ciphertext, binding) => deps.decrypter.decrypt(ciphertext, binding),
      operatorKeys: proxy.operatorKeys as Partial<Record<Provider, string>>,
      clock: deps.clock,
      ttlMs: 60_000,
    }),
    upstreams: createUpstreams({
      baseUrls: proxy.upstreams,
      openai: proxy.openai,
      anthropicBetaAllowlist: proxy.anthropicBetaAllowlist,
    }),
    forwarder,
    bodyLimit: proxy.bodyLimitBytes,
    recordUsage: usage.record,
    clock: deps.clock,
  });
  const app = createProxyApp({
    proxyUrl: proxy.url,
    issuer: config.as.issuer,
    trustProxy: proxy.trustProxy,
    handle,
    ready: async () => deps.liveness.ready(),
    knownOrigins: origins.all,
    logger: deps.logger,
    metrics: createProxyMetrics(),
  });
  return { app, forwarder, usage };
}
