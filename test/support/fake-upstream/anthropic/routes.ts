/** Anthropic's routes below `/anthropic`. Anything else is Anthropic's 404. */
import { isObject, type RouteContext } from '../context.ts';
import { anthropicError } from '../errors.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { countTokens } from './count-tokens.ts';
import { createMessage } from './messages.ts';
import { listModels, retrieveModel } from './models.ts';

const INVALID_JSON = 'There was an error parsing the body of your request.';

export function routeAnthropic(context: RouteContext): Reply {
  const { method, route, json } = context.record;
  if (method === 'POST' && (route === '/v1/messages' || route === '/v1/messages/count_tokens')) {
    if (!isObject(json)) return jsonReply(400, anthropicError(400, INVALID_JSON, context.requestId));
    return route === '/v1/messages' ? createMessage(context) : countTokens(context);
  }
  if (method === 'GET' && route === '/v1/models') return listModels(context);
  const model = method === 'GET' ? /^\/v1\/models\/(.+)$/.exec(route) : null;
  if (model?.[1]) return retrieveModel(context, decodeURIComponent(model[1]));
  return jsonReply(404, anthropicError(404, 'Not Found', context.requestId));
}
