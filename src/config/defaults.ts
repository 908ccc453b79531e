import { DEFAULT_PRICES } from './default-prices.ts';

const DAY = 24 * 60 * 60;

/** Defaults: the embedded single-machine install. Secrets have no default. */
export const defaults = {
  dataDir: './data',
  /** database.url and as.signingKeysFile default to files in dataDir (see data-dir-defaults.ts). */
  database: { poolMax: 10, acquireTimeoutMs: 5000, connectTimeoutMs: 5000 },
  /** as.issuer and proxy.url default to http://HOST:PORT of their server (see url-defaults.ts). */
  as: {
    host: 'localhost',
    port: 3000,
    trustProxy: false,
    accessTokenTtl: 3600,
    sessionTtl: 14 * DAY,
    interactionTtl: 3600,
    deviceCodeTtl: 600,
    tokenExchange: { enabled: true, maxDepth: 3, maxLiveChildren: 100 },
    grantTtl: { default: 30 * DAY, max: 90 * DAY },
    loginThrottle: { maxFailures: 5, windowSeconds: 15 * 60 },
    purgeIntervalSeconds: 600,
    /** No operator maximum: a grant's limits are what the app asked and the person chose. */
    limitMaximums: {},
    /** Closed by default; `mandate start` on the embedded install opens it (bin/wiring/resolve-config.ts). */
    openDoor: {
      registration: 'off',
      registrationRateLimit: { max: 10, windowSeconds: 3600 },
      metadataDocuments: {
        allowedHosts: [],
        cacheSeconds: { min: 300, max: DAY },
        fetchTimeoutMs: 2000,
        maxBytes: 5 * 1024,
        fetchesPerHostPerMinute: 10,
        allowPrivateAddresses: false,
      },
      scopes: [
        'openai:*:chat',
        'openai:*:embeddings',
        'openai:*:models',
        'anthropic:*:chat',
        'anthropic:*:models',
      ],
      limitMaximums: {},
    },
  },
  proxy: {
    host: 'localhost',
    port: 4000,
    trustProxy: false,
    upstreams: {
      openai: 'https://api.openai.com',
      anthropic: 'https://api.anthropic.com',
      google: 'https://generativelanguage.googleapis.com',
    },
    operatorKeys: {},
    openai: {},
    anthropicBetaAllowlist: [],
    tokenLeewaySeconds: 5,
    dpop: { nonce: false },
    bodyLimitBytes: 26 * 1024 * 1024,
    upstreamConnectTimeoutMs: 10_000,
    upstreamResponseTimeoutMs: 600_000,
    upstreamIdleTimeoutMs: 300_000,
    drainTimeoutMs: 10_000,
    revocationFeed: { pollIntervalMs: 250, maxSilenceMs: 5000 },
    reservations: { heartbeatIntervalMs: 5000, reapAfterMs: 30_000, defaultOutputTokens: 4096 },
    leases: {
      enabled: true,
      holdMs: 1000,
      share: 0.25,
      minRequests: 2,
      maxRequests: 1000,
      flushIntervalMs: 100,
      idleMs: 500,
    },
  },
  proxyClient: { id: 'mandate-proxy' },
  /** No OpenAI-compatible provider unless the operator switches one on. */
  providers: { presets: [], compatible: [] },
  /** The shipped price table (public list prices); the config file overrides it per model. */
  prices: DEFAULT_PRICES,
};
