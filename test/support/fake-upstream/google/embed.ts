/**
 * `:embedContent` (`{ embedding: { values } }`) and `:batchEmbedContents`
 * (`{ embeddings: [{ values }] }`), `outputDimensionality` or `embeddingDimensions` long.
 * No usage, as the Gemini API reports none for embeddings. `:countTokens` answers
 * `{ totalTokens }`, the prompt count generateContent reports.
 */
import { isObject, type RouteContext } from '../context.ts';
import { fakeEmbedding } from '../openai/embeddings.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { googleError } from './errors.ts';
import { geminiPromptTokens } from './usage.ts';

const dimensionsOf = (request: Record<string, unknown>, fallback: number): number =>
  typeof request.outputDimensionality === 'number' ? request.outputDimensionality : fallback;

export function embedContent({ body, settings }: RouteContext): Reply {
  if (!isObject(body.content))
    return jsonReply(400, googleError(400, '* EmbedContentRequest.content: content is not specified'));
  return jsonReply(200, {
    embedding: { values: fakeEmbedding(0, dimensionsOf(body, settings.embeddingDimensions)) },
  });
}

export function batchEmbedContents({ body, settings }: RouteContext, model: string): Reply {
  const requests = Array.isArray(body.requests) ? body.requests : [];
  if (requests.length === 0)
    return jsonReply(
      400,
      googleError(400, '* BatchEmbedContentsRequest.requests: requests is not specified'),
    );
  const embeddings = [];
  for (const [index, request] of requests.entries()) {
    if (!isObject(request) || request.model !== `models/${model}`) {
      return jsonReply(400, googleError(400, `Model name in request ${index} does not match the URL`));
    }
    embeddings.push({ values: fakeEmbedding(index, dimensionsOf(request, settings.embeddingDimensions)) });
  }
  return jsonReply(200, { embeddings });
}

export function countTokens({ body }: RouteContext): Reply {
  const request = isObject(body.generateContentRequest) ? body.generateContentRequest : body;
  return jsonReply(200, { totalTokens: geminiPromptTokens(request) });
}
