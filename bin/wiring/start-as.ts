import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { buildAuthorizationServer } from '../../src/as/build-authorization-server.ts';
import { parseSigningJwks } from '../../src/as/keys/signing-keys.ts';
import { startPurgeJob } from '../../src/as/purge-job.ts';
import { type Config, ConfigError } from '../../src/config/index.ts';
import { listenUrlWarning } from '../../src/config/listen-url-warning.ts';
import { providerIds } from '../../src/scopes/index.ts';
import { type ProviderKeyJwks, parseProviderKeyJwks } from '../../src/shared/provider-key-crypto.ts';
import { type Database, systemClock } from '../../src/storage/index.ts';
import { listen, listeningAt } from './listen.ts';
import { type LogFormat, processLogger } from './logger.ts';
import { readText } from './resolve-config.ts';

function readSigningKeys(config: Config) {
  const file = config.as.signingKeysFile;
  if (!existsSync(file)) {
    throw new ConfigError(
      `as.signingKeysFile (MANDATE_SIGNING_KEYS_FILE): ${file} does not exist; create it with \`mandate keys generate --out FILE\``,
    );
  }
  try {
    return parseSigningJwks(readText(file), file).keys;
  } catch (err) {
    throw new ConfigError(`as.signingKeysFile (MANDATE_SIGNING_KEYS_FILE): ${(err as Error).message}`);
  }
}

/**
 * The proxy's PUBLIC key-encryption keys, all the authorization server gets. Without the
 * file the AS still runs (operator keys need none), but people cannot store keys.
 */
function readProviderKeyPublicJwks(config: Config): ProviderKeyJwks | undefined {
  const file = config.as.providerKeyPublicKeysFile;
  if (!existsSync(file)) {
    console.error(
      `as.providerKeyPublicKeysFile (MANDATE_PROVIDER_KEY_PUBLIC_KEYS_FILE): ${file} does not exist, so people cannot store provider keys; create the proxy's key pair with \`mandate proxy-keys generate --out PRIVATE --public-out PUBLIC\``,
    );
    return undefined;
  }
  try {
    return parseProviderKeyJwks(readText(file), 'public', file);
  } catch (err) {
    throw new ConfigError(
      `as.providerKeyPublicKeysFile (MANDATE_PROVIDER_KEY_PUBLIC_KEYS_FILE): ${(err as Error).message}`,
    );
  }
}

/**
 * The AS learns which providers have an operator key, never the keys: the names go to
 * it as such, and its copy of the configuration has them blanked.
 */
function splitOperatorKeys(config: Config) {
  const operatorKeyProviders = providerIds().filter(
    (p) => (config.proxy.operatorKeys as Record<string, string | undefined>)[p] !== undefined,
  );
  const asConfig: Config = { ...config, proxy: { ...config.proxy, operatorKeys: {} } };
  return { asConfig, operatorKeyProviders };
}

/** Extra CAs the AS trusts when it fetches Client ID Metadata Documents (none by default). */
function readMetadataDocumentCa(config: Config): string | undefined {
  const file = config.as.openDoor.metadataDocuments.trustedCaFile;
  if (file === undefined) return undefined;
  try {
    return readText(file);
  } catch (err) {
    throw new ConfigError(
      `as.openDoor.metadataDocuments.trustedCaFile (MANDATE_CIMD_TRUSTED_CA_FILE): cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/**
 * Starts the authorization server and its purge job; returns how to stop them and the
 * lines to print once every server of the process listens.
 */
export async function startAs(
  config: Config,
  db: Database,
  logs: LogFormat = 'json',
): Promise<{ server: Server; banner: string[]; stop(): void }> {
  const { asConfig, operatorKeyProviders } = splitOperatorKeys(config);
  const logger = processLogger('mandate-as', logs);
  const as = buildAuthorizationServer(asConfig, {
    logger,
    db,
    signingKeys: readSigningKeys(config),
    clock: systemClock,
    providerKeyPublicJwks: readProviderKeyPublicJwks(config),
    operatorKeyProviders,
    metadataDocumentCa: readMetadataDocumentCa(config),
  });
  // oidc-provider's server errors are logged with its other events (src/as/log).
  const stopPurge = startPurgeJob(as.stores, config.as.purgeIntervalSeconds * 1000, (err) =>
    logger.error({ event: 'purge.error', err }, 'purge failed'),
  );
  const server = await listen(as.app.callback(), {
    host: config.as.host,
    port: config.as.port,
    hostSetting: 'as.host (MANDATE_AS_HOST)',
    portSetting: 'as.port (MANDATE_AS_PORT)',
  }).catch((err) => {
    stopPurge();
    throw err;
  });
  const issuer = config.as.issuer;
  const banner = [
    `Mandate authorization server on ${issuer} (listening on ${listeningAt(server)}, database: ${db.engine})`,
    `  sign in:   ${issuer}/account`,
    `  discovery: ${issuer}/.well-known/oauth-authorization-server`,
  ];
  if ((await as.stores.accounts.count()) === 0) {
    banner.push(
      'Next: add yourself with   ./scripts/mandate.sh user add YOUR_NAME   (it asks for a password),',
      "then register an app with ./scripts/mandate.sh client add --name App --redirect-uri URI --scope 'openai:*:chat'",
      `and store your provider key at ${issuer}/account/keys (or ./scripts/mandate.sh key set --user YOUR_NAME --provider openai),`,
      config.proxy.upstreams.openai.startsWith('http://127.0.0.1:')
        ? `or try the demo app: ./scripts/mandate.sh demo --fake-upstream --user YOUR_NAME (OpenAI requests go to ${config.proxy.upstreams.openai}).`
        : 'or try the demo app with no API key (README, "Try it"): restart with MANDATE_OPENAI_BASE_URL=http://127.0.0.1:4100, then ./scripts/mandate.sh demo --fake-upstream --user YOUR_NAME.',
    );
  }
  const warning = listenUrlWarning({
    url: issuer,
    setting: 'as.issuer (MANDATE_ISSUER)',
    port: config.as.port,
    portSetting: 'as.port, MANDATE_AS_PORT',
  });
  if (warning) console.error(warning);
  return { server, banner, stop: stopPurge };
}
