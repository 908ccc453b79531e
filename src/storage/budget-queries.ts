import type { Counters } from './budget-decision.ts';

const counterColumns = (alias: string) =>
  ['requests', 'tokens', 'micro_usd', 'open_requests', 'open_tokens', 'open_micro_usd']
    .map((c) => `${alias}.${c} as ${alias}_${c}`)
    .join(', ');

/**
 * A grant joined with its two counter rows for the period it counts in at the moment,
 * the whole grant's (`c_*`) and one provider's (`p_*`), and that provider's caps (`l_*`,
 * null without a `grant_provider_limits` row). Parameters: the current UTC month
 * 'YYYY-MM', the provider (twice), the grant id. No row when either counter row does not
 * exist yet (or the grant does not).
 */
export const GRANT_AND_COUNTERS = `select g.*, ${counterColumns('c')}, ${counterColumns('p')},
    l.max_requests as l_max_requests, l.max_tokens as l_max_tokens,
    l.max_spend_micro_usd as l_max_spend_micro_usd, l.requests_per_minute as l_requests_per_minute,
    l.grant_id as l_grant_id
  from grants g
  join grant_counters c
    on c.grant_id = g.id and c.scope = '*'
    and c.period = case when g.limit_period = 'month' then ? else 'lifetime' end
  join grant_counters p on p.grant_id = g.id and p.scope = ? and p.period = c.period
  left join grant_provider_limits l on l.grant_id = g.id and l.provider = ?
  where g.id = ?`;

/** One counter row's totals and open part, from columns named `<prefix>requests` etc. */
export const countersOf = (
  row: Record<string, unknown>,
  prefix: string,
): { total: Counters; open: Counters } => ({
  total: {
    requests: Number(row[`${prefix}requests`] ?? 0),
    tokens: Number(row[`${prefix}tokens`] ?? 0),
    microUsd: Number(row[`${prefix}micro_usd`] ?? 0),
  },
  open: {
    requests: Number(row[`${prefix}open_requests`] ?? 0),
    tokens: Number(row[`${prefix}open_tokens`] ?? 0),
    microUsd: Number(row[`${prefix}open_micro_usd`] ?? 0),
  },
});

/**
 * Moves both counter rows of a reservation (the whole grant's and its provider's) by
 * a difference. Parameters: Δrequests, Δtokens, Δmicro_usd, Δopen_requests,
 * Δopen_tokens, Δopen_micro_usd, grant id, period, provider (null: the whole row only,
 * a reservation taken before providers were counted).
 */
export const MOVE_COUNTERS = `update grant_counters set
    requests = requests + ?, tokens = tokens + ?, micro_usd = micro_usd + ?,
    open_requests = open_requests + ?, open_tokens = open_tokens + ?, open_micro_usd = open_micro_usd + ?
  where grant_id = ? and period = ? and scope in ('*', coalesce(?, '*'))`;
