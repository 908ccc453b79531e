import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';

export interface Account {
  id: string;
  username: string;
  passwordHash: string;
  /** May open the operator's pages (/operator). Set only from the CLI. */
  operator: boolean;
  createdAt: number;
}

interface AccountRow {
  id: string;
  username: string;
  password_hash: string;
  operator: boolean | number | null;
  created_at: number | string;
}

const toAccount = (row: AccountRow): Account => ({
  id: row.id,
  username: row.username,
  passwordHash: row.password_hash,
  operator: Boolean(row.operator),
  createdAt: Number(row.created_at),
});

/** People who sign in to Mandate. Passwords arrive here already hashed. */
export function createAccountStore(db: Database, clock: Clock) {
  const one = async (where: Partial<AccountRow>) => {
    const row = await db('accounts').where(where).first();
    return row ? toAccount(row) : undefined;
  };
  return {
    async create(username: string, passwordHash: string, { operator = false } = {}): Promise<Account> {
      const id = randomUUID();
      const now = clock();
      await db('accounts').insert({
        id,
        username,
        password_hash: passwordHash,
        operator,
        created_at: now,
        updated_at: now,
      });
      return { id, username, passwordHash, operator, createdAt: now };
    },
    findByUsername: (username: string): Promise<Account | undefined> => one({ username }),
    findById: (id: string): Promise<Account | undefined> => one({ id }),
    /** Everyone, oldest first (the operator's people page). */
    async list(): Promise<Account[]> {
      return (await db('accounts').orderBy('created_at').orderBy('username')).map(toAccount);
    },
    async count(): Promise<number> {
      const row = await db('accounts').count({ n: '*' }).first();
      return Number(row?.n ?? 0);
    },
    async setPasswordHash(id: string, passwordHash: string): Promise<void> {
      await db('accounts').where({ id }).update({ password_hash: passwordHash, updated_at: clock() });
    },
    /** Grants or withdraws the operator role; false when no such account. */
    async setOperator(id: string, operator: boolean): Promise<boolean> {
      return (await db('accounts').where({ id }).update({ operator, updated_at: clock() })) > 0;
    },
  };
}

export type AccountStore = ReturnType<typeof createAccountStore>;
