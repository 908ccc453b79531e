import { errors } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Clock } from '../../storage/clock.ts';
import { createGuardedFetch } from './guarded-fetch.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { redirectUriProblem } from './redirect-uri-rules.ts';

export interface MetadataDocumentPolicy {
  /** `["*"]` any host, `[]` none, else exact names and `*.example.com` (subdomains only). */
  allowedHosts: readonly string[];
  cacheSeconds: { min: number; max: number };
  fetchTimeoutMs: number;
  maxBytes: number;
  fetchesPerHostPerMinute: number;
  allowPrivateAddresses: boolean;
}

/** Client ids are stored beside grants and usage in columns of this length. */
const MAX_CLIENT_ID = 255;

export function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const name = host.toLowerCase();
  return allowedHosts.some((pattern) =>
    pattern === '*' ? true : pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) : name === pattern,
  );
}

type ClientLike = {
  clientId: string;
  tokenEndpointAuthMethod?: string;
  redirectUris?: readonly string[] | undefined;
};

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document) through
 * oidc-provider's experimental feature, which fetches the document (without redirects,
 * within its 2.5 s), checks that its `client_id` is its URL and that it holds no secret,
 * and caches it for its HTTP caching lifetime within `cacheSeconds`. Mandate adds:
 * - which hosts may be client ids, and at most `fetchesPerHostPerMinute` fetches a host;
 * - the fetch itself (guarded-fetch.ts: public addresses only, size and time limits);
 * - such a client is always public (`none`; PKCE is required of every client) and its
 *   redirect URIs follow the shared rules (redirect-uri-rules.ts).
 */
export function createMetadataDocuments(
  policy: MetadataDocumentPolicy,
  deps: { clock: Clock; logger: Logger; extraCa?: string | undefined },
) {
  const log = deps.logger.child({ component: 'client_metadata_document' });
  const refused = (url: string, reason: string) =>
    log.warn(
      { event: 'client_metadata_document', outcome: 'refused', url, reason },
      'metadata document refused',
    );
  // When each document was last fetched. oidc-provider asks `allowFetch` only when it
  // has no accepted copy, so a fetch that recent means the document was refused: it is
  // not fetched again for a while (one request may look its client up twice).
  const lastFetched = new Map<string, number>();
  const retryMs = Math.min(60, policy.cacheSeconds.min) * 1000;
  const perHost = createRateLimiter({
    max: policy.fetchesPerHostPerMinute,
    windowMs: 60_000,
    clock: deps.clock,
  });
  const guarded = createGuardedFetch({
    allowPrivateAddresses: policy.allowPrivateAddresses,
    extraCa: deps.extraCa,
    timeoutMs: policy.fetchTimeoutMs,
    maxBytes: policy.maxBytes,
    onRefused: refused,
  });

  return {
    enabled: policy.allowedHosts.length > 0,
    async fetch(url: string | URL, init?: RequestInit): Promise<Response> {
      try {
        const res = await guarded(url, init);
        log.info(
          { event: 'client_metadata_document', outcome: 'fetched', url: String(url), status: res.status },
          'metadata document fetched',
        );
        return res;
      } finally {
        if (lastFetched.size > 10_000) lastFetched.clear();
        lastFetched.set(String(url), deps.clock());
      }
    },
    fetchResponseBodyLimits: {
      'client_id metadata document': policy.maxBytes,
      jwks_uri: policy.maxBytes,
      sector_identifier_uri: policy.maxBytes,
    },
    feature: {
      enabled: policy.allowedHosts.length > 0,
      ack: 'draft-02',
      cacheDuration: { ...policy.cacheSeconds },
      async allowFetch(_ctx: unknown, clientId: string) {
        if (clientId.length > MAX_CLIENT_ID) {
          throw new errors.InvalidClient(`a client_id URL may be at most ${MAX_CLIENT_ID} characters`);
        }
        const host = new URL(clientId).hostname;
        if (!hostAllowed(host, policy.allowedHosts)) {
          refused(clientId, 'host not allowed');
          throw new errors.InvalidClient(`this server does not accept client ids from ${host}`);
        }
        const last = lastFetched.get(clientId);
        if (last !== undefined && deps.clock() - last < retryMs) {
          throw new errors.InvalidClient('this client id was refused moments ago; try again later');
        }
        if (perHost.hit(host) !== undefined) {
          refused(clientId, 'rate limited');
          throw new errors.InvalidClient(`too many metadata document fetches from ${host}; try again later`);
        }
        return true;
      },
      async allowClient(_ctx: unknown, client: ClientLike) {
        if (client.tokenEndpointAuthMethod !== 'none') {
          throw new errors.InvalidClient(
            'a client known by its metadata document must be public (token_endpoint_auth_method none)',
          );
        }
        for (const uri of client.redirectUris ?? []) {
          const problem = redirectUriProblem(uri);
          if (problem) throw new errors.InvalidClient(`redirect URI ${uri} ${problem}`);
        }
        return true;
      },
    },
  };
}
