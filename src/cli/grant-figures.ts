import type { Writable } from 'node:stream';
import type { Account } from '../storage/account-store.ts';
import type { GrantRecord } from '../storage/grant-store.ts';
import type { Stores } from '../storage/index.ts';
import { UsageError } from './output.ts';

/** The app's registered name, else its client id. */
export async function appName(stores: Stores, clientId: string): Promise<string> {
  const client = await stores.clients.find(clientId);
  return (client?.metadata.client_name as string | undefined) ?? clientId;
}

/** The person's username, else the account id. */
export async function username(stores: Stores, accountId: string): Promise<string> {
  return (await stores.accounts.findById(accountId))?.username ?? accountId;
}

export { capLine, grantState, scopeName } from '../usage/grant-lines.ts';

/** The account with this username, or a usage error naming it. */
export async function findAccount(stores: Stores, name: string): Promise<Account> {
  const account = await stores.accounts.findByUsername(name);
  if (!account) throw new UsageError(`no user named ${name}`);
  return account;
}

export async function findGrant(stores: Stores, grantId: string): Promise<GrantRecord> {
  const grant = await stores.grants.find(grantId);
  if (!grant) throw new UsageError(`no grant ${grantId}`);
  return grant;
}

export const writeLines = (out: Writable, lines: string[]) => out.write(`${lines.join('\n')}\n`);
