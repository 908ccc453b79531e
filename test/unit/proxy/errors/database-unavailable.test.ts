import { expect } from 'chai';
import { isDatabaseUnavailable } from '../../../../src/proxy/errors/database-unavailable.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('recognises connection failures of knex, pg and SQLite', () => {
    const timeout = new Error('Knex: Timeout acquiring a connection. The pool is probably full.');
    timeout.name = 'KnexTimeoutError';
    for (const err of [
      timeout,
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      new Error('select * from grants - Connection terminated unexpectedly'),
      // pg's connectionTimeoutMillis while opening a connection (a black-holed server).
      new Error('timeout expired'),
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('connection failure', '08006'),
      withCode('sorry, too many clients already', '53300'),
      withCode('database is locked', 'SQLITE_BUSY'),
      withCode('disk I/O error', 'SQLITE_IOERR_READ'),
      new TypeError('Cannot open database because the directory does not exist'),
      new TypeError('The database connection is not open'),
      new Error('wrapped', { cause: withCode('reset', 'ECONNRESET') }),
      new AggregateError([withCode('x', 'ECONNREFUSED')], 'all failed'),
    ])
      expect(isDatabaseUnavailable(err), err.message).to.equal(true);
  });

  it('leaves bugs and bad queries alone (they stay 500)', () => {
    for (const err of [
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      withCode('relation "grants" does not exist', '42P01'),
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('SQLITE_ERROR: no such table: grants', 'SQLITE_ERROR'),
      'a string',
      undefined,
    ])
      expect(isDatabaseUnavailable(err), String(err)).to.equal(false);
  });
});
