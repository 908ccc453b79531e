import pg from 'pg';

/** What a LISTEN connection reports to the feed that opened it. */
export interface ListenHandlers {
  /** A notification arrived; the payload is the log sequence number as text. */
  onNotify(payload: string | undefined): void;
  /** The connection failed or ended after it was established; called at most once. */
  onLost(error: Error): void;
}

/** Opens one listening connection; resolves once it listens, with a function that closes it. */
export type Listen = (handlers: ListenHandlers) => Promise<() => Promise<void>>;

export interface PgListenOptions {
  /** The same URL the knex instance uses (its `options=-c search_path=…` included). */
  url: string;
  password?: string | undefined;
  channel: string;
  applicationName?: string;
  connectTimeoutMs?: number;
}

/**
 * LISTEN on a dedicated `pg.Client`, outside the knex pool: a pooled connection would be
 * handed to other queries and lose the subscription. Run nothing else on it, so
 * `pg_stat_activity.query` keeps showing `LISTEN …` for operators.
 */
export function createPgListen({
  url,
  password,
  channel,
  applicationName = 'mandate-revocation-feed',
  connectTimeoutMs = 5000,
}: PgListenOptions): Listen {
  return async ({ onNotify, onLost }) => {
    const client = new pg.Client({
      connectionString: url,
      ...(password ? { password } : {}),
      application_name: applicationName,
      keepAlive: true,
      connectionTimeoutMillis: connectTimeoutMs,
    });
    // Only an established subscription reports a loss; a failed connect rejects instead.
    let state: 'connecting' | 'open' | 'closed' = 'connecting';
    const lose = (error: Error) => {
      if (state !== 'open') return;
      state = 'closed';
      onLost(error);
      client.end().catch(() => {});
    };
    client.on('error', lose);
    client.on('end', () => lose(new Error('LISTEN connection ended')));
    client.on('notification', (message) => {
      if (state === 'open' && message.channel === channel) onNotify(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      state = 'open';
    } catch (error) {
      state = 'closed';
      await client.end().catch(() => {});
      throw error;
    }
    return async () => {
      state = 'closed';
      await client.end().catch(() => {});
    };
  };
}
