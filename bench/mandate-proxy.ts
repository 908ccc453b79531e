/**
 * Mandate's proxy for the benchmark: the same wiring as `test/support/start-proxy.ts`
 * (real `buildProxy`, liveness feed, key store, the authorization server's JWKS), but its
 * request log goes through pino to /dev/null the way production logs to stdout, instead
 * of into an in-memory array that would grow by a line per request under load.
 */
import type { Server } from 'node:http';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { buildProxy } from '../src/proxy/build-proxy.ts';
import { toProxyLiveness } from '../src/proxy/liveness/proxy-liveness.ts';
import { startLiveness } from '../src/proxy/liveness/start-liveness.ts';
import {
  createProviderKeyDecrypter,
  encryptProviderKey,
  generateProviderKeyPair,
  publicJwksOf,
} from '../src/shared/provider-key-crypto.ts';
import { createDatabase, systemClock } from '../src/storage/index.ts';
import { createProviderKeyStore } from '../src/storage/provider-key-store.ts';
import type { RunningAs } from '../test/support/start-authorization-server.ts';

export interface BenchProxy {
  url: string;
  /** Stores the person's OpenAI key, encrypted to this proxy's key pair. */
  setOpenaiKey(accountId: string, key: string): Promise<void>;
  close(): Promise<void>;
}

export async function startMandateProxy(as: RunningAs, upstreamUrl: string): Promise<BenchProxy> {
  const proxyUrl = new URL(as.proxyUrl);
  const config = loadConfig({
    env: {},
    readFile: () => '',
    overrides: {
      database: { url: as.database.url },
      as: { issuer: as.issuer, cookieKeys: ['x'.repeat(43)] },
      proxy: {
        url: as.proxyUrl,
        port: Number(proxyUrl.port),
        upstreams: { openai: `${upstreamUrl}/openai`, anthropic: `${upstreamUrl}/anthropic` },
      },
      proxyClient: as.proxyClient,
    },
  });
  const db = createDatabase(config.database);
  const privateJwks = { keys: [await generateProviderKeyPair()] };
  const decrypter = await createProviderKeyDecrypter(privateJwks);
  const liveness = await startLiveness({
    db,
    databaseUrl: config.database.url,
    pollIntervalMs: config.proxy.revocationFeed.pollIntervalMs,
    maxSilenceMs: config.proxy.revocationFeed.maxSilenceMs,
    maxTokenTtlMs: (config.as.accessTokenTtl + config.proxy.tokenLeewaySeconds) * 1000,
    clock: systemClock,
  });
  const built = buildProxy(config, {
    db,
    clock: systemClock,
    logger: pino(pino.destination({ dest: '/dev/null' })),
    decrypter,
    liveness: toProxyLiveness(liveness),
  });
  const server: Server = built.app.listen(config.proxy.port, '127.0.0.1');
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const keys = createProviderKeyStore(db, systemClock);
  return {
    url: as.proxyUrl,
    async setOpenaiKey(accountId, key) {
      const encrypted = await encryptProviderKey(key, publicJwksOf(privateJwks), {
        accountId,
        provider: 'openai',
      });
      await keys.set(accountId, 'openai', { ...encrypted, last4: key.slice(-4) });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      built.forwarder.close();
      await liveness.stop();
      await db.destroy();
    },
  };
}
