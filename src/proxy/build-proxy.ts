import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet } from 'jose';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { type Config, compatibleProvidersOf, priceTableOf, providerRegistryOf } from '../config/index.ts';
import { type Provider, useProviderRegistry } from '../scopes/index.ts';
import type { ProviderKeyDecrypter } from '../shared/provider-key-crypto.ts';
import { createBudgetStore, hasCaps } from '../storage/budget-store.ts';
import { createClientStore } from '../storage/client-store.ts';
import type { Clock } from '../storage/clock.ts';
import type { Database } from '../storage/create-database.ts';
import { createDpopProofStore } from '../storage/dpop-proof-store.ts';
import { createGrantStore } from '../storage/grant-store.ts';
import { createProviderKeyStore } from '../storage/provider-key-store.ts';
import { createRevocationStore } from '../storage/revocation-store.ts';
import { createUsageStore } from '../storage/usage-store.ts';
import { createDpopCheck } from './auth/dpop-check.ts';
import { createDpopNonces } from './auth/dpop-nonces.ts';
import type { TokenClaims } from './auth/verify-token.ts';
import { createTokenVerifier } from './auth/verify-token.ts';
import { createProxyApp } from './create-proxy-app.ts';
import { compatibleProviderSpec } from './endpoints/compatible/provider.ts';
import { createEndpointTable } from './endpoints/index.ts';
import { ProxyError } from './errors/proxy-error.ts';
import { createForwarder, type Forwarder } from './forward/forwarder.ts';
import { createUpstreams } from './forward/upstreams.ts';
import { createRequestHandler } from './handle-request.ts';
import { createClientOrigins } from './http/client-origins.ts';
import { createProxyMetrics } from './http/metrics.ts';
import { createKeyResolver } from './keys/key-resolver.ts';
import { createInFlight, type InFlight } from './lifecycle/in-flight.ts';
import { createBudgetGate } from './limits/budget-gate.ts';
import { createCappedGrants } from './limits/capped-grants.ts';
import { createLeasePool, type LeasePool } from './limits/lease-pool.ts';
import { reapedUsageRecord } from './limits/reaped-usage-record.ts';
import { createReservationKeeper } from './limits/reservation-keeper.ts';
import { createUsageWriter, type UsageWriter } from './usage/usage-writer.ts';

export interface ProxyLiveness {
  /** Throws a ProxyError when the token may not be honoured (revoked, or unknown: 503). */
  check(claims: TokenClaims): Promise<void>;
  ready(): boolean;
  /** Subscribes to changes of live grants' limits (from the revocation log). */
  onLimitsChanged(listener: (grantId: string) => void): void;
  /** Subscribes to revocations of grants and token ids (from the revocation log). */
  onRevoked(listener: (revoked: { kind: 'grant' | 'token'; id: string }) => void): void;
}

export interface BuiltProxy {
  app: Koa;
  forwarder: Forwarder;
  /** The queue of usage records. */
  usage: UsageWriter;
  /** This process's id in `proxy_heartbeats` and on its reservations. */
  proxyId: string;
  /** The slices of capped grants this proxy holds (`proxy.leases.enabled`). */
  leases: LeasePool | undefined;
  /** Every request being handled, until its usage is settled. */
  inFlight: InFlight;
  /**
   * Refuses new requests (503) and lets those in flight run for `timeoutMs` (default
   * `proxy.drainTimeoutMs`); then ends the rest (a stream is cut, an answer not begun is
   * 503) and resolves once every one has settled and queued its usage record.
   */
  drain(timeoutMs?: number): Promise<void>;
  /**
   * Drains with no time left if `drain` was not called, then stops forwarding, stops
   * beating and writes the queued usage records. Call before the database is closed.
   */
  stop(): Promise<void>;
}

/** After the drain deadline, how long the requests it cut may take to settle before stop goes on. */
const SETTLE_GRACE_MS = 5000;

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
    /** This process's id for its reservations (default: a random UUID). */
    proxyId?: string;
  },
): BuiltProxy {
  const { proxy } = config;
  // The scope grammar and the endpoint table know the configured providers too.
  useProviderRegistry(providerRegistryOf(config));
  const endpoints = createEndpointTable(compatibleProvidersOf(config).map(compatibleProviderSpec));
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
    onDropped: (dropped) => {
      if (dropped === 1 || dropped % 1000 === 0)
        deps.logger.error({ dropped }, 'usage queue full: the oldest usage records were dropped');
    },
    onError: (err, pending) => deps.logger.error({ err, pending }, 'usage records not written; retrying'),
  });
  const proxyId = deps.proxyId ?? randomUUID();
  const budgets = createBudgetStore(deps.db, deps.clock);
  const grants = createGrantStore(deps.db, deps.clock, createRevocationStore(deps.db, deps.clock));
  const cappedGrants = createCappedGrants({
    // A child of token exchange reserves when any grant of its chain has caps: they all count it.
    load: async (grantId) => {
      const chain = await grants.chain(grantId);
      return {
        capped: chain.some((grant) => hasCaps(grant.limits)),
        ancestors: chain.slice(1).map((g) => g.id),
      };
    },
    clock: deps.clock,
  });
  deps.liveness.onLimitsChanged((grantId) => cappedGrants.changed(grantId));
  const keeper = createReservationKeeper({
    store: budgets,
    proxyId,
    heartbeatIntervalMs: proxy.reservations.heartbeatIntervalMs,
    reapAfterMs: proxy.reservations.reapAfterMs,
    onReaped: (reaped) => usage.record(reapedUsageRecord(reaped)),
    onError: (err) => deps.logger.error({ err }, 'reservation keeper could not reach the database'),
  });
  // Beat from the start: this proxy's reaper runs even before its first capped request.
  keeper.ready().catch(() => undefined);
  const metrics = createProxyMetrics();
  const { enabled: leasesOn, ...leaseSizing } = proxy.leases;
  const leases = leasesOn
    ? createLeasePool({
        store: budgets,
        proxyId,
        clock: deps.clock,
        sizing: leaseSizing,
        onError: (err) => deps.logger.error({ err }, 'lease not written; retrying'),
        onSlice: () => metrics.leaseSlices.inc(),
        onAdmitted: () => metrics.leaseAdmissions.inc(),
      })
    : undefined;
  if (leases) {
    // A changed limit, a revocation or another proxy's want returns the grant's slices.
    deps.liveness.onLimitsChanged((grantId) => void leases.changed(grantId));
    deps.liveness.onRevoked(({ kind, id }) => {
      if (kind === 'grant') void leases.changed(id);
    });
  }
  const budget = createBudgetGate({
    store: budgets,
    prices: priceTableOf(config),
    cappedGrants,
    keeper,
    leases,
    proxyId,
    defaultOutputTokens: proxy.reservations.defaultOutputTokens,
    onLateSettle: (reservationId) =>
      deps.logger.warn(
        { reservationId },
        'reservation was reaped before its request ended; it stays charged at its worst case',
      ),
  });
  const handle = createRequestHandler({
    endpoints,
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
    checkDpop: createDpopCheck({
      proxyUrl: proxy.url,
      claim: createDpopProofStore(deps.db, deps.clock).claim,
      clock: deps.clock,
      // Every proxy derives the same nonces from the secret they all share.
      ...(proxy.dpop.nonce ? { nonces: createDpopNonces(config.proxyClient.secret) } : {}),
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
    upstreams: createUpstreams(
      {
        baseUrls: proxy.upstreams,
        openai: proxy.openai,
        anthropicBetaAllowlist: proxy.anthropicBetaAllowlist,
      },
      endpoints.providers,
    ),
    forwarder,
    bodyLimit: proxy.bodyLimitBytes,
    budget,
    recordUsage: usage.record,
    clock: deps.clock,
  });
  const inFlight = createInFlight();
  // Revocation is instant for requests already running too: an answer not yet begun is
  // a 401, a stream is cut; each still settles like any request that ended early.
  const revoked = () =>
    new ProxyError('invalid_token', 'the access token or the grant behind it was revoked');
  deps.liveness.onRevoked(({ kind, id }) => {
    const ended = kind === 'grant' ? inFlight.endGrant(id, revoked()) : inFlight.endToken(id, revoked());
    if (ended > 0)
      deps.logger.info(
        { [kind === 'grant' ? 'grantId' : 'tokenId']: id, ended },
        'revoked: requests in flight ended',
      );
  });
  let draining: Promise<void> | undefined;
  const drain = (timeoutMs = proxy.drainTimeoutMs): Promise<void> => {
    draining ??= (async () => {
      const shuttingDown = () => new ProxyError('unavailable', 'the proxy is shutting down; try again');
      inFlight.refuseNew(shuttingDown());
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        inFlight.idle().then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (finished) return;
      const cut = inFlight.endAll(shuttingDown());
      deps.logger.warn({ cut, drainTimeoutMs: timeoutMs }, 'drain deadline: requests in flight cut');
      // Each cut request settles (a database write when capped): wait for that, within reason.
      const settled = await Promise.race([
        inFlight.idle().then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), SETTLE_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      if (!settled) deps.logger.error({ open: inFlight.size }, 'requests still settling at stop');
    })();
    return draining;
  };
  const app = createProxyApp({
    endpoints,
    proxyUrl: proxy.url,
    issuer: config.as.issuer,
    scopes: config.as.openDoor.scopes,
    trustProxy: proxy.trustProxy,
    handle,
    inFlight,
    ready: async () => deps.liveness.ready(),
    knownOrigins: origins.all,
    logger: deps.logger,
    metrics,
  });
  return {
    app,
    forwarder,
    usage,
    proxyId,
    leases,
    inFlight,
    drain,
    async stop() {
      await drain(0);
      forwarder.close();
      await leases?.stop();
      await keeper.stop();
      await usage.stop();
    },
  };
}
