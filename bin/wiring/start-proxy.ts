import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Config } from '../../src/config/index.ts';
import { buildProxy } from '../../src/proxy/build-proxy.ts';
import { stopGracefully } from '../../src/proxy/lifecycle/graceful-stop.ts';
import { toProxyLiveness } from '../../src/proxy/liveness/proxy-liveness.ts';
import { livenessSettings, startLiveness } from '../../src/proxy/liveness/start-liveness.ts';
import {
  createProviderKeyDecrypter,
  type ProviderKeyDecrypter,
  ProviderKeyError,
  parseProviderKeyJwks,
} from '../../src/shared/provider-key-crypto.ts';
import { type Database, systemClock } from '../../src/storage/index.ts';
import { processLogger } from './logger.ts';
import { readText } from './resolve-config.ts';

/** Without the private key file the proxy can only use operator keys. */
async function readDecrypter(config: Config): Promise<ProviderKeyDecrypter> {
  const file = config.proxy.keysFile;
  if (existsSync(file))
    return createProviderKeyDecrypter(parseProviderKeyJwks(readText(file), 'private', file));
  console.error(
    `proxy.keysFile (MANDATE_PROXY_KEYS_FILE): ${file} does not exist; only operator keys can be used`,
  );
  return {
    kids: [],
    decrypt: async () => {
      throw new ProviderKeyError('ERR_PROVIDER_KEY_UNKNOWN_KID', 'this proxy holds no key-encryption key');
    },
  };
}

/**
 * Starts the resource-server proxy and its revocation feed; returns how to stop them
 * gracefully (drain, settle, write usage; the caller then closes the database).
 */
export async function startProxy(
  config: Config,
  db: Database,
): Promise<{ server: Server; stop(): Promise<void> }> {
  const logger = processLogger('mandate-proxy');
  let failing = false;
  const liveness = await startLiveness({
    db,
    ...livenessSettings(config),
    clock: systemClock,
    onError: (err) => logger.error({ err }, 'revocation feed'),
    // Log changes of state, not every poll of an outage.
    onEvent: (event) => {
      if (event.type === 'read' && failing) {
        failing = false;
        logger.info('revocation feed reading again; caught up from the last sequence number');
      } else if (event.type === 'read-failed' && !failing) {
        failing = true;
        logger.warn('revocation feed cannot read the log; unknown tokens get 503 once it is silent too long');
      } else if (event.type === 'listen-failed' || event.type === 'listen-lost') {
        logger.warn(
          { event: event.type, retryInMs: event.retryInMs },
          'revocation notifications lost; polling meanwhile',
        );
      }
    },
  });
  const proxy = buildProxy(config, {
    db,
    clock: systemClock,
    logger,
    decrypter: await readDecrypter(config),
    liveness: toProxyLiveness(liveness),
  });
  const server = proxy.app.listen(config.proxy.port, config.proxy.host);
  await new Promise((ok) => server.once('listening', ok));
  console.log(`Mandate proxy on ${config.proxy.url}`);
  console.log(`  OpenAI SDK:    baseURL ${config.proxy.url}/openai/v1`);
  console.log(`  Anthropic SDK: baseURL ${config.proxy.url}/anthropic`);
  return {
    server,
    async stop() {
      // Requests in flight finish or are cut at proxy.drainTimeoutMs, each settled and
      // recorded; then what is still queued is written.
      await stopGracefully(server, proxy, config.proxy.drainTimeoutMs).catch((err) =>
        logger.error({ err, pending: proxy.usage.pending }, 'usage records lost'),
      );
      await liveness.stop();
    },
  };
}
