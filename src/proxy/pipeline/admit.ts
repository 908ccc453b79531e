import type { Admission, BudgetGate } from '../limits/budget-gate.ts';
import type { Authorized } from './authorize.ts';

/**
 * Stage 3: the budget. For a grant with caps, reserves the request's worst case or
 * refuses (the last refusal a request can get); what it reserves is settled by the
 * settle stage, whatever happens after.
 */
export function admit(budget: BudgetGate, requestId: string, request: Authorized): Promise<Admission> {
  const { claims, endpoint, model } = request;
  return budget.admit({
    requestId,
    grantId: claims.grantId,
    note: {
      clientId: claims.clientId,
      accountId: claims.sub,
      provider: endpoint.provider.id,
      model,
      capability: endpoint.spec.capability,
    },
    provider: endpoint.provider.id,
    upstreamPath: endpoint.upstreamPath,
    spec: endpoint.spec,
    model,
    json: request.json,
    bodyBytes: request.body.length,
  });
}
