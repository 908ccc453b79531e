import { findMissingScope, modelCovers, type Provider, type Scope } from '../../scopes/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import type { RoutedRequest } from './route-request.ts';

/** Endpoints whose upstream API picks a default model when the request names none. */
const MODEL_OPTIONAL = new Set(['moderations', 'images']);

function modelsScopes(grants: readonly Scope[], provider: Provider): Scope[] {
  return grants.filter((s) => s.provider === provider && s.capability === 'models');
}

/** A model listing (`GET /v1/models`): any `models` scope of the provider allows it. */
export function isListing(routed: RoutedRequest): boolean {
  return routed.capability === 'models' && routed.modelFromPath === undefined;
}

/**
 * Checks `provider:model:capability` against the token's scopes (parsed once per token)
 * and returns the model checked. A request without a model where the provider has a
 * default is checked as model `*`, which only a wildcard grant covers.
 */
export function authorizeModel(
  scopes: readonly string[],
  grants: readonly Scope[],
  routed: RoutedRequest,
  bodyModel: string | undefined,
): string {
  if (isListing(routed)) {
    if (modelsScopes(grants, routed.provider).length > 0) return '*';
    const scope = `${routed.provider}:*:models`;
    throw new ProxyError('insufficient_scope', `this app was not granted ${scope} or any model listing`, {
      scope,
    });
  }
  const model = routed.modelFromPath ?? bodyModel;
  if (model === undefined && !MODEL_OPTIONAL.has(routed.capability)) {
    throw new ProxyError('missing_model', 'the request names no model');
  }
  const checked = model ?? '*';
  if (!grants.some((s) => modelCovers(s, routed.provider, checked, routed.capability))) {
    const missing = findMissingScope(scopes, routed.provider, checked, routed.capability) ?? '';
    throw new ProxyError('insufficient_scope', `this app was not granted ${missing}`, { scope: missing });
  }
  return checked;
}

/** Which models a listing shows: those the token's `models` scopes name (all for `*`). */
export function listableModels(grants: readonly Scope[], provider: Provider): (model: string) => boolean {
  const models = new Set(modelsScopes(grants, provider).map((s) => s.model));
  return (model) => models.has('*') || models.has(model);
}
