import { expect } from 'chai';
import { createBudgetStore, type LedgerEntry } from '../../src/storage/budget-store.ts';
import { usagePeriod } from '../../src/storage/limit-period.ts';
import { createUsageStore, type UsageRecord } from '../../src/storage/usage-store.ts';
import { grantStoreOf } from './limited-grant.ts';
import type { ProxyFixture } from './proxy-fixture.ts';

/*
 * What the ledger says about a grant, read once the proxy is done with its requests: it
 * settles a reservation right after the answer ends and queues the usage record after
 * that, so each read polls (20 ms apart, about 5 s at most) instead of sleeping a guess.
 */

const pause = () => new Promise((r) => setTimeout(r, 20));

/**
 * The grant's counters for its current period (lifetime, or this month's for a monthly
 * grant) once no reservation is open; fails if one stays open.
 */
export async function settledCounters(fx: ProxyFixture, grantId: string) {
  const budgets = createBudgetStore(fx.as.database.db, Date.now);
  const grant = await grantStoreOf(fx).find(grantId);
  const period = usagePeriod(grant?.limits.limitPeriod ?? 'lifetime', 0, Date.now()).key;
  let totals = await budgets.charged(grantId, period);
  for (let i = 0; i < 250 && totals.openReservations > 0; i++) {
    await pause();
    totals = await budgets.charged(grantId, period);
  }
  expect(totals.openReservations, 'every reservation settled').to.equal(0);
  return totals;
}

/** The grant's usage records once `count` are flushed to the store; fails unless exactly `count`. */
export async function flushedRecords(
  fx: ProxyFixture,
  grantId: string,
  count: number,
): Promise<UsageRecord[]> {
  const usage = createUsageStore(fx.as.database.db);
  let rows = await usage.forGrant(grantId);
  for (let i = 0; i < 250 && rows.length < count; i++) {
    await fx.proxy.usage.flush();
    rows = await usage.forGrant(grantId);
    if (rows.length < count) await pause();
  }
  expect(rows).to.have.length(count);
  return rows;
}

/** The grant's ledger entries (one per scope: `*`, each provider) as they stand. */
export async function ledgerOf(fx: ProxyFixture, grantId: string): Promise<LedgerEntry[]> {
  return (await createBudgetStore(fx.as.database.db, Date.now).ledger([grantId])).get(grantId) ?? [];
}

/** The grant's ledger entries once every request is settled and every usage record stored. */
export async function settledLedger(fx: ProxyFixture, grantId: string): Promise<LedgerEntry[]> {
  for (let i = 0; i < 250; i++) {
    await fx.proxy.usage.flush();
    const entries = await ledgerOf(fx, grantId);
    if (entries.every((e) => e.open.requests === 0)) return entries;
    await pause();
  }
  throw new Error('reservations stayed open');
}
