import type { Database } from '../storage/create-database.ts';

export interface PersonFigures {
  liveGrants: number;
  allGrants: number;
  /** Since the person's first grant, from the request history. */
  requests: number;
  tokens: number;
  spendMicroUsd: number;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/**
 * Each person's grants and what they used, in two grouped queries over the install (the
 * operator's people page), keyed by account id. Someone without a grant has no entry.
 */
export async function peopleFigures(db: Database, now: number): Promise<Map<string, PersonFigures>> {
  const out = new Map<string, PersonFigures>();
  const of = (id: string) => {
    let f = out.get(id);
    if (!f) {
      f = { liveGrants: 0, allGrants: 0, requests: 0, tokens: 0, spendMicroUsd: 0 };
      out.set(id, f);
    }
    return f;
  };
  const grants: Array<Record<string, unknown>> = await db('grants')
    .select(
      'account_id',
      db.raw('count(*) as all_grants'),
      db.raw('sum(case when revoked_at is null and expires_at > ? then 1 else 0 end) as live', [now]),
    )
    .groupBy('account_id');
  for (const r of grants) {
    const f = of(String(r.account_id));
    f.allGrants = num(r.all_grants);
    f.liveGrants = num(r.live);
  }
  const usage: Array<Record<string, unknown>> = await db('usage_records')
    .select(
      'account_id',
      db.raw('count(*) as requests'),
      db.raw('coalesce(sum(input_tokens + output_tokens), 0) as tokens'),
      db.raw('coalesce(sum(cost_micro_usd), 0) as micro_usd'),
    )
    .groupBy('account_id');
  for (const r of usage) {
    const f = of(String(r.account_id));
    f.requests = num(r.requests);
    f.tokens = num(r.tokens);
    f.spendMicroUsd = num(r.micro_usd);
  }
  return out;
}
