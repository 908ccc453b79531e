/**
 * `POST /v1/embeddings`: one vector per input (a string, strings, a token array or token
 * arrays), `dimensions` long or `embeddingDimensions`. Values are float32-exact, so the
 * base64 form (`encoding_format: 'base64'`, the openai SDK's default) decodes to the same
 * numbers as the float form.
 */
import type { RouteContext } from '../context.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { embeddingsUsage } from '../usage.ts';
import { missingField } from './validate.ts';

const inputsOf = (input: unknown): unknown[] =>
  Array.isArray(input) && input.length > 0 && typeof input[0] !== 'number' ? input : [input];

/** The fake's embedding of the input at `index`: a deterministic float32 vector. */
export function fakeEmbedding(index: number, dimensions: number): number[] {
  return Array.from({ length: dimensions }, (_, k) => Math.fround(((index * 31 + k * 7) % 100) / 100 - 0.5));
}

const toBase64 = (vector: number[]): string =>
  Buffer.from(new Float32Array(vector).buffer).toString('base64');

export function createEmbeddings({ body, settings }: RouteContext): Reply {
  const invalid = missingField(body, ['model', 'input']);
  if (invalid) return invalid;
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : settings.embeddingDimensions;
  const base64 = body.encoding_format === 'base64';
  return jsonReply(200, {
    object: 'list',
    data: inputsOf(body.input).map((_, index) => {
      const vector = fakeEmbedding(index, dimensions);
      return { object: 'embedding', index, embedding: base64 ? toBase64(vector) : vector };
    }),
    model: body.model,
    usage: embeddingsUsage(body),
  });
}
