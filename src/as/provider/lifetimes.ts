import type { KoaContextWithOIDC } from 'oidc-provider';

export interface LifetimeDeps {
  accessTokenTtl: number;
  sessionTtl: number;
  interactionTtl: number;
  defaultGrantTtl: number;
  deviceCodeTtl: number;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Seconds left on the grant of the request in flight, if there is one. */
function grantRemaining(ctx: KoaContextWithOIDC | undefined): number | undefined {
  const grant = ctx?.oidc?.entities?.Grant as { exp?: number } | undefined;
  return grant?.exp ? Math.max(1, grant.exp - nowSeconds()) : undefined;
}

/**
 * Token lifetimes derive from the grant the person chose: an access token never
 * outlives it, and a refresh token lives exactly as long as it.
 */
export function createLifetimes({
  accessTokenTtl,
  sessionTtl,
  interactionTtl,
  defaultGrantTtl,
  deviceCodeTtl,
}: LifetimeDeps) {
  return {
    AccessToken: (ctx: KoaContextWithOIDC) => Math.min(accessTokenTtl, grantRemaining(ctx) ?? accessTokenTtl),
    RefreshToken: (ctx: KoaContextWithOIDC) => grantRemaining(ctx) ?? defaultGrantTtl,
    IdToken: (ctx: KoaContextWithOIDC) => Math.min(accessTokenTtl, grantRemaining(ctx) ?? accessTokenTtl),
    AuthorizationCode: 60,
    Grant: defaultGrantTtl,
    Session: sessionTtl,
    Interaction: interactionTtl,
    DeviceCode: deviceCodeTtl,
  };
}
