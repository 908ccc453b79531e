/**
 * What a text reply generates: the plan a route attaches to its reply, and, for a stream,
 * how many output tokens are generated once each event is out. `write.ts` turns these into
 * the request's `generation` as the reply is written, so a client that leaves midway
 * leaves the count where the fake stopped.
 */
import type { Reply } from './outgoing.ts';

export type PlannedGeneration = { model: string | null; inputTokens: number; outputTokens: number };

export const plannedGeneration = (
  body: Record<string, unknown>,
  inputTokens: number,
  outputTokens: number,
): PlannedGeneration => ({
  model: typeof body.model === 'string' ? body.model : null,
  inputTokens,
  outputTokens,
});

/** A stream's events as they are built, each with the output generated once it is sent. */
export function createStreamEvents() {
  const events: string[] = [];
  const progress: number[] = [];
  let generated = 0;
  return {
    events,
    progress,
    /** Appends an event that carries `tokens` newly generated output tokens. */
    push(event: string, tokens = 0): void {
      generated += tokens;
      events.push(event);
      progress.push(generated);
    },
  };
}

export function withGeneration<R extends Reply>(reply: R, generation: PlannedGeneration): R {
  reply.generation = generation;
  return reply;
}
