/**
 * Whether an error means "the database cannot be reached right now" (as opposed to a bug
 * or a bad query): the proxy answers those 503 `unavailable`, never 500. Recognised:
 *
 * - knex: a timeout acquiring a pooled connection, or no pool (destroyed);
 * - sockets: refused, reset, timed out, unreachable, name not resolved;
 * - pg: "Connection terminated", "timeout expired" (its connect timeout), a client not
 *   queryable after a connection error, and the
 *   SQLSTATE classes 08 (connection exception) and 53 (insufficient resources), 57P01–03
 *   (the server shutting down or starting);
 * - SQLite: busy or locked past the busy timeout, cannot open, I/O error, disk full,
 *   read-only, not a database, a file that cannot be opened, a closed connection.
 *
 * Wrapped errors (`cause`, `AggregateError`) are looked through.
 */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const PG_STATES = new Set(['57P01', '57P02', '57P03']);
const SQLITE_CODE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|NOTADB|PROTOCOL)/;
const MESSAGES = [
  /Connection terminated/i,
  /not queryable/i,
  /Unable to acquire a connection/i,
  /Timeout acquiring a connection/i,
  /database connection is not open/i,
  /Cannot open database/i,
  /timeout exceeded when trying to connect/i,
  /^timeout expired$/,
];

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 4) return false;
  if (err.name === 'KnexTimeoutError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || SQLITE_CODE.test(code) || PG_STATES.has(code)) return true;
    if (/^(08|53)[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (MESSAGES.some((m) => m.test(err.message))) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1)))
    return true;
  return isDatabaseUnavailable(err.cause, depth + 1);
}
