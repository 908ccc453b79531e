import type { Writable } from 'node:stream';
import { hashPassword } from '../shared/password.ts';
import type { AccountStore } from '../storage/account-store.ts';
import { isoDate, printTable, UsageError } from './output.ts';

const MIN_PASSWORD = 10;

/**
 * `mandate user add NAME [--operator]`: the password comes from standard input, never
 * the command line. `--operator` lets the person open the operator's pages.
 */
export async function addUser(
  accounts: AccountStore,
  out: Writable,
  username: string | undefined,
  password: string,
  { operator = false }: { operator?: boolean } = {},
) {
  if (!username || !/^[A-Za-z0-9._@-]{1,64}$/.test(username)) {
    throw new UsageError(
      'usage: mandate user add NAME [--operator]  (letters, digits, . _ @ -; password on standard input)',
    );
  }
  if (password.length < MIN_PASSWORD)
    throw new UsageError(`the password needs at least ${MIN_PASSWORD} characters`);
  if (await accounts.findByUsername(username))
    throw new UsageError(`a user named ${username} already exists`);
  const account = await accounts.create(username, await hashPassword(password), { operator });
  out.write(`added ${operator ? 'operator' : 'user'} ${username} (${account.id})\n`);
}

/** `mandate user operator NAME on|off`: gives or takes the operator role. */
export async function setOperator(
  accounts: AccountStore,
  out: Writable,
  username: string | undefined,
  value: string | undefined,
) {
  if (!username || (value !== 'on' && value !== 'off'))
    throw new UsageError('usage: mandate user operator NAME on|off');
  const account = await accounts.findByUsername(username);
  if (!account) throw new UsageError(`no user named ${username}`);
  const operator = value === 'on';
  await accounts.setOperator(account.id, operator);
  out.write(
    account.operator === operator
      ? `${username} ${operator ? 'is already' : 'was not'} an operator\n`
      : `${username} ${operator ? 'is now' : 'is no longer'} an operator\n`,
  );
}

/** `mandate user list`: everyone who can sign in, and who is an operator. */
export async function listUsers(accounts: AccountStore, out: Writable): Promise<void> {
  printTable(
    out,
    ['USERNAME', 'ROLE', 'ADDED', 'ID'],
    (await accounts.list()).map((a) => [
      a.username,
      a.operator ? 'operator' : 'person',
      isoDate(a.createdAt),
      a.id,
    ]),
  );
}
