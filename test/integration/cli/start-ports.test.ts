import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';
import { freePort } from '../../support/free-port.ts';
import { spawnCli } from '../../support/spawn-cli.ts';

// The banner's last line: the whole banner has arrived.
const READY = /Anthropic SDK: +baseURL \S+\r?\n/;

/** Holds `port` on all of this machine's loopback addresses `localhost` may resolve to. */
async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, 'localhost', () => resolve());
  });
  return server;
}

for (const engine of engines) {
  describe(`mandate start: ports and URLs (${engine})`, function () {
    this.timeout(30_000);
    let t: TestDatabase;
    let dir: string;
    let env: Record<string, string>;

    before(async () => {
      t = await createTestDatabase(engine);
      dir = mkdtempSync(join(tmpdir(), 'mandate-ports-'));
      env = {
        MANDATE_DATA_DIR: dir,
        MANDATE_DATABASE_URL: t.url,
        MANDATE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
        MANDATE_PROXY_CLIENT_SECRET: randomBytes(32).toString('base64url'),
        MANDATE_LOG_LEVEL: 'warn',
      };
      // The embedded default generates its keys; PostgreSQL deployments bring their own.
      const keys = spawnCli(['keys', 'generate', '--out', join(dir, 'signing-keys.json')], env);
      await keys.exited;
    });
    after(async () => {
      await t.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('with only the ports changed, the banner, discovery and the RFC 9728 metadata name the real ports', async () => {
      const asPort = await freePort();
      const proxyPort = await freePort();
      const cli = spawnCli(['start'], {
        ...env,
        MANDATE_AS_PORT: String(asPort),
        MANDATE_PROXY_PORT: String(proxyPort),
      });
      try {
        await cli.waitFor(READY);
        const issuer = `http://localhost:${asPort}`;
        const proxyUrl = `http://localhost:${proxyPort}`;
        const out = cli.stdout();
        expect(out).to.include(`Mandate authorization server on ${issuer} (listening on http://`);
        expect(out).to.match(new RegExp(`listening on http://\\S+:${asPort}, database`));
        expect(out).to.include(`Mandate proxy on ${proxyUrl} (listening on http://`);
        expect(out).to.include(`baseURL ${proxyUrl}/openai/v1`);
        expect(out).to.not.match(/:3000|:4000/);
        const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
          issuer: string;
          token_endpoint: string;
        };
        expect(discovery.issuer).to.equal(issuer);
        expect(discovery.token_endpoint.startsWith(`${issuer}/`)).to.equal(true);
        const metadata = (await (await fetch(`${proxyUrl}/.well-known/oauth-protected-resource`)).json()) as {
          resource: string;
          authorization_servers: string[];
        };
        expect(metadata.resource).to.equal(proxyUrl);
        expect(metadata.authorization_servers).to.deep.equal([issuer]);
        expect(cli.stderr()).to.not.match(/warning: .*issuer|warning: .*proxy\.url/);
      } finally {
        await cli.stop();
      }
    });

    for (const which of ['as', 'proxy'] as const) {
      it(`a taken ${which} port ends start with one line naming the port and the setting, before anything says ready`, async () => {
        const asPort = await freePort();
        const proxyPort = await freePort();
        const taken = await occupy(which === 'as' ? asPort : proxyPort);
        try {
          const cli = spawnCli(['start'], {
            ...env,
            MANDATE_AS_PORT: String(asPort),
            MANDATE_PROXY_PORT: String(proxyPort),
          });
          const { code } = await cli.exited;
          expect(code).to.not.equal(0);
          const port = which === 'as' ? asPort : proxyPort;
          const setting = which === 'as' ? 'as.port (MANDATE_AS_PORT)' : 'proxy.port (MANDATE_PROXY_PORT)';
          // (PostgreSQL installs without the proxy's key pair get a line about that first.)
          const lines = cli
            .stderr()
            .trim()
            .split('\n')
            .filter((line) => !/keysFile|KeysFile/.test(line));
          expect(lines).to.have.length(1);
          expect(lines[0]).to.match(
            new RegExp(`^mandate: cannot listen on localhost:${port}: port ${port} is already in use`),
          );
          expect(lines[0]).to.include(setting);
          expect(cli.stderr()).to.not.match(/\n\s+at |Emitted 'error'/);
          // Nothing claimed to be ready: no banner of either server.
          expect(cli.stdout()).to.not.match(/Mandate (authorization server|proxy) on/);
        } finally {
          await new Promise((resolve) => taken.close(resolve));
        }
      });
    }

    it('warns, naming the setting, when a loopback URL names another port than the server listens on', async () => {
      const asPort = await freePort();
      const proxyPort = await freePort();
      const other = await freePort();
      const cli = spawnCli(['start'], {
        ...env,
        MANDATE_AS_PORT: String(asPort),
        MANDATE_PROXY_PORT: String(proxyPort),
        MANDATE_PROXY_URL: `http://127.0.0.1:${other}`,
      });
      try {
        await cli.waitFor(READY);
        expect(cli.stderr()).to.match(
          new RegExp(
            `warning: proxy\\.url \\(MANDATE_PROXY_URL\\) is http://127\\.0\\.0\\.1:${other} \\(port ${other}\\) but the server listens on port ${proxyPort}`,
          ),
        );
        expect(cli.stderr()).to.not.include('as.issuer');
      } finally {
        await cli.stop();
      }
    });
  });
}
