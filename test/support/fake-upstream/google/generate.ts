/**
 * `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`.
 * JSON: `{ candidates: [{ content: { parts: [{ text }], role: "model" }, finishReason,
 * index }], usageMetadata, modelVersion, responseId }`. SSE: `data: {…}\r\n\r\n` chunks of
 * `chunkTokens` words, each with the cumulative `usageMetadata` so far; the last one
 * carries `finishReason` (`STOP`, or `MAX_TOKENS` when capped) and the final counts.
 * Thoughts (`reasoningTokens`) are generated first: one thought chunk when there are any.
 */
import type { RouteContext } from '../context.ts';
import { createStreamEvents, type PlannedGeneration, withGeneration } from '../generation.ts';
import { jsonReply, type Reply, type SseReply, sseReply } from '../outgoing.ts';
import { contentDeltas, fakeId, replyText } from '../text.ts';
import { countWords } from '../usage.ts';
import { googleError } from './errors.ts';
import { candidateCount, geminiOutputPlan, geminiPromptTokens, geminiUsage, usageOf } from './usage.ts';

const geminiEvent = (data: unknown): string => `data: ${JSON.stringify(data)}\r\n\r\n`;

const finishReason = (truncated: boolean): string => (truncated ? 'MAX_TOKENS' : 'STOP');

function generation(model: string, context: RouteContext): PlannedGeneration {
  const usage = geminiUsage(context.body, context.settings);
  return {
    model,
    inputTokens: usage.promptTokenCount,
    outputTokens: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0),
  };
}

export function generateContent(context: RouteContext, model: string): Reply {
  const { body, settings, record } = context;
  if (!Array.isArray(body.contents) && typeof body.contents !== 'object') {
    return jsonReply(400, googleError(400, '* GenerateContentRequest.contents: contents is not specified'));
  }
  const plan = geminiOutputPlan(body, settings);
  const candidates = Array.from({ length: candidateCount(body) }, (_, index) => ({
    content: { parts: [{ text: replyText(plan.contentTokens) }], role: 'model' },
    finishReason: finishReason(plan.truncated),
    index,
  }));
  const reply = jsonReply(200, {
    candidates,
    usageMetadata: geminiUsage(body, settings),
    modelVersion: model,
    responseId: fakeId('resp_', record.seq),
  });
  return withGeneration(reply, generation(model, context));
}

export function streamGenerateContent(context: RouteContext, model: string): SseReply | Reply {
  const { body, settings, record } = context;
  if (!Array.isArray(body.contents) && typeof body.contents !== 'object') {
    return jsonReply(400, googleError(400, '* GenerateContentRequest.contents: contents is not specified'));
  }
  const plan = geminiOutputPlan(body, settings);
  const prompt = geminiPromptTokens(body);
  const cached = Math.min(settings.cachedTokens, prompt);
  const responseId = fakeId('resp_', record.seq);
  const stream = createStreamEvents();
  const chunk = (parts: unknown[], candidates: number, thoughts: number, last: boolean, tokens: number) =>
    stream.push(
      geminiEvent({
        candidates: [
          {
            content: { parts, role: 'model' },
            index: 0,
            ...(last ? { finishReason: finishReason(plan.truncated) } : {}),
          },
        ],
        usageMetadata: usageOf(prompt, candidates, thoughts, cached),
        modelVersion: model,
        responseId,
      }),
      tokens,
    );
  const thoughts = plan.reasoningTokens;
  const deltas = contentDeltas(plan.contentTokens, settings.chunkTokens);
  if (thoughts > 0) chunk([{ text: 'thinking', thought: true }], 0, thoughts, deltas.length === 0, thoughts);
  let sent = 0;
  for (const [i, text] of deltas.entries()) {
    sent += countWords(text);
    chunk([{ text }], sent, thoughts, i === deltas.length - 1, countWords(text));
  }
  if (thoughts === 0 && deltas.length === 0) chunk([{ text: '' }], 0, 0, true, 0);
  return sseReply(stream.events, (status) => geminiEvent(googleError(status)), {
    generation: generation(model, context),
    progress: stream.progress,
  });
}
