/**
 * Mistral's OpenAI-compatible API below `/mistral` (`https://api.mistral.ai/v1`): OpenAI's
 * routes, except that fields Mistral does not know are refused with its 422
 * `extra_forbidden` (so a proxy that adds `stream_options`, `store` or
 * `max_completion_tokens` fails), and a stream's last chunk carries `usage` unasked.
 */
import type { RouteContext } from '../context.ts';
import { routeOpenAI } from '../openai/routes.ts';
import { jsonReply, type Reply } from '../outgoing.ts';

/** Fields of OpenAI's chat completions that Mistral's strict schema refuses. */
const FORBIDDEN = ['stream_options', 'store', 'max_completion_tokens', 'service_tier'];

export function routeMistral(context: RouteContext): Reply | Promise<Reply> {
  const { method, route } = context.record;
  if (method === 'POST' && route === '/v1/chat/completions') {
    const extra = FORBIDDEN.filter((field) => Object.hasOwn(context.body, field));
    if (extra.length > 0) {
      return jsonReply(422, {
        object: 'error',
        message: {
          detail: extra.map((field) => ({
            type: 'extra_forbidden',
            loc: ['body', field],
            msg: 'Extra inputs are not permitted',
          })),
        },
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    }
  }
  return routeOpenAI({ ...context, settings: { ...context.settings, usageUnasked: true } });
}
