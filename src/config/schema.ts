import { z } from 'zod';
import { checkLimitValue, MAX_SPEND_USD } from '../scopes/ai-access-details.ts';
import { parseScope } from '../scopes/parse-scope.ts';
import { BUILTIN_PROVIDERS } from '../scopes/providers.ts';
import { compatibleProviderSchema } from './compatible-provider-schema.ts';
import { compatibleEntriesOf, providerRegistryOf } from './compatible-providers.ts';
import { pricesSchema } from './prices-config.ts';
import { PRESET_IDS } from './provider-presets.ts';

const isBuiltin = (id: string) => (BUILTIN_PROVIDERS as readonly string[]).includes(id);

const seconds = z.number().int().positive();
const count = z.number().int().positive();
const url = z.url({ protocol: /^https?$/ });

const limitMaximumsSchema = z.strictObject({
  maxRequests: count.optional(),
  maxTokens: count.optional(),
  maxSpendUsd: z
    .number()
    .positive()
    .max(MAX_SPEND_USD)
    .refine((v) => checkLimitValue('max_spend_usd', v) === undefined, 'at most 6 decimal places')
    .optional(),
  requestsPerMinute: count.optional(),
});
/** An AI scope; its provider is checked against the configured ones once the whole configuration is parsed. */
const aiScope = z.string().min(1);

/** OpenAI-compatible providers: shipped presets switched on by id, and the operator's own. */
const providersSchema = z.strictObject({
  presets: z.array(
    z.string().refine((id) => PRESET_IDS.includes(id), {
      error: (issue) => `${JSON.stringify(issue.input)} is not a preset (presets: ${PRESET_IDS.join(', ')})`,
    }),
  ),
  compatible: z.array(compatibleProviderSchema),
});

/**
 * The one strict schema for Mandate's configuration. Every process reads the part
 * it needs; unknown keys are refused so a typo never passes silently.
 */
export const configSchema = z.strictObject({
  dataDir: z.string().min(1),
  database: z.strictObject({
    /** `sqlite:<path>` (embedded default) or `postgres://…` */
    url: z.string().regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must start with sqlite: or postgres://'),
    password: z.string().optional(),
    poolMax: z.number().int().min(1).max(100),
    /** How long a query waits for a pooled connection before it fails (and the proxy answers 503). */
    acquireTimeoutMs: z.number().int().min(100),
    /** PostgreSQL: how long opening a connection may take before it fails. */
    connectTimeoutMs: z.number().int().min(100),
  }),
  as: z.strictObject({
    issuer: url,
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    trustProxy: z.boolean(),
    cookieKeys: z.array(z.string().min(32, 'each cookie key needs at least 32 characters')).min(1),
    signingKeysFile: z.string().min(1),
    accessTokenTtl: seconds,
    sessionTtl: seconds,
    interactionTtl: seconds,
    /** RFC 8628: how long a device code and the user code typed at /device live. */
    deviceCodeTtl: seconds,
    /** RFC 8693 token exchange for sub-agents: on or off, and the deepest chain (a person's grant is 0). */
    tokenExchange: z.strictObject({
      enabled: z.boolean(),
      maxDepth: z.number().int().min(1).max(10),
      maxLiveChildren: z.number().int().min(1).max(10_000),
    }),
    grantTtl: z.strictObject({ default: seconds, max: seconds }),
    loginThrottle: z.strictObject({ maxFailures: z.number().int().min(1), windowSeconds: seconds }),
    purgeIntervalSeconds: seconds,
    /** Public JWKS the AS encrypts people's provider keys to; it never sees the private half. */
    providerKeyPublicKeysFile: z.string().min(1),
    /**
     * The most any grant may allow, whatever the app asks (none by default). The consent
     * page caps each limit at these and adds the ones the app did not ask for.
     */
    limitMaximums: limitMaximumsSchema,
    /** Apps the operator never registered: dynamic registration, metadata documents, their bounds. */
    openDoor: z.strictObject({
      /** RFC 7591 dynamic client registration: refused, open to anyone, or with the initial access token. */
      registration: z.enum(['off', 'open', 'initial_access_token']),
      /** The bearer token `initial_access_token` registration asks for (a secret). */
      initialAccessToken: z.string().min(32, 'needs at least 32 characters').optional(),
      /** Registrations per client address per window. */
      registrationRateLimit: z.strictObject({ max: count, windowSeconds: seconds }),
      /** Client ID Metadata Documents: an https URL as client_id, fetched by the AS. */
      metadataDocuments: z.strictObject({
        /** Hosts whose URLs may be client ids: `["*"]` any, `[]` none, else names or `*.example.com`. */
        allowedHosts: z.array(
          z.string().regex(/^(\*|(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*)$/, 'a host name, *.domain or *'),
        ),
        /** How long a fetched document is trusted: its HTTP caching headers, clamped to these. */
        cacheSeconds: z.strictObject({ min: seconds, max: seconds }),
        fetchTimeoutMs: z.number().int().min(100).max(2500),
        maxBytes: z
          .number()
          .int()
          .min(512)
          .max(64 * 1024),
        /** Fetches per host per minute, cached documents not counted. */
        fetchesPerHostPerMinute: count,
        /** Fetch from loopback and private addresses too. For tests and local development only. */
        allowPrivateAddresses: z.boolean(),
        /** PEM file of extra CAs trusted for documents (beside the system's). For tests and private PKIs. */
        trustedCaFile: z.string().min(1).optional(),
      }),
      /** The AI scopes an app the operator did not register may ask for at most (also published). */
      scopes: z.array(aiScope).min(1),
      /** Limits on top of `as.limitMaximums` for such apps. */
      limitMaximums: limitMaximumsSchema,
    }),
  }),
  proxy: z.strictObject({
    url,
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    trustProxy: z.boolean(),
    /**
     * Where each provider's API lives. Operator configuration only: no request changes it.
     * A configured provider's key (`groq`) replaces its entry's `baseUrl`.
     */
    upstreams: z.object({ openai: url, anthropic: url, google: url }).catchall(url),
    /** Private JWKS that decrypts people's provider keys (proxy processes only). */
    keysFile: z.string().min(1),
    /**
     * Single-person installs: one key per provider for every grant (a configured
     * provider's too, `groq`, from the config file).
     */
    operatorKeys: z
      .object({
        openai: z.string().min(1).optional(),
        anthropic: z.string().min(1).optional(),
        google: z.string().min(1).optional(),
      })
      .catchall(z.string().min(1)),
    openai: z.strictObject({
      organization: z.string().min(1).optional(),
      project: z.string().min(1).optional(),
    }),
    anthropicBetaAllowlist: z.array(z.string().regex(/^[a-z0-9-]+$/, 'an anthropic-beta value')),
    tokenLeewaySeconds: z.number().int().min(0).max(60),
    /** DPoP (RFC 9449): `nonce` makes every proof carry a server nonce (`DPoP-Nonce`). */
    dpop: z.strictObject({ nonce: z.boolean() }),
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(100 * 1024 * 1024),
    upstreamConnectTimeoutMs: z.number().int().min(1),
    upstreamResponseTimeoutMs: z.number().int().min(1),
    upstreamIdleTimeoutMs: z.number().int().min(1),
    /** On SIGTERM: how long requests in flight may still run before they are cut. */
    drainTimeoutMs: z.number().int().min(0),
    revocationFeed: z.strictObject({
      pollIntervalMs: z.number().int().min(10),
      maxSilenceMs: z.number().int().min(100),
    }),
    /** Budget reservations: each proxy beats; a silent proxy's reservations are settled by the others. */
    reservations: z
      .strictObject({
        heartbeatIntervalMs: z.number().int().min(10),
        /** Silence after which this proxy counts as dead (several heartbeat intervals). */
        reapAfterMs: z.number().int().min(50),
        /**
         * The output bound per choice injected into a request without one, for a grant with
         * a token or spend cap (lowered to what fits; at most the model's maximum).
         */
        defaultOutputTokens: z.number().int().min(1),
      })
      .refine((r) => r.reapAfterMs >= 3 * r.heartbeatIntervalMs, {
        message: 'reapAfterMs must be at least 3 heartbeat intervals',
        path: ['reapAfterMs'],
      }),
    /**
     * Leases (docs/limits.md#leases): a proxy takes a slice of a capped grant's remaining
     * budget in one write and admits requests against it in memory.
     */
    leases: z
      .strictObject({
        enabled: z.boolean(),
        /** A slice covers about this long of the grant's recent demand at this proxy. */
        holdMs: z.number().int().min(1),
        /** The largest share of what remains under any cap one slice may take. */
        share: z.number().gt(0).max(1),
        /** The fewest requests worth a slice; below that, requests reserve one by one. */
        minRequests: z.number().int().min(1),
        /** The most requests one slice covers. */
        maxRequests: z.number().int().min(1),
        /** How often what was used out of a slice is written to the ledger. */
        flushIntervalMs: z.number().int().min(10),
        /** A slice unused this long is returned. */
        idleMs: z.number().int().min(10),
      })
      .refine((l) => l.maxRequests >= l.minRequests, {
        message: 'maxRequests must be at least minRequests',
        path: ['maxRequests'],
      }),
  }),
  /** OpenAI-compatible providers (docs/configuration.md). */
  providers: providersSchema,
  /** What models cost, for spend limits: the shipped table with the operator's entries over it. */
  prices: pricesSchema,
  /** The proxy's own client at the authorization server (introspection). */
  proxyClient: z.strictObject({
    id: z.string().min(1),
    secret: z.string().min(32, 'needs at least 32 characters'),
  }),
});

/**
 * What only the whole configuration can tell: each configured provider declared once,
 * `proxy.upstreams`, `proxy.operatorKeys` and `prices` naming known providers, and the open-door scopes valid
 * for the providers configured.
 */
export const checkedConfigSchema = configSchema.superRefine((config, ctx) => {
  // Runs beside the issues of the parts, so it reads only what passed: unique ids, not built-in.
  const presets = config.providers.presets.length;
  const unique: typeof config.providers.compatible = [];
  compatibleEntriesOf(config).forEach((entry, i) => {
    if (isBuiltin(entry.id)) return;
    if (unique.some((other) => other.id === entry.id)) {
      ctx.addIssue({
        code: 'custom',
        path: i < presets ? ['providers', 'presets', i] : ['providers', 'compatible', i - presets, 'id'],
        message: `provider ${entry.id} is declared twice (a preset and providers.compatible, or two entries)`,
      });
    } else unique.push(entry);
  });
  const registry = providerRegistryOf({
    providers: { presets: [], compatible: unique },
    proxy: config.proxy,
  });
  for (const [field, keys] of [
    ['proxy.upstreams', Object.keys(config.proxy.upstreams)],
    ['proxy.operatorKeys', Object.keys(config.proxy.operatorKeys)],
    ['prices', Object.keys(config.prices)],
  ] as const) {
    for (const key of keys) {
      if (registry.info(key) === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [...field.split('.'), key],
          message: `${key} is not a provider (known: ${registry.ids.join(', ')}); declare it in providers.compatible or providers.presets`,
        });
    }
  }
  config.as.openDoor.scopes.forEach((scope, i) => {
    const parsed = parseScope(scope, registry);
    if (!parsed.ok)
      ctx.addIssue({
        code: 'custom',
        path: ['as', 'openDoor', 'scopes', i],
        message: `an AI scope such as openai:*:chat (${parsed.reason})`,
      });
  });
});

export type Config = z.infer<typeof configSchema>;
