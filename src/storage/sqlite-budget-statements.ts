import { GRANT_AND_COUNTERS, MOVE_COUNTERS } from './budget-queries.ts';
import type { Database } from './create-database.ts';
import {
  inPreparedSqliteTransaction,
  type SqliteConnection,
  type SqliteStatement,
} from './sqlite-prepared.ts';

/** The budget's statements on one connection, prepared once. */
export interface BudgetStatements {
  grantAndCounters: SqliteStatement;
  addReservation: SqliteStatement;
  claimReservation: SqliteStatement;
  moveCounters: SqliteStatement;
  /** A reservation's row (a lease's, to move it). */
  readReservation: SqliteStatement;
  /** Sets what a lease's row holds: requests, tokens, micro-USD, id. */
  holdReservation: SqliteStatement;
}

/** One preparing function per reservation insert (there is one per store). */
const preparers = new Map<string, (connection: SqliteConnection) => BudgetStatements>();

/**
 * SQLite: runs `fn` in a `BEGIN IMMEDIATE` transaction with the budget's statements
 * prepared once per connection (see `inPreparedSqliteTransaction`).
 */
export function inSqliteTransaction<T>(
  db: Database,
  insertReservation: string,
  fn: (statements: BudgetStatements) => T,
): Promise<T> {
  let prepare = preparers.get(insertReservation);
  if (!prepare) {
    prepare = (connection) => ({
      grantAndCounters: connection.prepare(GRANT_AND_COUNTERS),
      addReservation: connection.prepare(insertReservation),
      claimReservation: connection.prepare(
        'delete from reservations where id = ? returning grant_id, period, provider, requests, tokens, micro_usd, ancestors',
      ),
      moveCounters: connection.prepare(MOVE_COUNTERS),
      readReservation: connection.prepare(
        'select grant_id, period, provider, requests, tokens, micro_usd, ancestors from reservations where id = ?',
      ),
      holdReservation: connection.prepare(
        'update reservations set requests = ?, tokens = ?, micro_usd = ? where id = ?',
      ),
    });
    preparers.set(insertReservation, prepare);
  }
  return inPreparedSqliteTransaction(db, prepare, fn);
}
