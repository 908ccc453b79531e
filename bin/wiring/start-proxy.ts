import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { type Config, compatibleProvidersOf } from '../../src/config/index.ts';
import { listenUrlWarning } from '../../src/config/listen-url-warning.ts';
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
import { listen, listeningAt } from './listen.ts';
import { type LogFormat, processLogger } from './logger.ts';
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
  logs: LogFormat = 'json',
): Promise<{ server: Server; banner: string[]; stop(): Promise<void> }> {
  const logger = processLogger('mandate-proxy', logs);
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
  const server = await listen(proxy.app.callback(), {
    host: config.proxy.host,
    port: config.proxy.port,
    hostSetting: 'proxy.host (MANDATE_PROXY_HOST)',
    portSetting: 'proxy.port (MANDATE_PROXY_PORT)',
  }).catch(async (err) => {
    await proxy.stop().catch(() => undefined);
    await liveness.stop();
    throw err;
  });
  const url = config.proxy.url;
  const banner = [
    `Mandate proxy on ${url} (listening on ${listeningAt(server)})`,
    `  OpenAI SDK:    baseURL ${url}/openai/v1`,
    `  Anthropic SDK: baseURL ${url}/anthropic`,
    ...compatibleProvidersOf(config).map((p) => `  OpenAI SDK for ${p.name}: baseURL ${url}/${p.id}/v1`),
  ];
  const warning = listenUrlWarning({
    url,
    setting: 'proxy.url (MANDATE_PROXY_URL)',
    port: config.proxy.port,
    portSetting: 'proxy.port, MANDATE_PROXY_PORT',
  });
  if (warning) console.error(warning);
  return {
    server,
    banner,
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
