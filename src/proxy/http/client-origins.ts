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

/** An app known by its metadata document is a web app on its client_id's origin. */
function documentOrigin(clientId: string): string[] {
  const url = clientId.startsWith('https://') ? URL.parse(clientId) : null;
  return url ? [url.origin] : [];
}

/**
 * Browser origins an app may call the proxy from: the origins of its registered
 * redirect URIs; for an app known by its Client ID Metadata Document (stored nowhere),
 * the origin of its client_id URL. Read from the database and remembered for a minute.
 */
export function createClientOrigins(clients: ClientStore, clock: Clock) {
  const perClient = new Map<string, { origins: ReadonlySet<string>; until: number }>();
  let all: { origins: ReadonlySet<string>; until: number } | undefined;
  return {
    async forClient(clientId: string): Promise<ReadonlySet<string>> {
      const hit = perClient.get(clientId);
      if (hit && hit.until > clock()) return hit.origins;
      const client = await clients.find(clientId);
      const origins = new Set(client ? webOrigins(client.metadata) : documentOrigin(clientId));
      perClient.set(clientId, { origins, until: clock() + TTL_MS });
      return origins;
    },
    async all(): Promise<ReadonlySet<string>> {
      if (all && all.until > clock()) return all.origins;
      const origins = new Set([
        ...(await clients.list()).flatMap((c) => webOrigins(c.metadata)),
        ...(await clients.documentClientIds()).flatMap(documentOrigin),
      ]);
      all = { origins, until: clock() + TTL_MS };
      return origins;
    },
  };
}
