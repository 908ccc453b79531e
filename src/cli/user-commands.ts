import type { Writable } from 'node:stream';
import { hashPassword } from '../shared/password.ts';
import type { AccountStore } from '../storage/account-store.ts';
import { UsageError } from './output.ts';

const MIN_PASSWORD = 10;

/** `mandate user add NAME`: the password comes from standard input, never the command line. */
export async function addUser(
  accounts: AccountStore,
  out: Writable,
  username: string | undefined,
  password: string,
) {
  if (!username || !/^[A-Za-z0-9._@-]{1,64}$/.test(username)) {
    throw new UsageError(
      'usage: mandate user add NAME  (letters, digits, . _ @ -; password on standard input)',
    );
  }
  if (password.length < MIN_PASSWORD)
    throw new UsageError(`the password needs at least ${MIN_PASSWORD} characters`);
  if (await accounts.findByUsername(username))
    throw new UsageError(`a user named ${username} already exists`);
  const account = await accounts.create(username, await hashPassword(password));
  out.write(`added user ${username} (${account.id})\n`);
}
