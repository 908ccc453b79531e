/** `GET /v1/models` and `GET /v1/models/{id}`. */
import type { RouteContext } from '../context.ts';
import { openaiError } from '../errors.ts';
import { jsonReply, type Reply } from '../outgoing.ts';

const CREATED = 1_700_000_000;

const modelObject = (id: string) => ({ id, object: 'model', created: CREATED, owned_by: 'system' });

export const listModels = ({ models }: RouteContext): Reply =>
  jsonReply(200, { object: 'list', data: models.map(modelObject) });

export function retrieveModel({ models }: RouteContext, id: string): Reply {
  if (models.includes(id)) return jsonReply(200, modelObject(id));
  return jsonReply(
    404,
    openaiError(404, {
      message: `The model '${id}' does not exist`,
      param: 'model',
      code: 'model_not_found',
    }),
  );
}
