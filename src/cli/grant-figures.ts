import type { Writable } from 'node:stream';
import type { Account } from '../storage/account-store.ts';
import { type Scope, WHOLE } from '../storage/grant-limits.ts';
import type { GrantRecord } from '../storage/grant-store.ts';
import type { Stores } from '../storage/index.ts';
import { formatAgainstCap, formatMeasure, type Measure } from '../usage/format-usage.ts';
import type { CapFigure } from '../usage/grant-usage.ts';
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

/**
 * "12 of 200 (6%), 188 left", "12 of 200 (6%), 1 in flight, 187 left", or "12 (no cap)":
 * what the page shows for one cap.
 */
export function capLine(measure: Measure, cap: CapFigure): string {
  const inFlight = cap.inFlight > 0 ? `, ${formatMeasure(measure, cap.inFlight)} in flight` : '';
  const left = cap.remaining === null ? '' : `, ${formatMeasure(measure, cap.remaining)} left`;
  return `${formatAgainstCap(measure, cap)}${inFlight}${left}`;
}

/** The SCOPE column: `all` for the whole grant, else the provider id. */
export const scopeName = (scope: Scope): string => (scope === WHOLE ? 'all' : scope);

/** "live", "revoked (cli)" or "expired". */
export function grantState(grant: GrantRecord, now: number): string {
  if (grant.revokedAt !== null)
    return grant.revokedReason === 'expired' ? 'expired' : `revoked (${grant.revokedReason})`;
  return grant.expiresAt <= now ? 'expired' : 'live';
}

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
