import type { Writable } from 'node:stream';
import type { GrantRecord } from '../storage/grant-store.ts';
import type { Stores } from '../storage/index.ts';
import { formatPeriod } from '../usage/format-usage.ts';
import { createGrantUsage } from '../usage/grant-usage.ts';
import {
  appName,
  capLine,
  findAccount,
  findGrant,
  grantState,
  scopeName,
  username,
} from './grant-figures.ts';
import { printTable } from './output.ts';

/**
 * `mandate usage [--account NAME] [--grant ID]`: each live grant (or the one named,
 * whatever its state) with its period and usage against each cap, the same figures as
 * the person's account pages: a row for the whole grant (SCOPE `all`), then one per
 * provider (`openai`, `anthropic`), each against that scope's own caps.
 */
export async function printUsage(
  stores: Stores,
  out: Writable,
  { account, grant: grantId }: { account?: string; grant?: string },
): Promise<void> {
  let grants: GrantRecord[];
  if (grantId) {
    grants = [await findGrant(stores, grantId)];
  } else {
    const accountId = account ? (await findAccount(stores, account)).id : undefined;
    grants = await stores.grants.list(accountId ? { accountId } : {});
  }
  const figures = createGrantUsage(stores.db);
  const now = stores.clock();
  const rows: string[][] = [];
  for (const g of grants) {
    const usage = await figures.caps(g, now);
    const who = [
      g.id,
      await username(stores, g.accountId),
      await appName(stores, g.clientId),
      grantState(g, now),
    ];
    for (const scope of [usage, ...usage.providers])
      rows.push([
        ...who,
        scopeName(scope.scope),
        formatPeriod(usage.period),
        capLine('requests', scope.requests),
        capLine('tokens', scope.tokens),
        capLine('spend', scope.spendMicroUsd),
      ]);
  }
  if (rows.length === 0) {
    out.write(account ? `no live grants for ${account}\n` : 'no live grants\n');
    return;
  }
  printTable(
    out,
    ['GRANT ID', 'USER', 'APP', 'STATE', 'SCOPE', 'PERIOD', 'REQUESTS', 'TOKENS', 'SPEND'],
    rows,
  );
}
