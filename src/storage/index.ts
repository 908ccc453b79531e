import { createAccountStore } from './account-store.ts';
import { createClientStore } from './client-store.ts';
import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';
import { createDisabledClientStore } from './disabled-client-store.ts';
import { createDpopProofStore } from './dpop-proof-store.ts';
import { createGrantEventStore } from './grant-event-store.ts';
import { createGrantStore } from './grant-store.ts';
import { createLoginFailureStore } from './login-failure-store.ts';
import { createProviderKeyStore } from './provider-key-store.ts';
import { createRevocationStore } from './revocation-store.ts';

export type { Clock } from './clock.ts';
export { systemClock } from './clock.ts';
export { createDatabase, type Database } from './create-database.ts';
export {
  appendGrantEvent,
  GRANT_EVENT_KINDS,
  type GrantEvent,
  type GrantEventDetail,
  type GrantEventKind,
  type GrantEventStore,
  type NewGrantEvent,
} from './grant-event-store.ts';
export { assertMigrated, migrateLatest, NotMigratedError } from './migrate.ts';
export type {
  NewProviderKey,
  ProviderKeyListing,
  ProviderKeyStore,
  StoredProviderKey,
} from './provider-key-store.ts';

/** Every store over one database, built once by the composition root. */
export function createStores(db: Database, clock: Clock, { loginWindowMs }: { loginWindowMs: number }) {
  const revocations = createRevocationStore(db, clock);
  return {
    db,
    clock,
    revocations,
    accounts: createAccountStore(db, clock),
    clients: createClientStore(db, clock),
    disabledClients: createDisabledClientStore(db, clock, revocations),
    grants: createGrantStore(db, clock, revocations),
    grantEvents: createGrantEventStore(db, clock),
    dpopProofs: createDpopProofStore(db, clock),
    loginFailures: createLoginFailureStore(db, clock, loginWindowMs),
    providerKeys: createProviderKeyStore(db, clock),
  };
}

export type Stores = ReturnType<typeof createStores>;
