import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { buildAuthorizationServer } from '../../src/as/build-authorization-server.ts';
import { parseSigningJwks } from '../../src/as/keys/signing-keys.ts';
import { startPurgeJob } from '../../src/as/purge-job.ts';
import { type Config, ConfigError } from '../../src/config/index.ts';
import { PROVIDERS } from '../../src/scopes/index.ts';
import { type ProviderKeyJwks, parseProviderKeyJwks } from '../../src/shared/provider-key-crypto.ts';
import { type Database, systemClock } from '../../src/storage/index.ts';
import { processLogger } from './logger.ts';
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
  const operatorKeyProviders = PROVIDERS.filter((p) => config.proxy.operatorKeys[p] !== undefined);
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

/** Starts the authorization server and its purge job; returns how to stop them. */
export async function startAs(config: Config, db: Database): Promise<{ server: Server; stop(): void }> {
  const { asConfig, operatorKeyProviders } = splitOperatorKeys(config);
  const logger = processLogger('mandate-as');
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
  const server = as.app.listen(config.as.port, config.as.host);
  await new Promise((ok) => server.once('listening', ok));
  console.log(`Mandate authorization server on ${config.as.issuer} (database: ${db.engine})`);
  console.log(`  sign in:   ${config.as.issuer}/account`);
  console.log(`  discovery: ${config.as.issuer}/.well-known/oauth-authorization-server`);
  if ((await as.stores.accounts.count()) === 0) {
    console.log(
      'Next: add yourself with   ./scripts/mandate.sh user add YOUR_NAME   (it asks for a password),',
    );
    console.log(
      "then register an app with ./scripts/mandate.sh client add --name App --redirect-uri URI --scope 'openai:*:chat'",
    );
    console.log(
      `and store your provider key at ${config.as.issuer}/account/keys (or ./scripts/mandate.sh key set --user YOUR_NAME --provider openai).`,
    );
  }
  return { server, stop: stopPurge };
}
