/** `GET /v1beta/models` (paged by `pageSize`, `pageToken`) and `GET /v1beta/models/{model}`. */
import type { RouteContext } from '../context.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { googleError } from './errors.ts';

const modelInfo = (id: string) => ({
  name: `models/${id}`,
  version: '001',
  displayName: id.replace(/^gemini-/, 'Gemini ').replaceAll('-', ' '),
  inputTokenLimit: 1_048_576,
  outputTokenLimit: 65_536,
  supportedGenerationMethods: id.includes('embedding')
    ? ['embedContent', 'batchEmbedContents']
    : ['generateContent', 'countTokens'],
});

export function listModels({ models, record }: RouteContext): Reply {
  const query = new URLSearchParams(record.search);
  const size = Number(query.get('pageSize') ?? 50);
  const start = Number(query.get('pageToken') ?? 0);
  const page = models.slice(start, start + size);
  const next = start + size < models.length ? String(start + size) : undefined;
  return jsonReply(200, { models: page.map(modelInfo), ...(next ? { nextPageToken: next } : {}) });
}

export function getModel({ models }: RouteContext, id: string): Reply {
  if (models.includes(id)) return jsonReply(200, modelInfo(id));
  return jsonReply(404, googleError(404, `models/${id} is not found for API version v1beta`));
}
