import type { Context } from 'koa';
import type { Upstreams } from '../forward/upstreams.ts';
import type { Admission } from '../limits/budget-gate.ts';
import { setOutputBound } from '../limits/request-bounds.ts';
import type { Authorized } from './authorize.ts';

/** The upstream request, as it will be sent. */
export interface Mutated {
  target: URL;
  headers: Record<string, string>;
  body: Buffer;
  /** The proxy asked a chat stream for the usage chunk the client did not: strip it. */
  stripUsageChunk: boolean;
}

/**
 * Stage 4: the upstream request, built from the authorized one. The endpoint's rewrites
 * (`store` off), the stream usage request, the output bound the budget injects, then the
 * person's key and headers built from nothing. A mutator never refuses: everything that
 * could was refused before admission.
 */
export function createMutate(upstreams: Upstreams) {
  return function mutate(ctx: Context, request: Authorized, admission: Admission): Mutated {
    const { endpoint, json } = request;
    const { provider, spec } = endpoint;
    let body = request.body;
    let stripUsageChunk = false;
    if (json) {
      let changed = false;
      for (const rewrite of spec.rewrites) changed = rewrite(json) || changed;
      if (spec.streamUsage) stripUsageChunk = spec.streamUsage(json);
      if (admission.inject) {
        setOutputBound(json, admission.inject.field, admission.inject.perChoice);
        ctx.res.setHeader('x-mandate-output-bound', String(admission.inject.perChoice));
        changed = true;
      }
      if (changed || stripUsageChunk) body = Buffer.from(JSON.stringify(json));
    }
    return {
      target: upstreams.target(provider.id, endpoint.upstreamPath, endpoint.search),
      headers: upstreams.headers(provider.id, ctx.req.headers, request.apiKey, body.length),
      body,
      stripUsageChunk,
    };
  };
}
