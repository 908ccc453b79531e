import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ensureLocalSecrets } from '../../src/cli/local-secrets.ts';
import {
  type Config,
  ConfigError,
  configFromEnv,
  deepMerge,
  defaults,
  embeddedOpenDoor,
  loadConfig,
  withDataDirDefaults,
} from '../../src/config/index.ts';
import {
  assertMigrated,
  createDatabase,
  createStores,
  type Database,
  systemClock,
} from '../../src/storage/index.ts';

type Json = Record<string, unknown>;
export const readText = (path: string) => readFileSync(path, 'utf8');

function readConfigFile(): Json {
  const path =
    process.env.MANDATE_CONFIG ?? (existsSync('config/mandate.json') ? 'config/mandate.json' : undefined);
  if (!path) return {};
  try {
    return JSON.parse(readText(path)) as Json;
  } catch (err) {
    // The parser's message quotes the file, which may hold secrets: name the file only.
    const reason =
      err instanceof SyntaxError ? 'not valid JSON' : ((err as NodeJS.ErrnoException).code ?? 'unreadable');
    throw new ConfigError(`cannot read the config file ${path}: ${reason}`);
  }
}

/**
 * defaults < config file (MANDATE_CONFIG or config/mandate.json) < MANDATE_* environment.
 * The embedded default (SQLite) generates its secrets once into the data folder and
 * opens the door to apps nobody registered (src/config/embedded-open-door.ts).
 */
export async function resolveConfig(): Promise<Config> {
  const file = readConfigFile();
  const prelim = withDataDirDefaults(
    deepMerge(deepMerge(defaults as Json, file), configFromEnv(process.env, readText)),
  ) as {
    dataDir: string;
    database: { url: string };
    as: { signingKeysFile: string; providerKeyPublicKeysFile: string };
    proxy: { keysFile: string };
  };
  let withLocal = file;
  if (prelim.database.url.startsWith('sqlite:')) {
    const local = await ensureLocalSecrets(prelim.dataDir, prelim.as.signingKeysFile, {
      privateFile: prelim.proxy.keysFile,
      publicFile: prelim.as.providerKeyPublicKeysFile,
    });
    withLocal = deepMerge(
      {
        as: { cookieKeys: local.cookieKeys, openDoor: embeddedOpenDoor },
        proxyClient: { secret: local.proxyClientSecret },
      },
      file,
    );
  }
  return loadConfig({ env: process.env, file: withLocal, readFile: readText });
}

export function openDatabase(config: Config): Database {
  if (config.database.url.startsWith('sqlite:')) {
    const file = config.database.url.slice('sqlite:'.length);
    if (file && file !== ':memory:') {
      mkdirSync(dirname(resolve(file)), { recursive: true });
      // Tokens and sessions live here: private from the start (WAL files inherit the mode).
      if (!existsSync(file)) closeSync(openSync(file, 'w', 0o600));
    }
  }
  return createDatabase(config.database);
}

/** Runs a CLI command over every store of a migrated database, then closes it. */
export async function withStores<T>(
  config: Config,
  run: (stores: ReturnType<typeof createStores>) => Promise<T>,
): Promise<T> {
  const db = openDatabase(config);
  try {
    await assertMigrated(db);
    return await run(
      createStores(db, systemClock, { loginWindowMs: config.as.loginThrottle.windowSeconds * 1000 }),
    );
  } finally {
    await db.destroy();
  }
}
