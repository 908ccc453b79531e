import type { Context } from 'koa';
import type { Forwarder } from './forward/forwarder.ts';
import type { Upstreams } from './forward/upstreams.ts';
import type { Flight } from './lifecycle/in-flight.ts';
import type { BudgetGate } from './limits/budget-gate.ts';
import { admit } from './pipeline/admit.ts';
import { type AuthenticateDeps, createAuthenticate } from './pipeline/authenticate.ts';
import { type AuthorizeDeps, createAuthorize } from './pipeline/authorize.ts';
import { createForward } from './pipeline/forward.ts';
import { createMeter } from './pipeline/meter.ts';
import { createMutate } from './pipeline/mutate.ts';
import { createOutcome } from './pipeline/outcome.ts';
import type { RequestFacts } from './pipeline/request-facts.ts';
import { createSettle, type SettleDeps } from './pipeline/settle.ts';

export type { RequestFacts } from './pipeline/request-facts.ts';

export interface RequestHandlerDeps extends AuthenticateDeps, AuthorizeDeps, SettleDeps {
  upstreams: Upstreams;
  forwarder: Forwarder;
  /** Reserves against the grant's caps before forwarding, settles after. */
  budget: BudgetGate;
}

/**
 * One request through the proxy, as a fixed pipeline (`pipeline/`, one file per stage):
 * authenticate → authorize (every refusal) → admit (the budget's reservation, or its
 * refusal) → try { mutate → forward → meter } finally { settle }. Nothing after
 * admission refuses, and whatever happens after it, the reservation is settled.
 */
export function createRequestHandler(deps: RequestHandlerDeps) {
  const authenticate = createAuthenticate(deps);
  const authorize = createAuthorize(deps);
  const mutate = createMutate(deps.upstreams);
  const forward = createForward(deps.forwarder);
  const settle = createSettle(deps);
  return async function handle(
    ctx: Context,
    facts: RequestFacts,
    requestId: string,
    flight: Flight,
  ): Promise<void> {
    const claims = await authenticate(ctx, facts, flight);
    const request = await authorize(ctx, claims, facts);
    const admission = await admit(deps.budget, requestId, request);
    const outcome = createOutcome();
    try {
      const upstreamRequest = mutate(ctx, request, admission);
      const meter = createMeter(request.endpoint.spec.usage, upstreamRequest.stripUsageChunk);
      await forward(ctx, request, upstreamRequest, meter, outcome, facts, flight.signal);
      meter.read(outcome);
    } finally {
      await settle(requestId, request, admission, outcome, facts);
    }
  };
}
