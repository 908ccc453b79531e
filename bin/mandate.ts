#!/usr/bin/env node
/*
 * The composition root and the only place that reads the environment: loads the
 * configuration, opens the database, builds the servers and runs CLI commands.
 */
import { parseArgs } from 'node:util';
import { addClient, listClients } from '../src/cli/client-commands.ts';
import { listGrants, revokeGrant } from '../src/cli/grant-commands.ts';
import { showGrant } from '../src/cli/grant-show-command.ts';
import { generateKeys } from '../src/cli/key-commands.ts';
import { UsageError } from '../src/cli/output.ts';
import { deleteProviderKey, listProviderKeys, setProviderKey } from '../src/cli/provider-key-commands.ts';
import { generateProxyKeys, rewrapProxyKeys, rotateProxyKeys } from '../src/cli/proxy-key-commands.ts';
import { readProxyKeyFile } from '../src/cli/proxy-key-files.ts';
import { readSecretLine } from '../src/cli/read-secret.ts';
import { printUsage } from '../src/cli/usage-command.ts';
import { addUser, listUsers, setOperator } from '../src/cli/user-commands.ts';
import { type Config, ConfigError, providerRegistryOf } from '../src/config/index.ts';
import { DemoError } from '../src/demo/demo-error.ts';
import { useProviderRegistry } from '../src/scopes/index.ts';
import { migrateLatest, NotMigratedError } from '../src/storage/index.ts';
import { logFormat } from './wiring/logger.ts';
import { openBrowser } from './wiring/open-browser.ts';
import { openDatabase, resolveConfig, withStores } from './wiring/resolve-config.ts';
import { serve } from './wiring/serve.ts';

const USAGE = `usage: mandate <command>

  start                         run Mandate on this machine: authorization server and proxy (migrates first)
  serve [as|proxy]              run both, or one, in production (refuses an unmigrated database)
  migrate                       apply database migrations
  user add NAME [--operator]    add a person (password read from standard input); --operator: may open /operator
  user operator NAME on|off     give or take the operator role
  user list                     everyone who can sign in, and their role
  client add --name NAME --redirect-uri URI --scope SCOPE [--confidential]
  client list
  grant list [--user NAME] [--client ID] [--all]
  grant revoke GRANT_ID
  grant show GRANT_ID           scopes, limits, usage against caps, last 30 days, recent requests, history
  usage [--account NAME] [--grant GRANT_ID]   live grants' usage against their caps this period
  keys generate --out FILE      write a new private signing key set (production)
  keys rotate --out FILE        put a new signing key first, keeping the old ones for verification
  key set --user NAME --provider PROVIDER     store a person's provider API key (read from standard input)
  key list --user NAME                        a person's stored keys (last four characters only)
  key delete --user NAME --provider PROVIDER
  key rotate [--stage]          new proxy key-encryption key; re-wrap every stored key (docs/provider-keys.md)
  key rewrap                    re-wrap stored keys still under an older proxy key
  proxy-keys generate --out PRIVATE --public-out PUBLIC   the proxy's first key pair (production)
  demo [--user NAME] [--fake-upstream [--fake-port PORT]] [--open] [--model MODEL] [--prompt TEXT]
                                a demo app: sign in and consent in the browser, then one answer through
                                the proxy (needs Mandate running; --fake-upstream --user NAME: a built-in
                                fake OpenAI, Mandate started with MANDATE_OPENAI_BASE_URL=http://127.0.0.1:4100)

Configuration: defaults < config file (MANDATE_CONFIG, or config/mandate.json) < MANDATE_* environment.
See docs/configuration.md.`;

/** Where `mandate demo --fake-upstream` serves its fake OpenAI unless --fake-port says otherwise. */
const DEMO_FAKE_PORT = 4100;

const proxyKeyFiles = (config: Config) => ({
  privateFile: config.proxy.keysFile,
  publicFile: config.as.providerKeyPublicKeysFile,
});

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
      operator: { type: 'boolean', default: false },
      user: { type: 'string' },
      client: { type: 'string' },
      all: { type: 'boolean', default: false },
      account: { type: 'string' },
      grant: { type: 'string' },
      out: { type: 'string' },
      'public-out': { type: 'string' },
      provider: { type: 'string' },
      stage: { type: 'boolean', default: false },
      'fake-upstream': { type: 'boolean', default: false },
      'fake-port': { type: 'string' },
      open: { type: 'boolean', default: false },
      model: { type: 'string' },
      prompt: { type: 'string' },
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
  // The CLI's scopes and provider keys know the configured providers (`providers.*`).
  useProviderRegistry(providerRegistryOf(config));
  switch (
    `${command}${sub && !['start', 'serve', 'migrate', 'usage', 'demo'].includes(command) ? ` ${sub}` : ''}`
  ) {
    case 'start':
      return serve(config, { migrate: true, as: true, proxy: true, logs: logFormat('start') });
    case 'serve': {
      if (sub !== undefined && sub !== 'as' && sub !== 'proxy')
        throw new UsageError('usage: mandate serve [as|proxy]');
      return serve(config, {
        migrate: false,
        as: sub !== 'proxy',
        proxy: sub !== 'as',
        logs: logFormat('serve'),
      });
    }
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
      return withStores(config, (s) =>
        addUser(s.accounts, out, positionals[2], password, { operator: values.operator ?? false }),
      );
    }
    case 'user operator':
      return withStores(config, (s) => setOperator(s.accounts, out, positionals[2], positionals[3]));
    case 'user list':
      return withStores(config, (s) => listUsers(s.accounts, out));
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
    case 'grant show':
      return withStores(config, (s) => showGrant(s, out, positionals[2]));
    case 'usage':
      return withStores(config, (s) =>
        printUsage(s, out, {
          ...(values.account ? { account: values.account } : {}),
          ...(values.grant ? { grant: values.grant } : {}),
        }),
      );
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
    case 'demo': {
      const fakePort = Number(values['fake-port'] ?? DEMO_FAKE_PORT);
      if (!Number.isInteger(fakePort) || fakePort < 0 || fakePort > 65535)
        throw new UsageError('--fake-port must be a port number');
      // Ctrl-C: stop waiting, clean up (the placeholder key), then leave; a second one leaves at once.
      const interrupted = new AbortController();
      const interrupt = () => (interrupted.signal.aborted ? process.exit(130) : interrupted.abort());
      process.on('SIGINT', interrupt);
      process.on('SIGTERM', interrupt);
      // The demo's modules (an OAuth client, the OpenAI SDK) load only for the demo.
      const { runDemo } = await import('../src/demo/run-demo.ts');
      return withStores(config, (s) =>
        runDemo({
          issuer: config.as.issuer,
          proxyUrl: config.proxy.url,
          stores: s,
          publicJwks: () => readProxyKeyFile(config.as.providerKeyPublicKeysFile, 'public'),
          out,
          model: values.model ?? 'gpt-4o-mini',
          prompt: values.prompt ?? 'In one sentence: what does Mandate do for an app?',
          ...(values.user ? { user: values.user } : {}),
          ...(values['fake-upstream'] ? { fakeUpstream: { port: fakePort } } : {}),
          ...(values.open ? { openBrowser } : {}),
          signal: interrupted.signal,
        }),
      );
    }
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
  if (err instanceof DemoError) {
    console.error(`[demo] stopped: ${err.message}`);
    process.exit(1);
  }
  console.error(`mandate: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
