import { join } from 'node:path';
import { deepMerge } from './deep-merge.ts';

type Partial = {
  dataDir?: string;
  database?: { url?: string };
  as?: { signingKeysFile?: string; providerKeyPublicKeysFile?: string };
  proxy?: { keysFile?: string };
};

/** The database file and the signing keys live in the data folder unless set elsewhere. */
export function withDataDirDefaults<T extends Record<string, unknown>>(merged: T): T {
  const { dataDir, database, as, proxy } = merged as Partial;
  if (!dataDir) return merged;
  return deepMerge(merged, {
    database: { url: database?.url ?? `sqlite:${join(dataDir, 'mandate.sqlite')}` },
    as: {
      signingKeysFile: as?.signingKeysFile ?? join(dataDir, 'signing-keys.json'),
      providerKeyPublicKeysFile: as?.providerKeyPublicKeysFile ?? join(dataDir, 'provider-key-public.json'),
    },
    proxy: { keysFile: proxy?.keysFile ?? join(dataDir, 'proxy-keys.json') },
  }) as T;
}
