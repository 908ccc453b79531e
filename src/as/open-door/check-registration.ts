import { isOidcScope, parseScope, scopeCovers, splitScopeParam } from '../../scopes/index.ts';
import { redirectUriProblem } from './redirect-uri-rules.ts';

export type RegistrationCheck =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; error: 'invalid_client_metadata' | 'invalid_redirect_uri'; description: string };

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
const GRANT_TYPES = new Set(['authorization_code', 'refresh_token', DEVICE_CODE]);
const AUTH_METHODS = new Set(['none', 'client_secret_basic', 'client_secret_post']);
/** Metadata that would make the AS fetch a URL the app chose: not accepted. */
const FETCHED = ['jwks_uri', 'sector_identifier_uri', 'request_uris'];
const MAX_NAME = 120;

/**
 * What an app may say about itself when it registers (RFC 7591) or updates its
 * registration (RFC 7592), checked before oidc-provider sees it:
 * - code flow: `grant_types` within authorization_code, refresh_token and the device
 *   code grant (RFC 8628, for CLIs and agents), with authorization_code among them,
 *   `response_types` only `code` (PKCE is required of every client anyway);
 * - a public client (`none`) or a client secret, nothing else;
 * - redirect URIs by the shared rules (redirect-uri-rules.ts), at least one;
 * - AI scopes in `scope`, each within the operator's open-door scopes: they become the
 *   client's `allowed_ai_scopes` (which the app may not set itself); OIDC scopes stay;
 * - nothing the AS would fetch (`jwks_uri`, `sector_identifier_uri`, `request_uris`).
 */
export function checkRegistration(input: unknown, openDoorScopes: readonly string[]): RegistrationCheck {
  const bad = (description: string): RegistrationCheck => ({
    ok: false,
    error: 'invalid_client_metadata',
    description,
  });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return bad('the registration must be a JSON object');
  }
  const body: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  if ('allowed_ai_scopes' in body) return bad('allowed_ai_scopes is set by the operator; ask with scope');
  for (const field of FETCHED) {
    if (field in body) return bad(`${field} is not supported: Mandate fetches nothing an app registers`);
  }
  const grantTypes = body.grant_types;
  if (grantTypes !== undefined) {
    if (
      !Array.isArray(grantTypes) ||
      !grantTypes.every((g) => GRANT_TYPES.has(g)) ||
      !grantTypes.includes('authorization_code')
    )
      return bad(`grant_types must be authorization_code, optionally with refresh_token and ${DEVICE_CODE}`);
  }
  const responseTypes = body.response_types;
  if (
    responseTypes !== undefined &&
    (!Array.isArray(responseTypes) || !responseTypes.every((r) => r === 'code'))
  ) {
    return bad('response_types must be code');
  }
  const method = body.token_endpoint_auth_method;
  if (method !== undefined && !AUTH_METHODS.has(method as string)) {
    return bad('token_endpoint_auth_method must be none, client_secret_basic or client_secret_post');
  }
  if (
    body.client_name !== undefined &&
    (typeof body.client_name !== 'string' || body.client_name.length > MAX_NAME)
  ) {
    return bad(`client_name must be a string of at most ${MAX_NAME} characters`);
  }
  const uris = body.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0 || !uris.every((u) => typeof u === 'string')) {
    return {
      ok: false,
      error: 'invalid_redirect_uri',
      description: 'redirect_uris must list at least one URI',
    };
  }
  for (const uri of uris as string[]) {
    const problem = redirectUriProblem(uri);
    if (problem)
      return { ok: false, error: 'invalid_redirect_uri', description: `redirect URI ${uri} ${problem}` };
  }
  if (body.scope !== undefined) {
    if (typeof body.scope !== 'string') return bad('scope must be a space-separated string');
    const scopes = splitScopeParam(body.scope);
    const ai = scopes.filter((s) => !isOidcScope(s));
    for (const scope of ai) {
      const parsed = parseScope(scope);
      if (!parsed.ok) return bad(`invalid scope ${scope}: ${parsed.reason}`);
      if (!openDoorScopes.some((pattern) => scopeCovers(pattern, parsed.scope))) {
        return bad(`scope ${scope} is not open to apps this server's operator did not register`);
      }
    }
    const oidc = scopes.filter(isOidcScope);
    if (oidc.length > 0) body.scope = oidc.join(' ');
    else delete body.scope;
    if (ai.length > 0) body.allowed_ai_scopes = ai.join(' ');
  }
  return { ok: true, body };
}
