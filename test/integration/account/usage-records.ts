import { randomUUID } from 'node:crypto';
import type { Database } from '../../../src/storage/create-database.ts';
import { createUsageStore, type UsageRecord } from '../../../src/storage/usage-store.ts';

/** Stores usage records of one grant as the proxy would, each with the fields given and the rest plain. */
export async function insertUsage(
  db: Database,
  grant: { id: string; accountId: string; clientId: string },
  records: Array<Partial<UsageRecord> & { createdAt: number }>,
): Promise<UsageRecord[]> {
  const full = records.map(
    (r): UsageRecord => ({
      id: randomUUID(),
      grantId: grant.id,
      clientId: grant.clientId,
      accountId: grant.accountId,
      provider: 'openai',
      model: 'gpt-4o-mini',
      capability: 'chat',
      inputTokens: 0,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
      costMicroUsd: 0,
      status: 200,
      upstreamMs: 120,
      clientAborted: false,
      upstreamFailed: false,
      ...r,
    }),
  );
  await createUsageStore(db).insertMany(full);
  return full;
}
