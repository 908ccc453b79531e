import type { Writable } from 'node:stream';
import { registerClient } from '../as/register-client.ts';
import type { ClientStore } from '../storage/client-store.ts';
import { isoDate, printTable, UsageError } from './output.ts';

export interface ClientAddArgs {
  name?: string;
  redirectUris: string[];
  scopes: string[];
  confidential: boolean;
}

/** `mandate client add`: prints the client id and, once, the secret of a confidential client. */
export async function addClient(clients: ClientStore, out: Writable, args: ClientAddArgs): Promise<void> {
  if (!args.name) {
    throw new UsageError(
      'usage: mandate client add --name NAME --redirect-uri URI [--redirect-uri URI…] --scope SCOPE [--scope SCOPE…] [--confidential]',
    );
  }
  let created: Awaited<ReturnType<typeof registerClient>>;
  try {
    created = await registerClient(clients, {
      name: args.name,
      redirectUris: args.redirectUris,
      allowedScopes: args.scopes,
      confidential: args.confidential,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  out.write(`client_id:     ${created.clientId}\n`);
  if (created.clientSecret) {
    out.write(`client_secret: ${created.clientSecret}\n`);
    out.write('The secret is shown only now; Mandate stores only its hash.\n');
  } else {
    out.write('Public client: no secret; it must use PKCE (every client must).\n');
  }
}

export async function listClients(clients: ClientStore, out: Writable): Promise<void> {
  const rows = (await clients.list()).map((c) => [
    c.clientId,
    String(c.metadata.client_name ?? ''),
    c.confidential ? 'confidential' : 'public',
    ((c.metadata.redirect_uris as string[] | undefined) ?? []).join(' '),
    String(c.metadata.allowed_ai_scopes ?? ''),
    isoDate(c.createdAt),
  ]);
  printTable(out, ['CLIENT ID', 'NAME', 'TYPE', 'REDIRECT URIS', 'ALLOWED SCOPES', 'CREATED'], rows);
}
