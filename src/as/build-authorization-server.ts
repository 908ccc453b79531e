import type { JWK } from 'jose';
import type Koa from 'koa';
import type { Adapter, default as Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import { type Config, providerRegistryOf } from '../config/index.ts';
import { type Provider as AiProvider, useProviderRegistry } from '../scopes/index.ts';
import { checkProviderKeyJwks, type ProviderKeyJwks } from '../shared/provider-key-crypto.ts';
import { type Clock, createStores, type Database, type Stores } from '../storage/index.ts';
import { createAsApp } from './create-as-app.ts';
import { limitMaximumsFrom } from './interactions/operator-maximums.ts';
import { createProvider } from './provider/create-provider.ts';

export interface AuthorizationServer {
  app: Koa;
  provider: Provider;
  stores: Stores;
}

export interface AuthorizationServerDeps {
  db: Database;
  signingKeys: readonly JWK[];
  clock: Clock;
  /**
   * The proxy's PUBLIC key-encryption JWKS, which people's provider keys are encrypted
   * to. The AS never gets the private half. Without it, keys can be deleted, not added.
   */
  providerKeyPublicJwks?: ProviderKeyJwks | undefined;
  /**
   * Providers the operator configured a key for (`proxy.operatorKeys`): the names only.
   * This code never reads `config.proxy.operatorKeys`.
   */
  operatorKeyProviders?: readonly AiProvider[];
  /** Where the AS logs what happens (`createLogger` in src/shared/log). */
  logger: Logger;
  /** PEM of extra CAs trusted for Client ID Metadata Documents (`as.openDoor.metadataDocuments.trustedCaFile`, read by bin/). */
  metadataDocumentCa?: string | undefined;
  /**
   * Bench only (bench/as-flows.ts): oidc-provider's storage for every model but `Client`
   * instead of the database, e.g. its in-memory adapter, to measure what the database
   * costs. Clients, accounts and Mandate's grants stay in the database. `bin/` never sets it.
   */
  adapter?: ((model: string) => Adapter) | undefined;
}

/** Builds the authorization server from checked configuration, a database and keys. */
export function buildAuthorizationServer(
  config: Config,
  {
    db,
    signingKeys,
    clock,
    providerKeyPublicJwks,
    operatorKeyProviders = [],
    logger,
    metadataDocumentCa,
    adapter,
  }: AuthorizationServerDeps,
): AuthorizationServer {
  const { as } = config;
  // Scopes, consent wording, the keys page and the limits know the configured providers too.
  useProviderRegistry(providerRegistryOf(config));
  // Refuses a key set holding a private key: the AS must be able to encrypt, never decrypt.
  const publicJwks =
    providerKeyPublicJwks &&
    checkProviderKeyJwks(providerKeyPublicJwks, 'public', 'as.providerKeyPublicKeysFile');
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
      deviceCodeTtl: as.deviceCodeTtl,
      tokenExchange: as.tokenExchange,
      userCodeMaxFailures: as.loginThrottle.maxFailures,
      defaultGrantTtl: as.grantTtl.default,
      openDoorScopes: as.openDoor.scopes,
      registration: { policy: as.openDoor.registration, initialAccessToken: as.openDoor.initialAccessToken },
      metadataDocuments: as.openDoor.metadataDocuments,
      metadataDocumentCa,
      adapter,
    },
    stores,
    logger,
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
      providerKeyPublicJwks: publicJwks,
      operatorKeyProviders,
      limitMaximums: limitMaximumsFrom(as.limitMaximums),
      openDoorScopes: as.openDoor.scopes,
      openDoor: as.openDoor,
      clock,
    },
    provider,
    stores,
    logger,
  );
  return { app, provider, stores };
}
