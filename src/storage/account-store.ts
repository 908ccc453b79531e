import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';

export interface Account {
  id: string;
  username: string;
  passwordHash: string;
}

const toAccount = (row: { id: string; username: string; password_hash: string } | undefined) =>
  row ? { id: row.id, username: row.username, passwordHash: row.password_hash } : undefined;

/** People who sign in to Mandate. Passwords arrive here already hashed. */
export function createAccountStore(db: Database, clock: Clock) {
  return {
    async create(username: string, passwordHash: string): Promise<Account> {
      const id = randomUUID();
      const now = clock();
      await db('accounts').insert({
        id,
        username,
        password_hash: passwordHash,
        created_at: now,
        updated_at: now,
      });
      return { id, username, passwordHash };
    },
    async findByUsername(username: string): Promise<Account | undefined> {
      return toAccount(await db('accounts').where({ username }).first());
    },
    async findById(id: string): Promise<Account | undefined> {
      return toAccount(await db('accounts').where({ id }).first());
    },
    async count(): Promise<number> {
      const row = await db('accounts').count({ n: '*' }).first();
      return Number(row?.n ?? 0);
    },
    async setPasswordHash(id: string, passwordHash: string): Promise<void> {
      await db('accounts').where({ id }).update({ password_hash: passwordHash, updated_at: clock() });
    },
  };
}

export type AccountStore = ReturnType<typeof createAccountStore>;
