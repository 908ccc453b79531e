import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthorizationServer,
  buildAuthorizationServer,
} from '../../src/as/build-authorization-server.ts';
import { generateSigningKey } from '../../src/as/keys/signing-keys.ts';
import { type NewClient, registerClient } from '../../src/as/register-client.ts';
import { loadConfig } from '../../src/config/index.ts';
import { hashPassword } from '../../src/shared/password.ts';
import { type Clock, systemClock } from '../../src/storage/index.ts';
import { createTestDatabase, type Engine, type TestDatabase } from './databases.ts';
import { freePort } from './free-port.ts';

export interface RunningAs extends AuthorizationServer {
  issuer: string;
  proxyUrl: string;
  proxyClient: { id: string; secret: string };
  database: TestDatabase;
  server: Server;
  addUser(username: string, password: string): Promise<string>;
  addClient(
    input: Partial<NewClient>,
  ): Promise<{ clientId: string; clientSecret?: string; redirectUri: string }>;
  close(): Promise<void>;
}

/** A real authorization server on a random port over a fresh database of the engine. */
export async function startAuthorizationServer(
  engine: Engine,
  overrides: Record<string, unknown> = {},
  clock: Clock = systemClock,
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
        issuer: `http://127.0.0.1:${port}`,
        port,
        cookieKeys: [randomBytes(32).toString('base64url')],
        ...((overrides.as as object) ?? {}),
      },
      proxy: { url: `http://127.0.0.1:${proxyPort}`, port: proxyPort },
      proxyClient,
    },
  });
  const signingKeys = [await generateSigningKey()];
  const built = buildAuthorizationServer(config, { db: database.db, signingKeys, clock });
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
