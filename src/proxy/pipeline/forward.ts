import type { Context } from 'koa';
import { ProxyError } from '../errors/proxy-error.ts';
import type { Forwarder } from '../forward/forwarder.ts';
import { filterModelListing, pipeResponse, refuseRejectedKey } from '../forward/respond.ts';
import { listableModels } from '../request/model-scope.ts';
import type { Authorized } from './authorize.ts';
import type { Meter } from './meter.ts';
import type { Mutated } from './mutate.ts';
import type { Outcome } from './outcome.ts';
import type { RequestFacts } from './request-facts.ts';

/**
 * Stage 5: sends the mutated request and streams the answer back (a model listing
 * filtered to the token's models, a rejected key turned into a 502), writing how it
 * ended on the outcome. An error is written there too, then thrown on.
 */
export function createForward(forwarder: Forwarder) {
  return async function forward(
    ctx: Context,
    request: Authorized,
    upstreamRequest: Mutated,
    meter: Meter,
    outcome: Outcome,
    facts: RequestFacts,
    /** Aborted when a revocation or the drain deadline ends the request. */
    signal: AbortSignal,
  ): Promise<void> {
    const { provider, spec } = request.endpoint;
    const { apiKey } = request;
    ctx.respond = false;
    outcome.sent = true;
    let ended: Awaited<ReturnType<Forwarder['forward']>>;
    try {
      ended = await forwarder.forward({
        req: ctx.req,
        res: ctx.res,
        target: upstreamRequest.target,
        headers: upstreamRequest.headers,
        body: upstreamRequest.body,
        signal,
        onDelivered() {
          outcome.delivered = true;
        },
        async onResponse(upstream) {
          outcome.answered = true;
          outcome.status = upstream.statusCode;
          if (await refuseRejectedKey(provider, upstream, ctx.res, apiKey)) return;
          if (spec.model === 'listing') {
            const allowed = listableModels(request.claims.grants, provider.id);
            await filterModelListing(upstream, ctx.res, allowed, apiKey, provider.filterListing);
          } else {
            await pipeResponse(upstream, ctx.res, meter.tap(upstream), apiKey);
          }
        },
      });
    } catch (err) {
      // What the client was answered.
      outcome.status = err instanceof ProxyError ? err.status : 500;
      outcome.upstreamFailed = true;
      throw err;
    }
    if (!ended.sent) {
      // 499: the client closed the request (as nginx logs it); nothing went upstream.
      ctx.res.statusCode = 499;
      facts.clientAborted = true;
      outcome.sent = false;
      outcome.clientAborted = true;
      return;
    }
    facts.upstreamMs = Math.round(ended.upstreamMs * 10) / 10;
    facts.clientAborted = ended.clientAborted;
    facts.bytesOut = ended.bytesOut;
    if (ended.upstreamFailed) facts.upstreamFailed = true;
    outcome.upstreamMs = Math.round(ended.upstreamMs);
    outcome.clientAborted = ended.clientAborted;
    outcome.upstreamFailed = ended.upstreamFailed;
  };
}
