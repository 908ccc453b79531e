import { ProxyError } from '../errors/proxy-error.ts';

/**
 * Apps share one person's key, so no app may store state upstream or reach state stored
 * there. The endpoint table names which of these apply where: the refusals run while the
 * request is authorized (before anything is reserved), the rewrite while it is mutated.
 */

type Json = Record<string, unknown>;

/** Request fields that point at data stored on the person's account upstream. */
const REFERENCES = new Set([
  'previous_response_id',
  'conversation',
  'file_id',
  'vector_store_ids',
  'container',
]);

const denied = (what: string) =>
  new ProxyError(
    'stored_state_denied',
    `${what} refers to data stored on the person's account, which apps may not reach through Mandate`,
  );

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
    if (key === 'type' && inner === 'item_reference') return 'item_reference';
    if (key === 'source' && (inner as { type?: unknown } | null)?.type === 'file') return 'file source';
    const found = findReference(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Any reference to stored objects anywhere in a JSON body (both providers): previous
 * responses, conversations, files, vector stores, containers, `file_search` tools,
 * `item_reference` items, content sources of type `file`.
 */
export function refuseStoredReferences(json: Json): void {
  const found = findReference(json);
  if (found) throw denied(found);
}

/**
 * OpenAI Responses `input` items that name a stored item by id: `type: "item_reference"`
 * (found by `refuseStoredReferences`), or an item with an `id` and no `type` and no
 * `role`, which the API reads as an item reference too.
 */
export function refuseItemReferences(json: Json): void {
  if (!Array.isArray(json.input)) return;
  for (const item of json.input) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const { type, id, role } = item as Json;
    if ((type === undefined || type === null) && id !== undefined && id !== null && role === undefined)
      throw denied('item_reference');
  }
}

/** `background: true` runs are stored upstream (OpenAI chat completions and responses). */
export function refuseBackground(json: Json): void {
  if (json.background === true) {
    throw new ProxyError(
      'stored_state_denied',
      'background responses are stored upstream, which Mandate does not allow',
    );
  }
}

/**
 * `store` forced off (OpenAI chat completions and responses; the Responses API stores by
 * default). Returns whether the body was changed. Never refuses.
 */
export function forceStoreOff(json: Json): boolean {
  if (json.store === false) return false;
  json.store = false;
  return true;
}

/**
 * `store: true` refused (OpenAI-compatible chat completions): the proxy cannot send
 * `store: false` to providers that refuse fields they do not know, so it refuses the
 * request that asks for storage instead.
 */
export function refuseStoreOn(json: Json): void {
  if (json.store === true) {
    throw new ProxyError(
      'stored_state_denied',
      "store: true keeps the exchange on the person's account upstream, which Mandate does not allow",
    );
  }
}
