/*
 * The one module that reaches into oidc-provider beyond its documented configuration:
 * - client secrets are stored hashed, so the secret comparison is replaced;
 * - the request in flight (oidc-provider's async-local context) tells the storage
 *   adapter why a grant is being destroyed.
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
