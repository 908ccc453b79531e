import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import type { Adapter } from 'oidc-provider';
import type { DestinationStream } from 'pino';
import {
  type AuthorizationServer,
  buildAuthorizationServer,
} from '../../src/as/build-authorization-server.ts';
import { generateSigningKey } from '../../src/as/keys/signing-keys.ts';
import { type NewClient, registerClient } from '../../src/as/register-client.ts';
import { loadConfig, providerRegistryOf } from '../../src/config/index.ts';
import { createLogger } from '../../src/shared/log/index.ts';
import { hashPassword } from '../../src/shared/password.ts';
import {
  generateProviderKeyPair,
  type ProviderKeyJwks,
  publicJwksOf,
} from '../../src/shared/provider-key-crypto.ts';
import { type Clock, systemClock } from '../../src/storage/index.ts';
import { createTestDatabase, type Engine, type TestDatabase } from './databases.ts';
import { freePort } from './free-port.ts';
import { captureLogs, type LogCapture } from './log-capture.ts';

export interface RunningAs extends AuthorizationServer {
  issuer: string;
  proxyUrl: string;
  proxyClient: { id: string; secret: string };
  database: TestDatabase;
  server: Server;
  /** The proxy's private key-encryption JWKS (the AS got only its public half); undefined with `providerKeys: 'none'`. */
  providerKeyPrivateJwks: ProviderKeyJwks | undefined;
  providerKeyPublicJwks: ProviderKeyJwks | undefined;
  /** Providers with an operator key in this server's configuration. */
  operatorKeyProviders: readonly string[];
  /** The private ES256 JWK the server signs with: tests may mint tokens with it. */
  signingKey: JWK;
  /** Every line the server logged (through the one redacting logger). */
  logs: LogCapture;
  addUser(username: string, password: string): Promise<string>;
  addClient(
    input: Partial<NewClient>,
  ): Promise<{ clientId: string; clientSecret?: string; redirectUri: string }>;
  close(): Promise<void>;
}

/**
 * Operator keys the harness configures unless `overrides.proxy.operatorKeys` says
 * otherwise, so flows that do not test provider keys pass the consent check.
 */
export const TEST_OPERATOR_KEYS = Object.freeze({
  openai: 'sk-operator-test-openai-0000',
  anthropic: 'sk-ant-operator-test-0000',
  google: 'AIzaOperatorTestGoogle000000000000000',
});

export interface StartOptions {
  /** `generate` (default): a fresh proxy key pair, public half to the AS; `none`: no keys can be stored. */
  providerKeys?: 'generate' | 'none';
  /** Sign with this key instead of a fresh one. */
  signingKey?: JWK;
  /**
   * An https issuer behind a trusted TLS-terminating proxy: requests must say
   * `X-Forwarded-Proto: https` (the server itself still listens on plain http).
   */
  https?: boolean;
  /** Extra CAs (PEM) the AS trusts when it fetches Client ID Metadata Documents. */
  metadataDocumentCa?: string;
  /** oidc-provider's storage for every model but `Client` instead of the database (the AS bench's in-memory run). */
  adapter?: (model: string) => Adapter;
  /** Where the server logs instead of the in-memory capture (`logs` then stays empty): a long bench run. */
  logDestination?: DestinationStream;
}

/**
 * A real authorization server on a random port over a fresh database of the engine.
 * `overrides.as` and `overrides.proxy` are merged into the configuration, `providers`
 * and `prices` given as they are; give `proxy: { operatorKeys: {} }` to run without
 * operator keys.
 */
export async function startAuthorizationServer(
  engine: Engine,
  overrides: Record<string, unknown> = {},
  clock: Clock = systemClock,
  options: StartOptions = {},
): Promise<RunningAs> {
  const database = await createTestDatabase(engine);
  const port = await freePort();
  const proxyPort = await freePort();
  const proxyClient = { id: 'mandate-proxy', secret: randomBytes(32).toString('base64url') };
  const config = loadConfig({
    env: {},
    readFile: () => '',
    overrides: {
      database: { url: database.url },
      as: {
        issuer: `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`,
        port,
        ...(options.https ? { trustProxy: true } : {}),
        cookieKeys: [randomBytes(32).toString('base64url')],
        ...((overrides.as as object) ?? {}),
      },
      proxy: {
        url: `http://127.0.0.1:${proxyPort}`,
        port: proxyPort,
        ...((overrides.proxy as object) ?? {}),
        operatorKeys:
          (overrides.proxy as { operatorKeys?: Record<string, string> } | undefined)?.operatorKeys ??
          TEST_OPERATOR_KEYS,
      },
      proxyClient,
      ...(overrides.providers ? { providers: overrides.providers } : {}),
      ...(overrides.prices ? { prices: overrides.prices } : {}),
    },
  });
  const signingKey = options.signingKey ?? (await generateSigningKey());
  const signingKeys = [signingKey];
  const providerKeyPrivateJwks =
    options.providerKeys === 'none' ? undefined : { keys: [await generateProviderKeyPair()] };
  const providerKeyPublicJwks = providerKeyPrivateJwks && publicJwksOf(providerKeyPrivateJwks);
  // The providers of this configuration (the registry in use may be another server's).
  const operatorKeyProviders = providerRegistryOf(config).ids.filter(
    (p) => (config.proxy.operatorKeys as Record<string, string | undefined>)[p] !== undefined,
  );
  const logs = captureLogs();
  const logger = createLogger({
    service: 'mandate-as',
    destination: options.logDestination ?? logs.destination,
  });
  const built = buildAuthorizationServer(
    { ...config, proxy: { ...config.proxy, operatorKeys: {} } },
    {
      db: database.db,
      signingKeys,
      clock,
      providerKeyPublicJwks,
      operatorKeyProviders,
      logger,
      metadataDocumentCa: options.metadataDocumentCa,
      adapter: options.adapter,
    },
  );
  const server = built.app.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port: actual } = server.address() as AddressInfo;
  if (actual !== port) throw new Error('port mismatch');

  return {
    ...built,
    issuer: config.as.issuer,
    proxyUrl: config.proxy.url,
    proxyClient,
    database,
    server,
    providerKeyPrivateJwks,
    providerKeyPublicJwks,
    operatorKeyProviders,
    signingKey,
    logs,
    async addUser(username, password) {
      const account = await built.stores.accounts.create(username, await hashPassword(password));
      return account.id;
    },
    async addClient(input) {
      const redirectUri = input.redirectUris?.[0] ?? 'http://127.0.0.1:9/callback';
      const created = await registerClient(built.stores.clients, {
        name: input.name ?? 'Test App',
        redirectUris: input.redirectUris ?? [redirectUri],
        allowedScopes: input.allowedScopes ?? [
          'openai:*:chat',
          'anthropic:*:chat',
          'openai:text-embedding-3-small:embeddings',
        ],
        confidential: input.confidential ?? false,
        ...(input.deviceFlow ? { deviceFlow: true } : {}),
      });
      return { ...created, redirectUri };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await database.drop();
    },
  };
}
