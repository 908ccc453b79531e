/** OpenAI's routes below `/openai`. Anything else is OpenAI's 404 `Invalid URL`. */
import { isObject, type Route, type RouteContext } from '../context.ts';
import { openaiError } from '../errors.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { chatCompletion } from './chat.ts';
import { createEmbeddings } from './embeddings.ts';
import { generateImages } from './images.ts';
import { listModels, retrieveModel } from './models.ts';
import { createModeration } from './moderations.ts';
import { createResponse } from './responses.ts';
import { createSpeech } from './speech.ts';
import { createTranscription } from './transcriptions.ts';
import { INVALID_JSON } from './validate.ts';

const JSON_POSTS: Record<string, Route> = {
  '/v1/chat/completions': chatCompletion,
  '/v1/responses': createResponse,
  '/v1/embeddings': createEmbeddings,
  '/v1/moderations': createModeration,
  '/v1/images/generations': generateImages,
  '/v1/audio/speech': createSpeech,
};

export function routeOpenAI(context: RouteContext): Reply | Promise<Reply> {
  const { method, route } = context.record;
  const jsonRoute = method === 'POST' ? JSON_POSTS[route] : undefined;
  if (jsonRoute) {
    if (!isObject(context.record.json)) return jsonReply(400, openaiError(400, { message: INVALID_JSON }));
    return jsonRoute(context);
  }
  if (method === 'POST' && route === '/v1/audio/transcriptions') return createTranscription(context);
  if (method === 'GET' && route === '/v1/models') return listModels(context);
  const model = method === 'GET' ? /^\/v1\/models\/(.+)$/.exec(route) : null;
  if (model?.[1]) return retrieveModel(context, decodeURIComponent(model[1]));
  return jsonReply(404, openaiError(404, { message: `Invalid URL (${method} ${route})` }));
}
