import type { Knex } from 'knex';
import * as initial from './20261128000000_initial.ts';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, oldest first. Add new files here; names never change once released. */
export const migrations: ReadonlyArray<readonly [string, Migration]> = [['20261128000000_initial', initial]];
