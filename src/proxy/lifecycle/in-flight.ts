import type { ProxyError } from '../errors/proxy-error.ts';

/** One request as the stages see it: how the proxy tells it to end early. */
export interface Flight {
  /**
   * Aborted, with the ProxyError that says why, when the proxy ends the request early
   * (its grant or token revoked, the drain deadline passed). The forwarder listens: an
   * answer not yet begun is not sent (the client gets that error), a stream is cut and
   * the upstream request aborted.
   */
  readonly signal: AbortSignal;
  /** Names the verified token, so a revocation of its grant or its id finds this request. */
  identify(grantId: string, tokenId: string): void;
}

/** The app's handle on a request: open from arrival until its usage is settled. */
export interface OpenFlight extends Flight {
  /** Why it was ended early, if it was. */
  readonly endedBy: ProxyError | undefined;
  close(): void;
}

/**
 * Every request this proxy is handling, by grant and token id, so that a revocation
 * ends the requests already running (not only the next ones) and a graceful stop knows
 * what it is waiting for. A request is open from its arrival to the end of its settle;
 * ending one only aborts its signal: the request itself still settles and records its
 * usage, and closes when it has.
 */
export function createInFlight() {
  const open = new Set<Entry>();
  const byGrant = new Map<string, Set<Entry>>();
  const byToken = new Map<string, Set<Entry>>();
  let idleWaiters: Array<() => void> = [];
  /** Once set (a drain began), a request that arrives is ended at once with it. */
  let refusing: ProxyError | undefined;

  interface Entry extends OpenFlight {
    controller: AbortController;
    grantId?: string;
    tokenId?: string;
  }

  const index = (map: Map<string, Set<Entry>>, key: string, entry: Entry) => {
    const set = map.get(key) ?? new Set<Entry>();
    map.set(key, set);
    set.add(entry);
  };
  const unindex = (map: Map<string, Set<Entry>>, key: string | undefined, entry: Entry) => {
    if (key === undefined) return;
    const set = map.get(key);
    set?.delete(entry);
    if (set?.size === 0) map.delete(key);
  };
  const end = (entries: Iterable<Entry> | undefined, reason: ProxyError): number => {
    let ended = 0;
    for (const entry of [...(entries ?? [])]) {
      if (entry.controller.signal.aborted) continue;
      entry.controller.abort(reason);
      ended += 1;
    }
    return ended;
  };

  return {
    /** A request arrived. */
    open(): OpenFlight {
      const controller = new AbortController();
      const entry: Entry = {
        controller,
        signal: controller.signal,
        get endedBy() {
          return controller.signal.aborted ? (controller.signal.reason as ProxyError) : undefined;
        },
        identify(grantId, tokenId) {
          if (!open.has(entry)) return;
          unindex(byGrant, entry.grantId, entry);
          unindex(byToken, entry.tokenId, entry);
          entry.grantId = grantId;
          entry.tokenId = tokenId;
          index(byGrant, grantId, entry);
          index(byToken, tokenId, entry);
        },
        close() {
          if (!open.delete(entry)) return;
          unindex(byGrant, entry.grantId, entry);
          unindex(byToken, entry.tokenId, entry);
          if (open.size === 0) {
            const waiters = idleWaiters;
            idleWaiters = [];
            for (const resolve of waiters) resolve();
          }
        },
      };
      open.add(entry);
      if (refusing) controller.abort(refusing);
      return entry;
    },
    /** Ends every request of this grant; returns how many were still running. */
    endGrant: (grantId: string, reason: ProxyError): number => end(byGrant.get(grantId), reason),
    /** Ends every request made with this token id. */
    endToken: (tokenId: string, reason: ProxyError): number => end(byToken.get(tokenId), reason),
    /** From now on every request that arrives is ended at once with `reason` (a drain began). */
    refuseNew(reason: ProxyError): void {
      refusing = reason;
    },
    /** Ends every request (the drain deadline). */
    endAll: (reason: ProxyError): number => end(open, reason),
    get size(): number {
      return open.size;
    },
    /** Resolves once no request is open (at once if none is). */
    idle(): Promise<void> {
      if (open.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

export type InFlight = ReturnType<typeof createInFlight>;
