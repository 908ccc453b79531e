import type { Knex } from 'knex';
import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';

export const GRANT_EVENT_KINDS = Object.freeze([
  'approved',
  'narrowed',
  'raised',
  'reauthorized',
  'revoked',
  'expired',
  'cap_reached',
  /** Token exchange: a child grant was carved (on the parent's trail and the child's). */
  'delegated',
] as const);
export type GrantEventKind = (typeof GRANT_EVENT_KINDS)[number];

/** What happened, in plain data (stored as JSON): scopes and limits approved, old and new limits, a reason, a cap. */
export type GrantEventDetail = Record<string, unknown>;

export interface NewGrantEvent {
  grantId: string;
  accountId: string;
  clientId: string;
  kind: GrantEventKind;
  detail?: GrantEventDetail;
}

export interface GrantEvent extends Required<NewGrantEvent> {
  seq: number;
  createdAt: number;
}

const toEvent = (r: Record<string, unknown>): GrantEvent => ({
  seq: Number(r.seq),
  grantId: String(r.grant_id),
  accountId: String(r.account_id),
  clientId: String(r.client_id),
  kind: r.kind as GrantEventKind,
  detail: JSON.parse(String(r.detail)) as GrantEventDetail,
  createdAt: Number(r.created_at),
});

/**
 * Appends one event to a grant's audit trail, in `db` or in the caller's transaction
 * (the one that made the change, so the change and its record commit together). The
 * trail is append-only: the database refuses to update or delete it.
 */
export async function appendGrantEvent(
  db: Knex | Knex.Transaction,
  clock: Clock,
  event: NewGrantEvent,
): Promise<void> {
  if (!GRANT_EVENT_KINDS.includes(event.kind)) throw new Error(`unknown grant event kind ${event.kind}`);
  await db('grant_events').insert({
    grant_id: event.grantId,
    account_id: event.accountId,
    client_id: event.clientId,
    kind: event.kind,
    detail: JSON.stringify(event.detail ?? {}),
    created_at: clock(),
  });
}

/** The grants' audit trail: appended to, read by grant or by person; never changed. */
export function createGrantEventStore(db: Database, clock: Clock) {
  return {
    append(event: NewGrantEvent, trx?: Knex.Transaction): Promise<void> {
      return appendGrantEvent(trx ?? db, clock, event);
    },

    /** One grant's events, oldest first. */
    async forGrant(grantId: string): Promise<GrantEvent[]> {
      const rows = await db('grant_events').where({ grant_id: grantId }).orderBy('seq');
      return rows.map(toEvent);
    },

    /** A person's latest events over all their grants, newest first. */
    async forAccount(accountId: string, limit = 100): Promise<GrantEvent[]> {
      const rows = await db('grant_events')
        .where({ account_id: accountId })
        .orderBy('seq', 'desc')
        .limit(limit);
      return rows.map(toEvent);
    },

    /** The install's latest events over every grant, newest first, before `beforeSeq` when given (a page of the operator's trail). */
    async latest({ beforeSeq, limit }: { beforeSeq?: number; limit: number }): Promise<GrantEvent[]> {
      const q = db('grant_events').orderBy('seq', 'desc').limit(limit);
      if (beforeSeq !== undefined) q.where('seq', '<', beforeSeq);
      return (await q).map(toEvent);
    },
  };
}

export type GrantEventStore = ReturnType<typeof createGrantEventStore>;
