import type { UsageRecord } from '../../storage/usage-store.ts';
import type { Admission } from '../limits/budget-gate.ts';
import { zeroUsage } from '../usage/usage-tap.ts';
import type { Authorized } from './authorize.ts';
import type { Outcome } from './outcome.ts';
import type { RequestFacts } from './request-facts.ts';

export interface SettleDeps {
  /** Takes the usage of every forwarded request (queued, written in batches). */
  recordUsage?(record: UsageRecord): void;
  clock?: () => number;
}

/**
 * Stage 7, run whatever happened after admission: settles the reservation to the
 * outcome (released when nothing was sent) and records the usage of a forwarded request.
 */
export function createSettle(deps: SettleDeps) {
  return async function settle(
    requestId: string,
    request: Authorized,
    admission: Admission,
    outcome: Outcome,
    facts: RequestFacts,
  ): Promise<void> {
    const { sent, delivered, answered, status, usage, partialUsage, clientAborted } = outcome;
    const charge = await admission.settle({
      sent,
      delivered,
      answered,
      status,
      usage,
      partialUsage,
      clientAborted,
    });
    // Never sent: released, and no usage record (nothing reached the provider).
    if (!sent) return;
    // The record holds what was charged: the final usage, or the worst case.
    const counted = charge.usage ?? zeroUsage();
    facts.inputTokens = counted.inputTokens;
    facts.outputTokens = counted.outputTokens;
    const { claims, endpoint } = request;
    deps.recordUsage?.({
      id: requestId,
      grantId: claims.grantId,
      clientId: claims.clientId,
      accountId: claims.sub,
      provider: endpoint.provider.id,
      model: request.model,
      capability: endpoint.spec.capability,
      ...counted,
      costMicroUsd: charge.microUsd,
      status,
      upstreamMs: outcome.upstreamMs,
      createdAt: (deps.clock ?? Date.now)(),
      clientAborted,
      upstreamFailed: outcome.upstreamFailed,
      // Counted by its reservation already, or to be charged into the ledger when stored.
      ledger: charge.ledger,
    });
  };
}
