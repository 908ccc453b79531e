import type { Provider } from '../../scopes/index.ts';
import { PASSED_CLIENT_HEADERS } from './client-headers.ts';

export interface UpstreamSettings {
  baseUrls: Record<Provider, string>;
  openai: { organization?: string | undefined; project?: string | undefined };
  anthropicBetaAllowlist: readonly string[];
}

const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Where each provider lives and exactly how credentials and required headers are put on
 * the upstream request. Everything a client sends is dropped unless listed in
 * `client-headers.ts`:
 * its `authorization`, `x-api-key`, cookies, `proxy-*` and forwarded headers never leave.
 */
export function createUpstreams(settings: UpstreamSettings) {
  return {
    target(provider: Provider, path: string, search: string): URL {
      return new URL(`${settings.baseUrls[provider].replace(/\/$/, '')}${path}${search}`);
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
      if (provider === 'openai') {
        out.authorization = `Bearer ${apiKey}`;
        if (settings.openai.organization) out['openai-organization'] = settings.openai.organization;
        if (settings.openai.project) out['openai-project'] = settings.openai.project;
        delete out['anthropic-version'];
        delete out['anthropic-dangerous-direct-browser-access'];
      } else {
        out['x-api-key'] = apiKey;
        out['anthropic-version'] ??= ANTHROPIC_VERSION;
        const beta = incoming['anthropic-beta'];
        if (typeof beta === 'string') {
          const allowed = beta
            .split(',')
            .map((v) => v.trim())
            .filter((v) => settings.anthropicBetaAllowlist.includes(v));
          if (allowed.length > 0) out['anthropic-beta'] = allowed.join(',');
        }
      }
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
