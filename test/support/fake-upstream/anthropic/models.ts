/** `GET /v1/models` (paged by `limit`, `after_id`, `before_id`) and `GET /v1/models/{id}`. */
import type { RouteContext } from '../context.ts';
import { anthropicError } from '../errors.ts';
import { jsonReply, type Reply } from '../outgoing.ts';

const modelInfo = (id: string) => ({
  type: 'model',
  id,
  display_name: id.replace(/^claude-/, 'Claude ').replaceAll('-', ' '),
  created_at: '2026-01-01T00:00:00Z',
});

function page(models: string[], query: URLSearchParams): string[] {
  const limit = Number(query.get('limit') ?? 20);
  const after = query.get('after_id');
  const before = query.get('before_id');
  if (before !== null) {
    const end = Math.max(0, models.indexOf(before));
    return models.slice(Math.max(0, end - limit), end);
  }
  const start = after === null ? 0 : models.indexOf(after) + 1;
  return models.slice(start, start + limit);
}

export function listModels({ models, record }: RouteContext): Reply {
  const data = page(models, new URLSearchParams(record.search));
  const first = data[0];
  const last = data.at(-1);
  return jsonReply(200, {
    data: data.map(modelInfo),
    has_more: last !== undefined && models.indexOf(last) < models.length - 1,
    first_id: first ?? null,
    last_id: last ?? null,
  });
}

export function retrieveModel({ models, requestId }: RouteContext, id: string): Reply {
  if (models.includes(id)) return jsonReply(200, modelInfo(id));
  return jsonReply(404, anthropicError(404, `model: ${id}`, requestId));
}
