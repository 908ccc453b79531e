import { capabilitiesFor, isCapability, isCapabilityOffered } from './capability-table.ts';
import { type ProviderRegistry, providerRegistry } from './providers.ts';
import { ANY_MODEL, type ParseScopeResult } from './scope.ts';
import { codePointName, findInvalidScopeChar } from './scope-token.ts';

/** Longer scopes are refused outright; real ones (fine-tuned model ids included) are far shorter. */
export const MAX_SCOPE_LENGTH = 255;

/**
 * Parses an AI scope `provider:model:capability`.
 *
 * - The whole value must be an RFC 6749 scope-token (visible ASCII except `"` and `\`).
 * - Provider is the first `:` segment, capability the last, model everything between:
 *   model ids may contain colons (`ft:gpt-4o-mini:org::abc123`) but must be non-empty
 *   and may not start or end with `:`.
 * - `*` is allowed only as the whole model; provider and capability are never wildcards.
 *
 * Every `reason` only quotes input that already passed the scope-token check, so it is
 * safe to return as an OAuth `error_description`.
 */
export function parseScope(value: string, registry: ProviderRegistry = providerRegistry()): ParseScopeResult {
  if (typeof value !== 'string' || value.length === 0) return fail('scope is empty');
  const invalid = findInvalidScopeChar(value);
  if (invalid !== undefined) {
    return fail(`scope contains ${codePointName(invalid)}, which is not allowed in an OAuth scope`);
  }
  if (value.length > MAX_SCOPE_LENGTH) return fail(`scope is longer than ${MAX_SCOPE_LENGTH} characters`);

  const parts = value.split(':');
  if (parts.length < 3) {
    return fail(`scope '${value}' is not of the form provider:model:capability`);
  }
  const providerId = parts[0] ?? '';
  const capabilityId = parts[parts.length - 1] ?? '';
  const model = parts.slice(1, -1).join(':');

  if (providerId === '') return fail('missing provider');
  if (providerId.includes('*')) return fail('the provider cannot be a wildcard');
  if (registry.info(providerId) === undefined) {
    return fail(`unknown provider '${providerId}' (known providers: ${registry.ids.join(', ')})`);
  }
  const offered = `${providerId} offers: ${capabilitiesFor(providerId, registry).join(', ')}`;
  if (capabilityId === '') return fail('missing capability');
  if (capabilityId.includes('*')) return fail(`the capability cannot be a wildcard (${offered})`);
  if (!isCapability(capabilityId)) return fail(`unknown capability '${capabilityId}' (${offered})`);
  if (!isCapabilityOffered(providerId, capabilityId, registry)) {
    return fail(`capability '${capabilityId}' is not offered for ${providerId} (${offered})`);
  }

  if (model === '') return fail('missing model');
  if (model !== ANY_MODEL && model.includes('*')) {
    return fail(`model '${model}' is not allowed: '*' may only stand alone, for any model`);
  }
  if (model.startsWith(':') || model.endsWith(':')) {
    return fail(`model '${model}' must not start or end with ':'`);
  }

  return { ok: true, scope: { provider: providerId, model, capability: capabilityId } };
}

function fail(reason: string): ParseScopeResult {
  return { ok: false, reason };
}
