import { ANY_MODEL, type Provider, parseScope } from '../../scopes/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import { anthropic } from './anthropic/provider.ts';
import type { EndpointSpec, ProviderSpec } from './endpoint-spec.ts';
import { google } from './google/provider.ts';
import { openai } from './openai/provider.ts';
import { splitUpstreamPath } from './split-upstream-path.ts';

export type { EndpointSpec, ProviderSpec, UpstreamSettings } from './endpoint-spec.ts';

/** The built-in providers the proxy forwards to, by id. A new provider is a new folder and one line here. */
export const PROVIDER_SPECS: Readonly<Record<Provider, ProviderSpec>> = Object.freeze({
  openai,
  anthropic,
  google,
});

/** A request resolved to one endpoint of the table. */
export interface EndpointMatch {
  provider: ProviderSpec;
  spec: EndpointSpec;
  /** The path to request upstream, starting with `/v1/` (or the version), exactly as the client sent it. */
  upstreamPath: string;
  /** The query string including `?`, or ''. */
  search: string;
  /** The model of a `{model}` segment, percent-decoded once. */
  modelFromPath?: string;
}

const MODEL_SEGMENT = '{model}';
const VERSION_SEGMENT = '{version}';
const DEFAULT_VERSIONS: readonly string[] = ['v1'];

const versionsOf = (provider: ProviderSpec) => provider.apiVersions ?? DEFAULT_VERSIONS;

/** A spec's path split into segments, once per spec (specs are static tables). */
const specSegments = new WeakMap<EndpointSpec, readonly string[]>();
function segmentsOf(spec: EndpointSpec): readonly string[] {
  let segments = specSegments.get(spec);
  if (segments === undefined) {
    segments = spec.path.slice(1).split('/');
    specSegments.set(spec, segments);
  }
  return segments;
}

function decodeModelSegment(provider: ProviderSpec, spec: EndpointSpec, segment: string): string | undefined {
  let model: string;
  try {
    model = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  if (model === ANY_MODEL || model === '.' || model === '..' || /[/%]/.test(model)) return undefined;
  return parseScope(`${provider.id}:${model}:${spec.capability}`).ok ? model : undefined;
}

/** Whether the raw segments are the spec's path; the model of a `{model}` segment when they are. */
function matchPath(
  provider: ProviderSpec,
  spec: EndpointSpec,
  segments: readonly string[],
): { model?: string } | undefined {
  const expected = segmentsOf(spec);
  if (expected.length !== segments.length) return undefined;
  let model: string | undefined;
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i] ?? '';
    const got = segments[i] ?? '';
    if (want === VERSION_SEGMENT) {
      if (!versionsOf(provider).includes(got)) return undefined;
    } else if (want.startsWith(MODEL_SEGMENT)) {
      // `{model}` or `{model}:method`: the literal method must end the raw segment.
      const method = want.slice(MODEL_SEGMENT.length);
      if (got.length <= method.length || !got.endsWith(method)) return undefined;
      model = decodeModelSegment(provider, spec, got.slice(0, got.length - method.length));
      // Before a method, a colon in the model would make the segment ambiguous.
      if (model === undefined || (method !== '' && model.includes(':'))) return undefined;
    } else if (want !== got) {
      return undefined;
    }
  }
  return model === undefined ? {} : { model };
}

/**
 * The endpoint a path after the provider prefix (`/v1/chat/completions`) names, whatever
 * the method (no two specs of a provider share a path); undefined when none. Static
 * segments match literally (case-sensitive, not percent-decoded); a `{model}` segment is
 * percent-decoded once and must be a plain model id, valid inside a scope. Paths that
 * `splitUpstreamPath` refuses match nothing.
 */
export function findEndpoint(
  provider: ProviderSpec,
  upstreamPath: string,
): { spec: EndpointSpec; modelFromPath?: string } | undefined {
  const segments = splitUpstreamPath(upstreamPath);
  if (segments === undefined) return undefined;
  for (const spec of provider.endpoints) {
    const matched = matchPath(provider, spec, segments);
    if (matched === undefined) continue;
    return matched.model === undefined ? { spec } : { spec, modelFromPath: matched.model };
  }
  return undefined;
}

/**
 * The endpoint table of one proxy: the built-in providers and the configured
 * OpenAI-compatible ones (`compatible/provider.ts`), resolved from method + path.
 */
export interface EndpointTable {
  /** Every provider by id. */
  readonly providers: Readonly<Record<Provider, ProviderSpec>>;
  /** The provider whose prefix and API version the path starts with (`/openai/v1/…`), for the error shape too. */
  providerOfPath(path: string): ProviderSpec | undefined;
  /**
   * The one resolver from method + path (`POST`, `/openai/v1/chat/completions?x=1`) to an
   * endpoint of the table. Anything the table does not list is refused: 403
   * `endpoint_denied` for endpoints that reach data stored on the person's account (the
   * message says why), 404 `unknown_endpoint` for everything else.
   */
  matchEndpoint(method: string, url: string): EndpointMatch;
}

/** The table of the built-ins and `extra` (configured providers, ids already checked unique and not built-in). */
export function createEndpointTable(extra: readonly ProviderSpec[] = []): EndpointTable {
  const providers: Record<Provider, ProviderSpec> = { ...PROVIDER_SPECS };
  for (const spec of extra) {
    if (Object.hasOwn(providers, spec.id)) throw new Error(`provider ${spec.id} is declared twice`);
    providers[spec.id] = spec;
  }
  Object.freeze(providers);
  // Every provider's `prefix/version` bases, built once.
  const bases = Object.values(providers).flatMap((provider) =>
    versionsOf(provider).map((version) => {
      const base = `${provider.prefix}/${version}`;
      return { base, baseSlash: `${base}/`, provider };
    }),
  );
  const paths = Object.values(providers)
    .map((provider) => `${provider.prefix}/${versionsOf(provider)[0]}/…`)
    .join(', ');
  function providerOfPath(path: string): ProviderSpec | undefined {
    for (const { base, baseSlash, provider } of bases) {
      if (path.startsWith(baseSlash) || path === base) return provider;
    }
    return undefined;
  }
  function matchEndpoint(method: string, url: string): EndpointMatch {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? '' : url.slice(q);
    const provider = providerOfPath(path);
    if (!provider) throw new ProxyError('unknown_endpoint', `unknown path: use ${paths}`);
    const upstreamPath = path.slice(provider.prefix.length);
    const found = findEndpoint(provider, upstreamPath);
    if (found && found.spec.method === method) return { provider, upstreamPath, search, ...found };
    if (
      provider.storedStatePaths.some(
        (prefix) => upstreamPath === prefix || upstreamPath.startsWith(`${prefix}/`),
      )
    ) {
      throw new ProxyError(
        'endpoint_denied',
        `${method} ${upstreamPath} reads or changes data stored on the person's account, which apps may not reach through Mandate`,
      );
    }
    throw new ProxyError('unknown_endpoint', `${method} ${upstreamPath} is not an endpoint Mandate forwards`);
  }
  return Object.freeze({ providers, providerOfPath, matchEndpoint });
}

/** The built-ins' table (tests and benches that need no configured provider). */
export const BUILTIN_ENDPOINTS: EndpointTable = createEndpointTable();
export const matchEndpoint = BUILTIN_ENDPOINTS.matchEndpoint;
export const providerOfPath = BUILTIN_ENDPOINTS.providerOfPath;
