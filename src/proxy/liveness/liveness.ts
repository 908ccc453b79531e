/**
 * Is this token's grant still live? The proxy asks once per request, after it has
 * verified the JWT itself (signature, `typ`, `iss`, `aud`, `exp` with leeway):
 *
 *   const answer = await liveness.check({ grantId: claims.grant_id, jti: claims.jti, exp: claims.exp });
 *
 *   'live'        go on (scope, model, limits…)
 *   'revoked'     401 invalid_token: the grant was revoked or has expired, or this token id was revoked
 *   'unknown'     401 invalid_token: Mandate has no record of the grant
 *   'unavailable' 503: the revocation feed has been silent longer than `maxSilenceMs`, or
 *                 the database could not be read; never an open door. Recovers by itself.
 *
 * A grant and a token id already seen are answered from memory, with no database or
 * network trip. The first sight of either reads the database once (concurrent requests
 * share that read). Revocation events from the feed overwrite what is in memory, and an
 * event that lands while a read is in flight wins over that read's answer.
 *
 * Memory holds only what this process has seen: a grant stays while a token of it may
 * still arrive (live: until the latest token exp seen, at most the grant's expiry;
 * revoked: `maxTokenTtlMs` after the event), a token id until its `exp`. A sweep at most
 * every `pruneIntervalMs` drops the rest, so memory stays flat as revocations grow.
 * Events about ids this process holds nothing for are dropped: the database, which
 * the first read consults, already records them.
 */
import type { Clock } from '../../storage/clock.ts';
import type { RevocationEntry } from '../../storage/revocation-store.ts';

export type LivenessAnswer = 'live' | 'revoked' | 'unknown' | 'unavailable';

export interface TokenRef {
  grantId: string;
  jti: string;
  /** The JWT `exp` claim: seconds since the epoch. */
  exp: number;
}

/** The one call the proxy makes per request. */
export interface Liveness {
  check(token: TokenRef): Promise<LivenessAnswer>;
}

/** What the grants table says about one grant (`GrantStore.find` returns a superset). */
export interface GrantFacts {
  revokedAt: number | null;
  expiresAt: number;
}

export interface LivenessDeps {
  loadGrant(id: string): Promise<GrantFacts | undefined>;
  isTokenRevoked(jti: string): Promise<boolean>;
  feed: { healthy(now: number): boolean };
  clock: Clock;
  /** The longest a token can be honoured: access token TTL plus the proxy's exp leeway. */
  maxTokenTtlMs: number;
  pruneIntervalMs?: number;
  /** A database read failed (the answer was 'unavailable'). */
  onError?: (error: unknown) => void;
}

type GrantState =
  | { revoked: false; expiresAt: number; keepUntil: number }
  | { revoked: true; keepUntil: number };
interface TokenState {
  revoked: boolean;
  keepUntil: number;
}

export function createLiveness({
  loadGrant,
  isTokenRevoked,
  feed,
  clock,
  maxTokenTtlMs,
  pruneIntervalMs = Math.min(60_000, maxTokenTtlMs),
  onError = () => {},
}: LivenessDeps) {
  const grants = new Map<string, GrantState>();
  const tokens = new Map<string, TokenState>();
  const grantLoads = new Map<string, Promise<GrantState | undefined>>();
  const tokenLoads = new Map<string, Promise<TokenState>>();
  /** Ids revoked by an event while their database read was in flight. */
  const revokedWhileLoading = { grants: new Set<string>(), tokens: new Set<string>() };
  let nextPruneAt = clock() + pruneIntervalMs;

  const revoked = (now: number): { revoked: true; keepUntil: number } => ({
    revoked: true,
    keepUntil: now + maxTokenTtlMs,
  });

  function loadGrantState(id: string, keepUntil: number): Promise<GrantState | undefined> {
    let load = grantLoads.get(id);
    if (!load) {
      load = loadGrant(id)
        .then((facts) => {
          const now = clock();
          const raced = revokedWhileLoading.grants.has(id);
          const current = grants.get(id);
          if (current) return current; // set by an event during the read: it wins
          if (!facts && !raced) return undefined;
          const state: GrantState =
            raced || !facts || facts.revokedAt !== null || facts.expiresAt <= now
              ? revoked(now)
              : {
                  revoked: false,
                  expiresAt: facts.expiresAt,
                  keepUntil: Math.min(keepUntil, facts.expiresAt),
                };
          grants.set(id, state);
          return state;
        })
        .catch((error: unknown) => {
          onError(error);
          throw error;
        })
        .finally(() => {
          grantLoads.delete(id);
          revokedWhileLoading.grants.delete(id);
        });
      grantLoads.set(id, load);
    }
    return load;
  }

  function loadTokenState(jti: string, keepUntil: number): Promise<TokenState> {
    let load = tokenLoads.get(jti);
    if (!load) {
      load = isTokenRevoked(jti)
        .then((isRevoked) => {
          const current = tokens.get(jti);
          if (current) return current;
          const state =
            isRevoked || revokedWhileLoading.tokens.has(jti)
              ? revoked(clock())
              : { revoked: false, keepUntil };
          tokens.set(jti, state);
          return state;
        })
        .catch((error: unknown) => {
          onError(error);
          throw error;
        })
        .finally(() => {
          tokenLoads.delete(jti);
          revokedWhileLoading.tokens.delete(jti);
        });
      tokenLoads.set(jti, load);
    }
    return load;
  }

  function prune(now: number) {
    for (const [id, state] of grants) if (state.keepUntil <= now) grants.delete(id);
    for (const [jti, state] of tokens) if (state.keepUntil <= now) tokens.delete(jti);
    nextPruneAt = now + pruneIntervalMs;
  }

  function maybePrune(now: number) {
    if (now >= nextPruneAt) prune(now);
  }

  function answer(
    grant: GrantState | undefined,
    token: TokenState,
    now: number,
    exp: number,
  ): LivenessAnswer {
    if (token.revoked || grant?.revoked) return 'revoked';
    if (!grant) return 'unknown';
    if (grant.expiresAt <= now) return 'revoked';
    if (exp > grant.keepUntil) grant.keepUntil = Math.min(exp, grant.expiresAt);
    return 'live';
  }

  return {
    async check({ grantId, jti, exp }: TokenRef): Promise<LivenessAnswer> {
      const now = clock();
      maybePrune(now);
      if (!feed.healthy(now)) return 'unavailable';
      const keepUntil = Math.min(exp * 1000, now + maxTokenTtlMs);
      const grant = grants.get(grantId);
      const token = tokens.get(jti);
      if (grant && token) return answer(grant, token, now, keepUntil);
      try {
        const [loadedGrant, loadedToken] = await Promise.all([
          grant ?? loadGrantState(grantId, keepUntil),
          token ?? loadTokenState(jti, keepUntil),
        ]);
        // An event may have landed since the reads resolved: memory is the latest word.
        const latest = clock();
        return answer(grants.get(grantId) ?? loadedGrant, tokens.get(jti) ?? loadedToken, latest, keepUntil);
      } catch {
        return 'unavailable';
      }
    },

    /** The feed's `onEntries`: revocations overwrite whatever is known. */
    applyEntries(entries: readonly RevocationEntry[]) {
      const now = clock();
      for (const entry of entries) {
        const id = entry.subjectId;
        if (entry.kind === 'limits') continue;
        if (entry.kind === 'grant') {
          if (grantLoads.has(id)) revokedWhileLoading.grants.add(id);
          if (grants.has(id) || grantLoads.has(id)) grants.set(id, revoked(now));
        } else {
          if (tokenLoads.has(id)) revokedWhileLoading.tokens.add(id);
          if (tokens.has(id) || tokenLoads.has(id)) tokens.set(id, revoked(now));
        }
      }
      maybePrune(now);
    },

    /** Drops what no token can still need; runs by itself, exposed for tests. */
    prune,

    /** How much is held, for metrics and tests. */
    size() {
      return { grants: grants.size, tokens: tokens.size, loading: grantLoads.size + tokenLoads.size };
    },
  };
}

export type LivenessCache = ReturnType<typeof createLiveness>;
