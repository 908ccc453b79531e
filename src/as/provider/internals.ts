/*
 * The one module that reaches into oidc-provider beyond its documented configuration:
 * - client secrets are stored hashed, so the secret comparison is replaced;
 * - the request in flight (oidc-provider's async-local context) tells the storage
 *   adapter why a grant is being destroyed;
 * - `Client.find` answers "not found" for an app the operator disabled, so it is an
 *   unknown client (invalid_client) at every endpoint that looks a client up:
 *   authorization, token, refresh, device, revocation, introspection, registration;
 * - token exchange (RFC 8693) is allowed to every client that can hold a person's access
 *   token (authorization code or device grant), whatever grant types it registered.
 */
import Provider from 'oidc-provider';
import { verifyClientSecret } from '../../shared/client-secret.ts';
import type { RevocationReason } from '../../storage/revocation-store.ts';

export function useHashedClientSecrets(provider: Provider): void {
  const proto = provider.Client.prototype as unknown as {
    clientSecret?: string;
    compareClientSecret(actual: string): boolean;
  };
  proto.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    return verifyClientSecret(this.clientSecret, actual);
  };
}

export function grantRevocationReasonFromRequest(): RevocationReason {
  const ctx = Provider.ctx as { oidc?: { route?: string; params?: { grant_type?: string } } } | undefined;
  const route = ctx?.oidc?.route;
  if (route === 'revocation') return 'refresh_token_revoked';
  if (route === 'token') {
    return ctx?.oidc?.params?.grant_type === 'refresh_token' ? 'refresh_token_reuse' : 'code_reuse';
  }
  return 'other';
}

/** Makes every client `isDisabled` says yes to unknown to oidc-provider (checked on each lookup, so every AS process agrees). */
export function refuseDisabledClients(
  provider: Provider,
  isDisabled: (clientId: string) => Promise<boolean>,
): void {
  const Client = provider.Client as unknown as { find(id: unknown): Promise<unknown> };
  const find = Client.find.bind(Client);
  Client.find = async (id: unknown) => {
    if (typeof id === 'string' && id.length > 0 && (await isDisabled(id))) return undefined;
    return find(id);
  };
}

/** Lets every client that can get a person's access token exchange it (token-exchange/). */
export function allowTokenExchange(provider: Provider, grantType: string): void {
  const proto = provider.Client.prototype as unknown as {
    grantTypes?: string[];
    grantTypeAllowed(type: string): boolean;
  };
  const allowed = proto.grantTypeAllowed;
  proto.grantTypeAllowed = function grantTypeAllowed(this: { grantTypes?: string[] }, type: string) {
    if (type === grantType)
      return (
        this.grantTypes?.some(
          (t) => t === 'authorization_code' || t === 'urn:ietf:params:oauth:grant-type:device_code',
        ) ?? false
      );
    return allowed.call(this, type);
  };
}
