import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';

/*
 * Everything oidc-provider does, one line per event, all subscribed here. A line carries
 * ids (client, grant, account), kinds and OAuth error codes, never a token, a code, a
 * client secret or anything else a request carried: tokens' `jti` are left out too, since
 * for opaque tokens (refresh tokens, codes) the id is the credential.
 */

interface TokenLike {
  kind?: string;
  clientId?: string;
  grantId?: string;
  accountId?: string;
  scope?: string;
  exp?: number;
}

interface OAuthErrorLike extends Error {
  error?: string;
  error_description?: string;
  statusCode?: number;
}

function tokenFields(token: TokenLike) {
  return {
    clientId: token.clientId,
    grantId: token.grantId,
    accountId: token.accountId,
    ...(token.scope ? { scope: token.scope } : {}),
    ...(token.exp ? { expiresAt: new Date(token.exp * 1000).toISOString() } : {}),
  };
}

function oauthError(err: OAuthErrorLike) {
  return { error: err.error ?? err.name, error_description: err.error_description, status: err.statusCode };
}

const clientOf = (ctx: KoaContextWithOIDC) => ctx.oidc?.client?.clientId;

/** Endpoints whose JWT cases `jwt-token-endpoints.ts` answers after oidc-provider refused them. */
const ANSWERED_AFTER = new Set(['revocation.error', 'introspection.error']);

const TOKEN_EVENTS: ReadonlyArray<readonly [string, string]> = [
  ['access_token.issued', 'access token issued'],
  ['access_token.saved', 'access token issued'],
  ['authorization_code.saved', 'authorization code issued'],
  ['authorization_code.consumed', 'authorization code redeemed'],
  ['refresh_token.saved', 'refresh token issued'],
  ['refresh_token.consumed', 'refresh token rotated'],
  ['refresh_token.destroyed', 'refresh token destroyed'],
];

const ERROR_EVENTS = [
  'authorization.error',
  'grant.error',
  'revocation.error',
  'introspection.error',
  'jwks.error',
  'discovery.error',
  'registration_create.error',
  'pushed_authorization_request.error',
];

/**
 * Subscribes the logger to oidc-provider's events and logs one line per introspection and
 * revocation call (oidc-provider emits no success event for them). Call before any other
 * `provider.use`, so the outcome logged is the one finally answered.
 */
export function logProviderEvents(provider: Provider, logger: Logger): void {
  const log = logger.child({ component: 'oidc' });
  // The event names are oidc-provider's (its docs/events.md); its types list only some.
  const on = provider.on.bind(provider) as (event: string, listener: (...args: never[]) => void) => void;

  on('authorization.success', (ctx: KoaContextWithOIDC) =>
    log.info(
      { event: 'authorization.success', clientId: clientOf(ctx) },
      'authorization code sent to the app',
    ),
  );
  on('interaction.started', (ctx: KoaContextWithOIDC, prompt: { name?: string }) =>
    log.info(
      { event: 'interaction.started', clientId: clientOf(ctx), prompt: prompt?.name },
      'interaction started',
    ),
  );
  on('grant.success', (ctx: KoaContextWithOIDC) =>
    log.info(
      {
        event: 'grant.success',
        clientId: clientOf(ctx),
        grantType: ctx.oidc?.params?.grant_type,
        // A token exchange has no oidc-provider Grant: its token names the child grant.
        grantId:
          (ctx.oidc?.entities as { Grant?: { jti?: string } } | undefined)?.Grant?.jti ??
          (ctx.oidc?.entities as { AccessToken?: { grantId?: string } } | undefined)?.AccessToken?.grantId,
      },
      'tokens issued at the token endpoint',
    ),
  );
  on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) =>
    log.info(
      { event: 'grant.revoked', grantId, clientId: clientOf(ctx), route: ctx.oidc?.route },
      'grant revoked',
    ),
  );
  for (const [name, message] of TOKEN_EVENTS) {
    on(name, (token: TokenLike) => log.info({ event: name, ...tokenFields(token) }, message));
  }
  for (const name of ERROR_EVENTS) {
    on(name, (ctx: KoaContextWithOIDC, err: OAuthErrorLike) => {
      if (ANSWERED_AFTER.has(name) && err.error === 'unsupported_token_type') return;
      log.warn({ event: name, clientId: clientOf(ctx), ...oauthError(err) }, 'request refused');
    });
  }
  on('server_error', (ctx: KoaContextWithOIDC, err: Error) =>
    log.error(
      { event: 'server_error', route: ctx.oidc?.route, clientId: clientOf(ctx), err },
      'server error',
    ),
  );

  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if ((route !== 'introspection' && route !== 'revocation') || ctx.status !== 200) return;
    const entities = (ctx.oidc.entities ?? {}) as Record<string, TokenLike | undefined>;
    const token = entities.AccessToken ?? entities.RefreshToken ?? entities.ClientCredentials;
    const jwt = ctx.state.jwtAccessToken as { grantId?: string; clientId?: string } | undefined;
    const common = {
      event: route,
      clientId: clientOf(ctx as KoaContextWithOIDC),
      tokenKind: token?.kind ?? (jwt ? 'AccessToken' : undefined),
      grantId: token?.grantId ?? jwt?.grantId,
    };
    if (route === 'introspection') {
      log.info(
        { ...common, active: (ctx.body as { active?: boolean } | undefined)?.active === true },
        'token introspected',
      );
    } else {
      log.info(common, 'token revocation answered');
    }
  });
}
