import type { Provider } from '../../scopes/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';

/** Request fields that point at data stored on the person's account upstream. */
const REFERENCES = new Set([
  'previous_response_id',
  'conversation',
  'file_id',
  'vector_store_ids',
  'container',
]);

function findReference(value: unknown, depth = 0): string | undefined {
  if (depth > 32 || typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findReference(item, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (REFERENCES.has(key) && inner !== null && inner !== undefined) return key;
    if (key === 'type' && inner === 'file_search') return 'file_search';
    if (key === 'source' && (inner as { type?: unknown } | null)?.type === 'file') return 'file source';
    const found = findReference(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Apps share one person's key, so no app may store state upstream or reach state stored
 * there: OpenAI's `store` is forced off on chat completions and responses (the
 * Responses API stores by default), `background` runs (which need storage) are refused,
 * and so is any reference to stored objects: previous responses, conversations, files,
 * vector stores, containers. Returns whether the body was changed.
 */
export function applyStoredStatePolicy(
  provider: Provider,
  path: string,
  json: Record<string, unknown>,
): boolean {
  const found = findReference(json);
  if (found) {
    throw new ProxyError(
      'stored_state_denied',
      `${found} refers to data stored on the person's account, which apps may not reach through Mandate`,
    );
  }
  if (provider !== 'openai' || (path !== '/v1/responses' && path !== '/v1/chat/completions')) return false;
  if (json.background === true) {
    throw new ProxyError(
      'stored_state_denied',
      'background responses are stored upstream, which Mandate does not allow',
    );
  }
  if (json.store === false) return false;
  json.store = false;
  return true;
}
