/**
 * The spread SSE workload's contract between the load side and the fake upstream: a chat
 * stream whose body carries `metadata.bench_pacing: 'spread'` is paced, each event its own
 * write `SPREAD_CHUNK_DELAY_MS` after the one before, so a proxy relays it chunk by chunk.
 * The mark is a body field every proxy forwards untouched; `stream_options.include_usage`
 * would not do, Mandate adds it to every chat stream.
 */
import type { RecordedRequest } from '../test/support/fake-upstream/index.ts';

/** The pause before every SSE event after the first. */
export const SPREAD_CHUNK_DELAY_MS = 2;

/** The body field that asks the fake for the spread stream. */
export const SPREAD_METADATA = { bench_pacing: 'spread' } as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Whether the fake should pace this request's stream. */
export const isSpread = (request: RecordedRequest): boolean =>
  isObject(request.json) &&
  isObject(request.json.metadata) &&
  request.json.metadata.bench_pacing === SPREAD_METADATA.bench_pacing;
