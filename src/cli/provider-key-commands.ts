import type { Writable } from 'node:stream';
import { saveProviderKey } from '../as/keys/save-provider-key.ts';
import { isProvider, type Provider, providerIds } from '../scopes/index.ts';
import type { ProviderKeyJwks } from '../shared/provider-key-crypto.ts';
import type { Account } from '../storage/account-store.ts';
import type { Stores } from '../storage/index.ts';
import { findAccount } from './grant-figures.ts';
import { isoDate, printTable, UsageError } from './output.ts';

async function findUser(stores: Stores, user: string | undefined, usage: string): Promise<Account> {
  if (!user) throw new UsageError(usage);
  return findAccount(stores, user);
}

function checkProvider(provider: string | undefined, usage: string): Provider {
  if (!provider) throw new UsageError(usage);
  if (!isProvider(provider))
    throw new UsageError(`unknown provider ${provider}; one of ${providerIds().join(', ')}`);
  return provider;
}

const SET_USAGE = 'usage: mandate key set --user NAME --provider PROVIDER  (the key on standard input)';

/**
 * `mandate key set --user U --provider P`: the key is read from standard input (never the
 * command line), encrypted to the proxy's public key and stored; only its last four
 * characters are printed.
 */
export async function setProviderKey(
  stores: Stores,
  out: Writable,
  { user, provider, publicJwks }: { user?: string; provider?: string; publicJwks: () => ProviderKeyJwks },
  readKey: () => Promise<string>,
): Promise<void> {
  const which = checkProvider(provider, SET_USAGE);
  const account = await findUser(stores, user, SET_USAGE);
  const jwks = publicJwks();
  const saved = await saveProviderKey(stores.providerKeys, jwks, {
    accountId: account.id,
    provider: which,
    key: await readKey(),
  });
  if (!saved.ok) throw new UsageError(saved.error);
  out.write(
    `${saved.outcome === 'added' ? 'saved' : 'replaced'} the ${which} key of ${account.username} (…${saved.last4})\n`,
  );
}

/** `mandate key list --user U`: provider, last four characters, last change. */
export async function listProviderKeys(
  stores: Stores,
  out: Writable,
  { user }: { user?: string },
): Promise<void> {
  const account = await findUser(stores, user, 'usage: mandate key list --user NAME');
  const keys = await stores.providerKeys.listForAccount(account.id);
  if (keys.length === 0) {
    out.write(`${account.username} has no provider keys stored\n`);
    return;
  }
  printTable(
    out,
    ['PROVIDER', 'KEY', 'UPDATED'],
    keys.map((k) => [k.provider, `…${k.last4}`, isoDate(k.updatedAt)]),
  );
}

/** `mandate key delete --user U --provider P`. */
export async function deleteProviderKey(
  stores: Stores,
  out: Writable,
  { user, provider }: { user?: string; provider?: string },
): Promise<void> {
  const usage = 'usage: mandate key delete --user NAME --provider PROVIDER';
  const which = checkProvider(provider, usage);
  const account = await findUser(stores, user, usage);
  if (!(await stores.providerKeys.delete(account.id, which)))
    throw new UsageError(`${account.username} has no ${which} key stored`);
  out.write(`deleted the ${which} key of ${account.username}\n`);
}
