import type { Clock } from '../../storage/clock.ts';

/**
 * Which grants have caps, remembered so that a grant without any costs no database
 * trip per request. The first sight of a grant reads it (concurrent requests share the
 * read); a change of its limits (a `limits` entry of the revocation log, which every
 * proxy follows) drops what is remembered, and so does age, so the next request reads
 * the grant's current limits again. A grant with caps reads them in every reservation.
 */
export function createCappedGrants({
  load,
  clock,
  maxAgeMs = 600_000,
  maxEntries = 100_000,
}: {
  /**
   * Whether the grant has any cap now (false for a grant that is gone: liveness refuses
   * it); for a child of token exchange also its ancestors' ids, whose changes it follows.
   */
  load(grantId: string): Promise<boolean | { capped: boolean; ancestors: readonly string[] }>;
  clock: Clock;
  maxAgeMs?: number;
  maxEntries?: number;
}) {
  const known = new Map<string, { capped: boolean; until: number }>();
  const loads = new Map<string, Promise<boolean>>();
  /** Grants whose limits changed while their read was in flight: that read is not kept. */
  const changedWhileLoading = new Set<string>();
  /** Token exchange: the children remembered under each ancestor, forgotten when it changes. */
  const dependents = new Map<string, Set<string>>();

  function read(grantId: string): Promise<boolean> {
    let pending = loads.get(grantId);
    if (!pending) {
      pending = load(grantId)
        .then((loaded) => {
          const { capped, ancestors } =
            typeof loaded === 'boolean' ? { capped: loaded, ancestors: [] } : loaded;
          if (!changedWhileLoading.has(grantId) && !ancestors.some((a) => changedWhileLoading.has(a))) {
            if (known.size >= maxEntries) {
              known.clear();
              dependents.clear();
            }
            known.set(grantId, { capped, until: clock() + maxAgeMs });
            for (const ancestor of ancestors) {
              const set = dependents.get(ancestor) ?? new Set<string>();
              set.add(grantId);
              dependents.set(ancestor, set);
            }
          }
          return capped;
        })
        .finally(() => {
          loads.delete(grantId);
          // A change seen while reads were in flight matters to those reads only.
          if (loads.size === 0) changedWhileLoading.clear();
        });
      loads.set(grantId, pending);
    }
    return pending;
  }

  return {
    async isCapped(grantId: string): Promise<boolean> {
      const entry = known.get(grantId);
      if (entry && entry.until > clock()) return entry.capped;
      return read(grantId);
    },
    /** The grant's limits changed: forget them, and those of its children (they count against it). */
    changed(grantId: string): void {
      known.delete(grantId);
      if (loads.size > 0) changedWhileLoading.add(grantId);
      for (const child of dependents.get(grantId) ?? []) known.delete(child);
      dependents.delete(grantId);
    },
  };
}

export type CappedGrants = ReturnType<typeof createCappedGrants>;
