#!/usr/bin/env node
/*
 * The composition root and the only place that reads the environment: loads the
 * configuration, opens the database, builds the servers and runs CLI commands.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAuthorizationServer } from '../src/as/build-authorization-server.ts';
import { parseSigningJwks } from '../src/as/keys/signing-keys.ts';
import { startPurgeJob } from '../src/as/purge-job.ts';
import { addClient, listClients } from '../src/cli/client-commands.ts';
import { listGrants, revokeGrant } from '../src/cli/grant-commands.ts';
import { generateKeys } from '../src/cli/key-commands.ts';
import { ensureLocalSecrets } from '../src/cli/local-secrets.ts';
import { UsageError } from '../src/cli/output.ts';
import { deleteProviderKey, listProviderKeys, setProviderKey } from '../src/cli/provider-key-commands.ts';
import { generateProxyKeys, rewrapProxyKeys, rotateProxyKeys } from '../src/cli/proxy-key-commands.ts';
import { readProxyKeyFile } from '../src/cli/proxy-key-files.ts';
import { readSecretLine } from '../src/cli/read-secret.ts';
import { addUser } from '../src/cli/user-commands.ts';
import {
  type Config,
  ConfigError,
  configFromEnv,
  deepMerge,
  defaults,
  loadConfig,
  withDataDirDefaults,
} from '../src/config/index.ts';
import { PROVIDERS } from '../src/scopes/index.ts';
import { type ProviderKeyJwks, parseProviderKeyJwks } from '../src/shared/provider-key-crypto.ts';
import {
  assertMigrated,
  createDatabase,
  createStores,
  type Database,
  migrateLatest,
  NotMigratedError,
  systemClock,
} from '../src/storage/index.ts';

const USAGE = `usage: mandate <command>

  start                         run Mandate on this machine (embedded SQLite by default; migrates first)
  serve                         run the authorization server (production; refuses an unmigrated database)
  migrate                       apply database migrations
  user add NAME                 add a person (password read from standard input)
  client add --name NAME --redirect-uri URI --scope SCOPE [--confidential]
  client list
  grant list [--user NAME] [--client ID] [--all]
  grant revoke GRANT_ID
  keys generate --out FILE      write a new private signing key set (production)
  keys rotate --out FILE        put a new signing key first, keeping the old ones for verification
  key set --user NAME --provider PROVIDER     store a person's provider API key (read from standard input)
  key list --user NAME                        a person's stored keys (last four characters only)
  key delete --user NAME --provider PROVIDER
  key rotate [--stage]          new proxy key-encryption key; re-wrap every stored key (docs/provider-keys.md)
  key rewrap                    re-wrap stored keys still under an older proxy key
  proxy-keys generate --out PRIVATE --public-out PUBLIC   the proxy's first key pair (production)

Configuration: defaults < config file (MANDATE_CONFIG, or config/mandate.json) < MANDATE_* environment.
See docs/configuration.md.`;

type Json = Record<string, unknown>;
const readText = (path: string) => readFileSync(path, 'utf8');

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

/** The embedded default (SQLite) generates its secrets once into the data folder. */
async function resolveConfig(): Promise<Config> {
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
      { as: { cookieKeys: local.cookieKeys }, proxyClient: { secret: local.proxyClientSecret } },
      file,
    );
  }
  return loadConfig({ env: process.env, file: withLocal, readFile: readText });
}

function openDatabase(config: Config): Database {
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

async function withStores<T>(
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

const proxyKeyFiles = (config: Config) => ({
  privateFile: config.proxy.keysFile,
  publicFile: config.as.providerKeyPublicKeysFile,
});

async function serve(config: Config, { migrate }: { migrate: boolean }): Promise<void> {
  const db = openDatabase(config);
  if (migrate) await migrateLatest(db);
  await assertMigrated(db);
  if (!existsSync(config.as.signingKeysFile)) {
    throw new ConfigError(
      `as.signingKeysFile (MANDATE_SIGNING_KEYS_FILE): ${config.as.signingKeysFile} does not exist; create it with \`mandate keys generate --out FILE\``,
    );
  }
  let signingKeys: ReturnType<typeof parseSigningJwks>['keys'];
  try {
    signingKeys = parseSigningJwks(readText(config.as.signingKeysFile), config.as.signingKeysFile).keys;
  } catch (err) {
    throw new ConfigError(`as.signingKeysFile (MANDATE_SIGNING_KEYS_FILE): ${(err as Error).message}`);
  }
  const { asConfig, operatorKeyProviders } = splitOperatorKeys(config);
  const as = buildAuthorizationServer(asConfig, {
    db,
    signingKeys,
    clock: systemClock,
    providerKeyPublicJwks: readProviderKeyPublicJwks(config),
    operatorKeyProviders,
  });
  as.provider.on('server_error', (_ctx: unknown, err: Error) =>
    console.error(`authorization server error: ${err.message}`),
  );
  const stopPurge = startPurgeJob(as.stores, config.as.purgeIntervalSeconds * 1000, (err) =>
    console.error(`purge failed: ${(err as Error).message}`),
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
  // Stop taking connections, let requests in flight finish (at most 10 s), then leave.
  const stop = async () => {
    stopPurge();
    const closed = new Promise((done) => server.close(done));
    server.closeIdleConnections();
    const deadline = setTimeout(() => server.closeAllConnections(), 10_000);
    await closed;
    clearTimeout(deadline);
    await db.destroy();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(argv: string[]): Promise<void> {
  const [command, sub] = argv;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      confidential: { type: 'boolean', default: false },
      user: { type: 'string' },
      client: { type: 'string' },
      all: { type: 'boolean', default: false },
      out: { type: 'string' },
      'public-out': { type: 'string' },
      provider: { type: 'string' },
      stage: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (!command || values.help || command === 'help') {
    console.log(USAGE);
    return;
  }
  const out = process.stdout;
  if (command === 'keys' && (sub === 'generate' || sub === 'rotate')) {
    return generateKeys(out, values.out, { rotate: sub === 'rotate' });
  }
  if (command === 'proxy-keys' && sub === 'generate') {
    return generateProxyKeys(out, {
      ...(values.out ? { privateFile: values.out } : {}),
      ...(values['public-out'] ? { publicFile: values['public-out'] } : {}),
    });
  }
  const config = await resolveConfig();
  switch (`${command}${sub && !['start', 'serve', 'migrate'].includes(command) ? ` ${sub}` : ''}`) {
    case 'start':
      return serve(config, { migrate: true });
    case 'serve':
      return serve(config, { migrate: false });
    case 'migrate': {
      const db = openDatabase(config);
      try {
        const applied = await migrateLatest(db);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
      } finally {
        await db.destroy();
      }
      return;
    }
    case 'user add': {
      const password = await readSecretLine(process.stdin, process.stderr, 'Password: ');
      return withStores(config, (s) => addUser(s.accounts, out, positionals[2], password));
    }
    case 'client add':
      return withStores(config, (s) =>
        addClient(s.clients, out, {
          ...(values.name ? { name: values.name } : {}),
          redirectUris: values['redirect-uri'] ?? [],
          scopes: values.scope ?? [],
          confidential: values.confidential ?? false,
        }),
      );
    case 'client list':
      return withStores(config, (s) => listClients(s.clients, out));
    case 'grant list':
      return withStores(config, (s) =>
        listGrants(s, out, {
          ...(values.user ? { user: values.user } : {}),
          ...(values.client ? { client: values.client } : {}),
          all: values.all ?? false,
        }),
      );
    case 'grant revoke':
      return withStores(config, (s) => revokeGrant(s, out, positionals[2]));
    case 'key set':
      return withStores(config, (s) =>
        setProviderKey(
          s,
          out,
          {
            ...(values.user ? { user: values.user } : {}),
            ...(values.provider ? { provider: values.provider } : {}),
            publicJwks: () => readProxyKeyFile(config.as.providerKeyPublicKeysFile, 'public'),
          },
          () => readSecretLine(process.stdin, process.stderr, 'API key: '),
        ),
      );
    case 'key list':
      return withStores(config, (s) => listProviderKeys(s, out, values.user ? { user: values.user } : {}));
    case 'key delete':
      return withStores(config, (s) =>
        deleteProviderKey(s, out, {
          ...(values.user ? { user: values.user } : {}),
          ...(values.provider ? { provider: values.provider } : {}),
        }),
      );
    case 'key rotate':
      return withStores(config, (s) =>
        rotateProxyKeys(s.providerKeys, out, { ...proxyKeyFiles(config), stage: values.stage ?? false }),
      );
    case 'key rewrap':
      return withStores(config, (s) => rewrapProxyKeys(s.providerKeys, out, proxyKeyFiles(config)));
    default:
      throw new UsageError(`unknown command: ${argv.join(' ')}\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof UsageError || err instanceof NotMigratedError) {
    console.error(`mandate: ${err.message}`);
    process.exit(2);
  }
  console.error(`mandate: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
