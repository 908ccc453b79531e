/** Gemini's routes below `/google` (`/v1beta/…` and `/v1/…`). Anything else is Google's 404. */
import { isObject, type RouteContext } from '../context.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { batchEmbedContents, countTokens, embedContent } from './embed.ts';
import { googleError } from './errors.ts';
import { generateContent, streamGenerateContent } from './generate.ts';
import { getModel, listModels } from './models.ts';

const METHOD = /^\/(?:v1beta|v1)\/models\/([^/:]+):([A-Za-z]+)$/;
const MODEL = /^\/(?:v1beta|v1)\/models\/([^/:]+)$/;

export function routeGoogle(context: RouteContext): Reply {
  const { method, route, search } = context.record;
  const call = method === 'POST' ? METHOD.exec(route) : null;
  if (call) {
    const [, model = '', action] = call;
    if (!isObject(context.record.json)) {
      return jsonReply(400, googleError(400, 'Invalid JSON payload received.'));
    }
    if (action === 'generateContent') return generateContent(context, model);
    if (action === 'streamGenerateContent') {
      if (new URLSearchParams(search).get('alt') !== 'sse') {
        return jsonReply(400, googleError(400, 'the fake streams server-sent events only (alt=sse)'));
      }
      return streamGenerateContent(context, model);
    }
    if (action === 'countTokens') return countTokens(context);
    if (action === 'embedContent') return embedContent(context);
    if (action === 'batchEmbedContents') return batchEmbedContents(context, model);
  }
  if (method === 'GET' && /^\/(?:v1beta|v1)\/models$/.test(route)) return listModels(context);
  const model = method === 'GET' ? MODEL.exec(route) : null;
  if (model?.[1]) return getModel(context, decodeURIComponent(model[1]));
  return jsonReply(404, googleError(404, 'Not Found'));
}
