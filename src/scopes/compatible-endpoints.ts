import type { Capability } from './capability-table.ts';

/**
 * The OpenAI endpoints an OpenAI-compatible provider (`providers.compatible`) may serve,
 * named by their path under `/v1/`, with the capability a scope must grant for each. The
 * proxy forwards them with OpenAI's endpoint specs (`src/proxy/endpoints/compatible/`);
 * `models` is the listing and the retrieval of one model.
 */
export const COMPATIBLE_ENDPOINTS = Object.freeze({
  'chat/completions': 'chat',
  responses: 'chat',
  embeddings: 'embeddings',
  'images/generations': 'images',
  'images/edits': 'images',
  'images/variations': 'images',
  'audio/speech': 'audio',
  'audio/transcriptions': 'audio',
  'audio/translations': 'audio',
  moderations: 'moderations',
  models: 'models',
} as const satisfies Record<string, Capability>);

export type CompatibleEndpoint = keyof typeof COMPATIBLE_ENDPOINTS;

export const COMPATIBLE_ENDPOINT_NAMES = Object.freeze(
  Object.keys(COMPATIBLE_ENDPOINTS),
) as readonly CompatibleEndpoint[];

export function isCompatibleEndpoint(value: string): value is CompatibleEndpoint {
  return Object.hasOwn(COMPATIBLE_ENDPOINTS, value);
}
