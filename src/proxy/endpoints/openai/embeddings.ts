import { boundEmbeddings } from '../../limits/request-bounds.ts';
import { defineEndpoint } from '../endpoint-spec.ts';
import { embeddingsUsage } from './usage-readers.ts';

/** `POST /v1/embeddings`: input only, bounded by the body's bytes. */
export const embeddings = defineEndpoint({
  method: 'POST',
  path: '/v1/embeddings',
  capability: 'embeddings',
  body: 'json',
  model: 'body',
  cost: { bound: boundEmbeddings },
  usage: embeddingsUsage,
});
