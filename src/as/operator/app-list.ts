import type { Stores } from '../../storage/index.ts';
import { clientDomain, clientKind } from '../open-door/client-kind.ts';

export interface OperatorApp {
  clientId: string;
  name: string;
  kind: ReturnType<typeof clientKind>;
  /** When it was stored; a metadata-document app is stored nowhere. */
  createdAt: number | undefined;
  disabledAt: number | undefined;
}

/**
 * Every app the operator can act on: those in `clients` (the CLI's and the
 * self-registered), those known by a metadata document that hold a live grant, and any
 * disabled one. Named from what is stored (a metadata-document app by its domain), never
 * through oidc-provider, which does not find a disabled app.
 */
export async function listOperatorApps(stores: Stores): Promise<OperatorApp[]> {
  const disabled = new Map((await stores.disabledClients.list()).map((d) => [d.clientId, d.disabledAt]));
  const apps: OperatorApp[] = [];
  const seen = new Set<string>();
  const add = (clientId: string, name: string | undefined, createdAt: number | undefined) => {
    if (seen.has(clientId)) return;
    seen.add(clientId);
    apps.push({
      clientId,
      name: clientDomain(clientId) ?? name ?? clientId,
      kind: clientKind(clientId),
      createdAt,
      disabledAt: disabled.get(clientId),
    });
  };
  for (const c of await stores.clients.list())
    add(c.clientId, c.metadata.client_name as string | undefined, c.createdAt);
  for (const id of await stores.clients.documentClientIds()) add(id, undefined, undefined);
  for (const id of disabled.keys()) add(id, undefined, undefined);
  return apps;
}

export const KIND_TEXT: Readonly<Record<OperatorApp['kind'], string>> = {
  operator: 'Registered by the operator',
  registered: 'Registered itself (RFC 7591)',
  metadata_document: 'Metadata document (its client_id is its URL)',
};

/** Live grants per app, in one grouped query. */
export async function liveGrantsByClient(stores: Stores): Promise<Map<string, number>> {
  const rows: Array<Record<string, unknown>> = await stores
    .db('grants')
    .select('client_id', stores.db.raw('count(*) as live'))
    .whereNull('revoked_at')
    .where('expires_at', '>', stores.clock())
    .groupBy('client_id');
  return new Map(rows.map((r) => [String(r.client_id), Number(r.live)]));
}
