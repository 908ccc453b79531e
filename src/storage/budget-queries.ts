/**
 * A grant joined with its counter row for the period it counts in at the moment
 * (parameters: the current UTC month 'YYYY-MM', the grant id); no row when the grant
 * has no counter row for that period yet. Counter columns come as c_requests,
 * c_tokens, c_micro_usd (see `countersOf`).
 */
export const GRANT_AND_COUNTERS = `select g.*, c.requests as c_requests, c.tokens as c_tokens, c.micro_usd as c_micro_usd
  from grants g join grant_counters c
    on c.grant_id = g.id and c.period = case when g.limit_period = 'month' then ? else 'lifetime' end
  where g.id = ?`;

/** The counters of a `GRANT_AND_COUNTERS` row. */
export const countersOf = (row: Record<string, unknown>) => ({
  requests: Number(row.c_requests),
  tokens: Number(row.c_tokens),
  microUsd: Number(row.c_micro_usd),
});
