import { CAPABILITY_TABLE, type Capability, MODEL_SEGMENT, type UpstreamRoute } from './capability-table.ts';
import { parseScope } from './parse-scope.ts';
import { isProvider, type Provider } from './providers.ts';
import { ANY_MODEL } from './scope.ts';
import { splitUpstreamPath } from './split-upstream-path.ts';

export type ResolvedCapability = { readonly capability: Capability; readonly modelFromPath?: string };

/**
 * The capability an upstream request needs, from its method and the path after the
 * provider prefix (`POST`, `/v1/chat/completions`); undefined means deny.
 *
 * Static segments match the table literally (case-sensitive, not percent-decoded), so
 * `/v1/Files`, `/v1/chat/%63ompletions` or `/V1/models` match nothing. A `{model}`
 * segment is percent-decoded once and must be a plain model id: not `*`, no `/`, `%`,
 * `.`/`..`, and valid inside a scope. Paths that `splitUpstreamPath` refuses are denied.
 *
 * A route without `{model}` (e.g. `GET /v1/models`) returns no `modelFromPath`; the
 * caller then takes the model from the request body; the proxy allows a listing for any
 * `models` scope of the provider and filters it to the models those scopes name.
 */
export function resolveCapability(
  provider: string,
  method: string,
  path: string,
): ResolvedCapability | undefined {
  if (!isProvider(provider)) return undefined;
  const segments = splitUpstreamPath(path);
  if (segments === undefined) return undefined;
  const capabilities: Readonly<Record<string, readonly UpstreamRoute[]>> = CAPABILITY_TABLE[provider];
  for (const [capability, routes] of Object.entries(capabilities)) {
    for (const route of routes) {
      if (route.method !== method) continue;
      const matched = matchRoute(provider, capability, route.path, segments);
      if (matched === undefined) continue;
      const resolved = { capability: capability as Capability };
      return matched.model === undefined ? resolved : { ...resolved, modelFromPath: matched.model };
    }
  }
  return undefined;
}

function matchRoute(
  provider: Provider,
  capability: string,
  pattern: string,
  segments: readonly string[],
): { model?: string } | undefined {
  const expected = pattern.slice(1).split('/');
  if (expected.length !== segments.length) return undefined;
  let model: string | undefined;
  for (const [i, want] of expected.entries()) {
    const got = segments[i] ?? '';
    if (want === MODEL_SEGMENT) {
      model = decodeModelSegment(provider, capability, got);
      if (model === undefined) return undefined;
    } else if (want !== got) {
      return undefined;
    }
  }
  return model === undefined ? {} : { model };
}

function decodeModelSegment(provider: Provider, capability: string, segment: string): string | undefined {
  let model: string;
  try {
    model = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  if (model === ANY_MODEL || model === '.' || model === '..' || /[/%]/.test(model)) return undefined;
  return parseScope(`${provider}:${model}:${capability}`).ok ? model : undefined;
}
