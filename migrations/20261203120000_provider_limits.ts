import type { Knex } from 'knex';

/*
 * Why: a limit the person approves for one provider must count that provider's requests
 * only, a grant may cap one provider and not another, and a cap added or lowered later
 * must count what the period has used so far ("in total" means in total).
 *
 * - grant_provider_limits: the caps of one provider within a grant (one row per capped
 *   provider); the `grants` row keeps the caps of the whole grant.
 * - grant_counters is re-keyed (grant_id, scope, period): scope '*' counts the whole
 *   grant, a provider id that provider's requests. It is the one ledger: every request
 *   is counted there, capped grant or not (uncapped ones when their usage record is
 *   stored). `open_*` are the part of the totals that open reservations hold, so a
 *   refusal can tell settled usage (403) from requests still in flight (429).
 *   SQLite cannot change a primary key, so the table is recreated (on both engines).
 * - reservations.provider and rate_admissions.provider: which provider's counters a
 *   reservation moves, and which provider's per-minute limit an admission counts for.
 * - Backfill: provider counters (and whole-grant counters of grants that had none,
 *   uncapped ones) are summed from usage_records per grant, provider and period, plus
 *   open reservations; existing whole-grant counters are kept as they are (they
 *   already hold settled usage and open reservations). A usage record counts as a
 *   request when its status is 1-499, or 0 with tokens charged (an abort, a reaped
 *   reservation), as the proxy charged them.
 */

type Row = Record<string, unknown>;
interface Totals {
  requests: number;
  tokens: number;
  micro_usd: number;
  open_requests: number;
  open_tokens: number;
  open_micro_usd: number;
}
const zero = (): Totals => ({
  requests: 0,
  tokens: 0,
  micro_usd: 0,
  open_requests: 0,
  open_tokens: 0,
  open_micro_usd: 0,
});

function periodOf(limitPeriod: unknown, at: number): string {
  if (limitPeriod !== 'month') return 'lifetime';
  const d = new Date(at);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

const providerOfRecord = (record: unknown): string | null => {
  if (typeof record !== 'string') return null;
  try {
    const parsed = JSON.parse(record) as { provider?: unknown };
    return typeof parsed.provider === 'string' && parsed.provider !== '' ? parsed.provider : null;
  } catch {
    return null;
  }
};

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('grant_provider_limits', (t) => {
    t.string('grant_id', 255).notNullable();
    t.string('provider', 32).notNullable();
    t.bigInteger('max_requests');
    t.bigInteger('max_tokens');
    t.bigInteger('max_spend_micro_usd');
    t.integer('requests_per_minute');
    t.primary(['grant_id', 'provider']);
  });

  await knex.schema.alterTable('reservations', (t) => {
    t.string('provider', 32);
  });
  await knex.schema.alterTable('rate_admissions', (t) => {
    t.string('provider', 32);
  });
  const open = await knex('reservations').select(
    'id',
    'grant_id',
    'period',
    'requests',
    'tokens',
    'micro_usd',
    'record',
  );
  for (const r of open) {
    const provider = providerOfRecord(r.record);
    if (provider) await knex('reservations').where({ id: r.id }).update({ provider });
  }

  await knex.schema.createTable('grant_counters_v2', (t) => {
    t.string('grant_id', 255).notNullable();
    t.string('scope', 32).notNullable();
    t.string('period', 16).notNullable();
    t.bigInteger('requests').notNullable().defaultTo(0);
    t.bigInteger('tokens').notNullable().defaultTo(0);
    t.bigInteger('micro_usd').notNullable().defaultTo(0);
    t.bigInteger('open_requests').notNullable().defaultTo(0);
    t.bigInteger('open_tokens').notNullable().defaultTo(0);
    t.bigInteger('open_micro_usd').notNullable().defaultTo(0);
    t.primary(['grant_id', 'scope', 'period']);
  });

  // Everything per (grant, scope, period), from the history and the open reservations.
  const grants = new Map<string, Row>();
  for (const g of await knex('grants').select('id', 'limit_period')) grants.set(String(g.id), g);
  const sums = new Map<string, Totals & { grant_id: string; scope: string; period: string }>();
  const add = (grantId: string, scope: string, period: string, delta: Partial<Totals>) => {
    const key = `${grantId}\u0000${scope}\u0000${period}`;
    let row = sums.get(key);
    if (!row) {
      row = { grant_id: grantId, scope, period, ...zero() };
      sums.set(key, row);
    }
    for (const [k, v] of Object.entries(delta) as Array<[keyof Totals, number]>) row[k] += v;
  };
  const usage = await knex('usage_records').select(
    'grant_id',
    'provider',
    'status',
    'input_tokens',
    'output_tokens',
    'cost_micro_usd',
    'created_at',
  );
  for (const u of usage) {
    const grant = grants.get(String(u.grant_id));
    if (!grant) continue;
    const tokens = Number(u.input_tokens) + Number(u.output_tokens);
    const status = Number(u.status);
    const requests = (status > 0 && status < 500) || (status === 0 && tokens > 0) ? 1 : 0;
    const delta = { requests, tokens, micro_usd: Number(u.cost_micro_usd ?? 0) };
    const period = periodOf(grant.limit_period, Number(u.created_at));
    add(String(u.grant_id), '*', period, delta);
    if (u.provider) add(String(u.grant_id), String(u.provider), period, delta);
  }
  for (const r of open) {
    const provider = providerOfRecord(r.record);
    const delta = {
      requests: Number(r.requests),
      tokens: Number(r.tokens),
      micro_usd: Number(r.micro_usd),
      open_requests: Number(r.requests),
      open_tokens: Number(r.tokens),
      open_micro_usd: Number(r.micro_usd),
    };
    add(String(r.grant_id), '*', String(r.period), delta);
    if (provider) add(String(r.grant_id), provider, String(r.period), delta);
  }
  // Existing whole-grant counters are what the proxy enforced: they win over the sums.
  for (const c of await knex('grant_counters').select()) {
    const key = `${c.grant_id}\u0000*\u0000${c.period}`;
    const summed = sums.get(key);
    sums.set(key, {
      grant_id: String(c.grant_id),
      scope: '*',
      period: String(c.period),
      requests: Number(c.requests),
      tokens: Number(c.tokens),
      micro_usd: Number(c.micro_usd),
      open_requests: summed?.open_requests ?? 0,
      open_tokens: summed?.open_tokens ?? 0,
      open_micro_usd: summed?.open_micro_usd ?? 0,
    });
  }
  const rows = [...sums.values()];
  for (let i = 0; i < rows.length; i += 100) await knex('grant_counters_v2').insert(rows.slice(i, i + 100));

  await knex.schema.dropTable('grant_counters');
  await knex.schema.renameTable('grant_counters_v2', 'grant_counters');
}

export async function down(knex: Knex): Promise<void> {
  const whole = await knex('grant_counters')
    .where({ scope: '*' })
    .select('grant_id', 'period', 'requests', 'tokens', 'micro_usd');
  await knex.schema.dropTable('grant_counters');
  await knex.schema.createTable('grant_counters', (t) => {
    t.string('grant_id', 255).notNullable();
    t.string('period', 16).notNullable();
    t.bigInteger('requests').notNullable().defaultTo(0);
    t.bigInteger('tokens').notNullable().defaultTo(0);
    t.bigInteger('micro_usd').notNullable().defaultTo(0);
    t.primary(['grant_id', 'period']);
  });
  for (let i = 0; i < whole.length; i += 100) await knex('grant_counters').insert(whole.slice(i, i + 100));
  await knex.schema.alterTable('rate_admissions', (t) => {
    t.dropColumn('provider');
  });
  await knex.schema.alterTable('reservations', (t) => {
    t.dropColumn('provider');
  });
  await knex.schema.dropTableIfExists('grant_provider_limits');
}
