import type { Provider } from '../../scopes/index.ts';
import { PROVIDER_SPECS, type UpstreamSettings } from '../endpoints/index.ts';
import { PASSED_CLIENT_HEADERS } from './client-headers.ts';

export type { UpstreamSettings } from '../endpoints/index.ts';

/**
 * Where each provider lives and how credentials and required headers are put on the
 * upstream request (each provider's spec, `endpoints/<provider>/provider.ts`, says).
 * Everything a client sends is dropped unless listed in `client-headers.ts`:
 * its `authorization`, `x-api-key`, cookies, `proxy-*` and forwarded headers never leave.
 */
export function createUpstreams(settings: UpstreamSettings) {
  return {
    target(provider: Provider, path: string, search: string): URL {
      const base = PROVIDER_SPECS[provider].baseUrl(settings).replace(/\/$/, '');
      return new URL(`${base}${path}${search}`);
    },

    headers(
      provider: Provider,
      incoming: Record<string, string | string[] | undefined>,
      apiKey: string,
      contentLength: number,
    ): Record<string, string> {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming)) {
        if (typeof value === 'string' && PASSED_CLIENT_HEADERS.has(name)) out[name] = value;
      }
      if (contentLength > 0 || incoming['content-length'] !== undefined)
        out['content-length'] = String(contentLength);
      // Answers come back uncompressed, so the key masker (key-masker.ts) reads what the app gets.
      out['accept-encoding'] = 'identity';
      PROVIDER_SPECS[provider].keyHeaders(out, incoming, apiKey, settings);
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
