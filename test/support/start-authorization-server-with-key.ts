import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { buildAuthorizationServer } from '../../src/as/build-authorization-server.ts';
import { generateSigningKey } from '../../src/as/keys/signing-keys.ts';
import { registerClient } from '../../src/as/register-client.ts';
import { loadConfig } from '../../src/config/index.ts';
import { hashPassword } from '../../src/shared/password.ts';
import { generateProviderKeyPair, publicJwksOf } from '../../src/shared/provider-key-crypto.ts';
import { type Clock, systemClock } from '../../src/storage/index.ts';
import { createTestDatabase, type Engine } from './databases.ts';
import { freePort } from './free-port.ts';
import type { RunningAs } from './start-authorization-server.ts';

export interface RunningAsWithKey extends RunningAs {
  /** The private ES256 JWK the server signs access tokens with: tests may mint with it. */
  signingKey: JWK;
}

/**
 * The same real authorization server as `startAuthorizationServer`, but signing with a
 * key the test holds, so tests can mint tokens with correct signatures and wrong claims
 * (aud, iss, typ, exp). A copy rather than an option on the shared harness. No operator
 * keys: every request must go out with the person's own stored key.
 */
export async function startAuthorizationServerWithKey(
  engine: Engine,
  options: { overrides?: Record<string, unknown>; clock?: Clock; signingKey?: JWK } = {},
): Promise<RunningAsWithKey> {
  const { overrides = {}, clock = systemClock } = options;
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
        issuer: `http://127.0.0.1:${port}`,
        port,
        cookieKeys: [randomBytes(32).toString('base64url')],
        ...((overrides.as as object) ?? {}),
      },
      proxy: { url: `http://127.0.0.1:${proxyPort}`, port: proxyPort },
      proxyClient,
    },
  });
  const signingKey = options.signingKey ?? (await generateSigningKey());
  const providerKeyPrivateJwks = { keys: [await generateProviderKeyPair()] };
  const providerKeyPublicJwks = publicJwksOf(providerKeyPrivateJwks);
  const built = buildAuthorizationServer(config, {
    db: database.db,
    signingKeys: [signingKey],
    clock,
    providerKeyPublicJwks,
    operatorKeyProviders: [],
  });
  const server = built.app.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port: actual } = server.address() as AddressInfo;
  if (actual !== port) throw new Error('port mismatch');

  return {
    ...built,
    signingKey,
    issuer: config.as.issuer,
    proxyUrl: config.proxy.url,
    proxyClient,
    database,
    server,
    providerKeyPrivateJwks,
    providerKeyPublicJwks,
    operatorKeyProviders: [],
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
