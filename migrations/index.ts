import type { Knex } from 'knex';
import * as initial from './20261128000000_initial.ts';
import * as providerKeys from './20261128100000_provider_keys.ts';
import * as usageRecords from './20261128200000_usage_records.ts';
import * as budgets from './20261128300000_budgets.ts';
import * as grantEvents from './20261128400000_grant_events.ts';
import * as providerLimits from './20261203120000_provider_limits.ts';
import * as dpopProofs from './20261203130000_dpop_proofs.ts';
import * as operatorRole from './20261204060000_operator_role.ts';
import * as disabledClients from './20261204120000_disabled_clients.ts';
import * as tokenExchange from './20261204180000_token_exchange.ts';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, oldest first. Add new files here; names never change once released. */
export const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['20261128000000_initial', initial],
  ['20261128100000_provider_keys', providerKeys],
  ['20261128200000_usage_records', usageRecords],
  ['20261128300000_budgets', budgets],
  ['20261128400000_grant_events', grantEvents],
  ['20261203120000_provider_limits', providerLimits],
  ['20261203130000_dpop_proofs', dpopProofs],
  ['20261204060000_operator_role', operatorRole],
  ['20261204120000_disabled_clients', disabledClients],
  ['20261204180000_token_exchange', tokenExchange],
];
