import type { ClientStore } from '../../storage/client-store.ts';
import type { Clock } from '../../storage/clock.ts';

const TTL_MS = 60_000;

function webOrigins(metadata: Record<string, unknown>): string[] {
  const uris = (metadata.redirect_uris as string[] | undefined) ?? [];
  return uris.flatMap((uri) => {
    const url = URL.parse(uri);
    return url && (url.protocol === 'https:' || url.protocol === 'http:') ? [url.origin] : [];
  });
}

/**
 * Browser origins an app may call the proxy from: the origins of its registered
 * redirect URIs. Read from the clients table and remembered for a minute.
 */
export function createClientOrigins(clients: ClientStore, clock: Clock) {
  const perClient = new Map<string, { origins: ReadonlySet<string>; until: number }>();
  let all: { origins: ReadonlySet<string>; until: number } | undefined;
  return {
    async forClient(clientId: string): Promise<ReadonlySet<string>> {
      const hit = perClient.get(clientId);
      if (hit && hit.until > clock()) return hit.origins;
      const client = await clients.find(clientId);
      const origins = new Set(client ? webOrigins(client.metadata) : []);
      perClient.set(clientId, { origins, until: clock() + TTL_MS });
      return origins;
    },
    async all(): Promise<ReadonlySet<string>> {
      if (all && all.until > clock()) return all.origins;
      const origins = new Set((await clients.list()).flatMap((c) => webOrigins(c.metadata)));
      all = { origins, until: clock() + TTL_MS };
      return origins;
    },
  };
}
