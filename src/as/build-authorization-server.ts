import type { JWK } from 'jose';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from '../config/index.ts';
import { type Clock, createStores, type Database, type Stores } from '../storage/index.ts';
import { createAsApp } from './create-as-app.ts';
import { createProvider } from './provider/create-provider.ts';

export interface AuthorizationServer {
  app: Koa;
  provider: Provider;
  stores: Stores;
}

/** Builds the authorization server from checked configuration, a database and keys. */
export function buildAuthorizationServer(
  config: Config,
  { db, signingKeys, clock }: { db: Database; signingKeys: readonly JWK[]; clock: Clock },
): AuthorizationServer {
  const { as } = config;
  const stores = createStores(db, clock, { loginWindowMs: as.loginThrottle.windowSeconds * 1000 });
  const provider = createProvider(
    {
      issuer: as.issuer,
      proxyUrl: config.proxy.url,
      proxyClient: config.proxyClient,
      cookieKeys: as.cookieKeys,
      signingKeys,
      trustProxy: as.trustProxy,
      accessTokenTtl: as.accessTokenTtl,
      sessionTtl: as.sessionTtl,
      interactionTtl: as.interactionTtl,
      defaultGrantTtl: as.grantTtl.default,
    },
    stores,
  );
  const app = createAsApp(
    {
      issuer: as.issuer,
      proxyUrl: config.proxy.url,
      cookieKeys: as.cookieKeys,
      trustProxy: as.trustProxy,
      sessionTtl: as.sessionTtl,
      grantTtl: as.grantTtl,
      loginThrottle: as.loginThrottle,
    },
    provider,
    stores,
  );
  return { app, provider, stores };
}
