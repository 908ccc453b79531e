import { type Capability, type Provider, resolveCapability } from '../../scopes/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import { isStoredStatePath } from './stored-state-paths.ts';

export interface RoutedRequest {
  provider: Provider;
  /** The path to request upstream, starting with `/v1/`, exactly as the client sent it. */
  upstreamPath: string;
  /** The query string including `?`, or ''. */
  search: string;
  capability: Capability;
  modelFromPath?: string;
}

const PROVIDER_PREFIX = /^\/(openai|anthropic)(\/v1(?:\/.*)?)$/;

/** The provider from the path prefix, when there is one (for the error shape). */
export function providerOfPath(path: string): Provider | undefined {
  const match = PROVIDER_PREFIX.exec(path);
  return match ? (match[1] as Provider) : undefined;
}

/**
 * Maps `/openai/v1/…` and `/anthropic/v1/…` plus the method to a capability through
 * the one capability table. Anything the table does not list is refused.
 */
export function routeRequest(method: string, url: string): RoutedRequest {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const search = q === -1 ? '' : url.slice(q);
  const match = PROVIDER_PREFIX.exec(path);
  if (!match) throw new ProxyError('unknown_endpoint', 'unknown path: use /openai/v1/… or /anthropic/v1/…');
  const provider = match[1] as Provider;
  const upstreamPath = match[2] as string;
  const resolved = resolveCapability(provider, method, upstreamPath);
  if (!resolved) {
    if (isStoredStatePath(upstreamPath)) {
      throw new ProxyError(
        'endpoint_denied',
        `${method} ${upstreamPath} reads or changes data stored on the person's account, which apps may not reach through Mandate`,
      );
    }
    throw new ProxyError('unknown_endpoint', `${method} ${upstreamPath} is not an endpoint Mandate forwards`);
  }
  return {
    provider,
    upstreamPath,
    search,
    capability: resolved.capability,
    ...(resolved.modelFromPath === undefined ? {} : { modelFromPath: resolved.modelFromPath }),
  };
}
