import { findMissingScope, modelCovers, type Provider, type Scope } from '../../scopes/index.ts';
import type { EndpointMatch } from '../endpoints/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';

function modelsScopes(grants: readonly Scope[], provider: Provider): Scope[] {
  return grants.filter((s) => s.provider === provider && s.capability === 'models');
}

/**
 * Checks `provider:model:capability` against the token's scopes (parsed once per token)
 * and returns the model checked. The model is the path's or the body's, as the endpoint
 * spec says. A request without a model where the provider has a default
 * (`modelOptional`) is checked as model `*`, which only a wildcard grant covers. A model
 * listing is allowed by any `models` scope of the provider.
 */
export function authorizeModel(
  scopes: readonly string[],
  grants: readonly Scope[],
  endpoint: EndpointMatch,
  bodyModel: string | undefined,
): string {
  const provider = endpoint.provider.id;
  const { capability } = endpoint.spec;
  if (endpoint.spec.model === 'listing') {
    if (modelsScopes(grants, provider).length > 0) return '*';
    const scope = `${provider}:*:models`;
    throw new ProxyError('insufficient_scope', `this app was not granted ${scope} or any model listing`, {
      scope,
    });
  }
  const model = endpoint.spec.model === 'path' ? endpoint.modelFromPath : bodyModel;
  if (model === undefined && !endpoint.spec.modelOptional) {
    throw new ProxyError('missing_model', 'the request names no model');
  }
  const checked = model ?? '*';
  if (!grants.some((s) => modelCovers(s, provider, checked, capability))) {
    const missing = findMissingScope(scopes, provider, checked, capability) ?? '';
    throw new ProxyError('insufficient_scope', `this app was not granted ${missing}`, { scope: missing });
  }
  return checked;
}

/** Which models a listing shows: those the token's `models` scopes name (all for `*`). */
export function listableModels(grants: readonly Scope[], provider: Provider): (model: string) => boolean {
  const models = new Set(modelsScopes(grants, provider).map((s) => s.model));
  return (model) => models.has('*') || models.has(model);
}
