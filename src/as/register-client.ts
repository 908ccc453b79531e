import { randomBytes } from 'node:crypto';
import { parseScope, splitScopeParam } from '../scopes/index.ts';
import { generateClientSecret, hashClientSecret } from '../shared/client-secret.ts';
import type { ClientStore } from '../storage/client-store.ts';
import { redirectUriProblem } from './open-door/redirect-uri-rules.ts';

export interface NewClient {
  name: string;
  redirectUris: string[];
  allowedScopes: string[];
  confidential: boolean;
  /** Also the device authorization grant (RFC 8628), for CLIs and agents without a browser. */
  deviceFlow?: boolean;
}

/** Registers an app. The secret of a confidential client is returned once, stored hashed. */
export async function registerClient(
  clients: ClientStore,
  input: NewClient,
): Promise<{ clientId: string; clientSecret?: string }> {
  if (!input.name.trim()) throw new Error('a client needs a name');
  if (input.redirectUris.length === 0) throw new Error('a client needs at least one redirect URI');
  // The same rules as for apps that register themselves (open-door/redirect-uri-rules.ts).
  for (const uri of input.redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new Error(`invalid redirect URI ${uri}: it ${problem}`);
  }
  const scopes = input.allowedScopes.flatMap((s) => splitScopeParam(s));
  if (scopes.length === 0) throw new Error('a client needs at least one allowed scope');
  for (const scope of scopes) {
    const parsed = parseScope(scope);
    if (!parsed.ok) throw new Error(`invalid scope ${scope}: ${parsed.reason}`);
  }
  const clientId = `app_${randomBytes(12).toString('base64url')}`;
  const secret = input.confidential ? generateClientSecret() : undefined;
  const metadata = {
    client_id: clientId,
    client_name: input.name,
    redirect_uris: input.redirectUris,
    grant_types: [
      'authorization_code',
      'refresh_token',
      ...(input.deviceFlow ? ['urn:ietf:params:oauth:grant-type:device_code'] : []),
    ],
    response_types: ['code'],
    response_modes: ['query'],
    token_endpoint_auth_method: input.confidential ? 'client_secret_basic' : 'none',
    allowed_ai_scopes: scopes.join(' '),
  };
  await clients.create(clientId, metadata, secret ? hashClientSecret(secret) : null);
  return secret ? { clientId, clientSecret: secret } : { clientId };
}
