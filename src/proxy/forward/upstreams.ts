import type { Provider } from '../../scopes/index.ts';
import type { ProviderSpec, UpstreamSettings } from '../endpoints/index.ts';
import { passedHeadersFor } from './client-headers.ts';

export type { UpstreamSettings } from '../endpoints/index.ts';

/**
 * Where each provider lives and how credentials and required headers are put on the
 * upstream request (each provider's spec, `endpoints/<provider>/provider.ts`, says).
 * Everything a client sends is dropped unless listed in `client-headers.ts`:
 * its `authorization`, `x-api-key`, cookies, `proxy-*` and forwarded headers never leave.
 */
export function createUpstreams(
  settings: UpstreamSettings,
  providers: Readonly<Record<Provider, ProviderSpec>>,
) {
  // Each provider's base URL, without a trailing slash, resolved once; a base that ends
  // with the version takes the path after it.
  const bases = new Map(
    Object.values(providers).map((spec) => [
      spec.id,
      { base: spec.baseUrl(settings).replace(/\/$/, ''), skip: spec.versionInBaseUrl ? '/v1'.length : 0 },
    ]),
  );
  const specOf = (provider: Provider): ProviderSpec => {
    const spec = providers[provider];
    if (!spec) throw new Error(`no upstream for provider ${provider}`);
    return spec;
  };
  return {
    target(provider: Provider, path: string, search: string): URL {
      const upstream = bases.get(provider);
      if (!upstream) throw new Error(`no upstream for provider ${provider}`);
      return new URL(`${upstream.base}${path.slice(upstream.skip)}${search}`);
    },

    headers(
      provider: Provider,
      incoming: Record<string, string | string[] | undefined>,
      apiKey: string,
      contentLength: number,
    ): Record<string, string> {
      const out: Record<string, string> = {};
      const passed = passedHeadersFor(specOf(provider));
      for (const name in incoming) {
        const value = incoming[name];
        if (typeof value === 'string' && passed.has(name)) out[name] = value;
      }
      if (contentLength > 0 || incoming['content-length'] !== undefined)
        out['content-length'] = String(contentLength);
      // Answers come back uncompressed, so the key masker (key-masker.ts) reads what the app gets.
      out['accept-encoding'] = 'identity';
      specOf(provider).keyHeaders(out, incoming, apiKey, settings);
      return out;
    },
  };
}

export type Upstreams = ReturnType<typeof createUpstreams>;

/** Response headers that never reach the app. */
export const DROPPED_RESPONSE_HEADERS = new Set([
  'set-cookie',
  'openai-organization',
  'openai-project',
  'anthropic-organization-id',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-authenticate',
  'proxy-connection',
  'trailer',
  'upgrade',
]);
