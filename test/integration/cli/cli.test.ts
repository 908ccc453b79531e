import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';
import { freePort } from '../../support/free-port.ts';
import { runCli } from '../../support/run-cli.ts';

const mandate = runCli;

for (const engine of engines) {
  describe(`mandate CLI (${engine})`, function () {
    this.timeout(30000);
    let t: TestDatabase;
    let dir: string;
    let env: Record<string, string>;

    before(async () => {
      t = await createTestDatabase(engine, { migrate: false });
      dir = mkdtempSync(join(tmpdir(), 'mandate-cli-'));
      env = {
        MANDATE_DATA_DIR: dir,
        MANDATE_DATABASE_URL: t.url,
        MANDATE_SIGNING_KEYS_FILE: join(dir, 'keys.json'),
        MANDATE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
        MANDATE_PROXY_CLIENT_SECRET: randomBytes(32).toString('base64url'),
      };
    });
    after(async () => {
      await t.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses to work on an unmigrated database, naming the fix', async () => {
      const run = await mandate(['client', 'list'], env);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(/not migrated.*mandate migrate/);
    });

    it('migrates, then says it is up to date', async () => {
      expect((await mandate(['migrate'], env)).stdout).to.match(/applied: 2026/);
      expect((await mandate(['migrate'], env)).stdout).to.match(/already up to date/);
    });

    it('adds a user with the password from standard input, never echoing it', async () => {
      const run = await mandate(['user', 'add', 'carol'], env, 'a very long password\n');
      expect(run.code).to.equal(0);
      expect(run.stdout).to.match(/added user carol/);
      expect(run.stdout + run.stderr).to.not.include('a very long password');
      const row = await t.db('accounts').where({ username: 'carol' }).first();
      expect(row.password_hash).to.match(/^scrypt\$/);
      expect((await mandate(['user', 'add', 'dave'], env, 'short\n')).stderr).to.match(/at least 10/);
    });

    it('adds an operator, gives and takes the role, and lists who has it', async () => {
      const added = await mandate(['user', 'add', 'olga', '--operator'], env, 'operator password long\n');
      expect(added.code).to.equal(0);
      expect(added.stdout).to.match(/added operator olga/);
      const flag = async (username: string) =>
        Boolean((await t.db('accounts').where({ username }).first('operator')).operator);
      expect(await flag('olga')).to.equal(true);
      expect(await flag('carol')).to.equal(false);
      expect((await mandate(['user', 'operator', 'carol', 'on'], env)).stdout).to.match(
        /carol is now an operator/,
      );
      expect(await flag('carol')).to.equal(true);
      expect((await mandate(['user', 'operator', 'carol', 'on'], env)).stdout).to.match(/already/);
      expect((await mandate(['user', 'operator', 'carol', 'off'], env)).stdout).to.match(/no longer/);
      expect(await flag('carol')).to.equal(false);
      const list = await mandate(['user', 'list'], env);
      expect(list.stdout)
        .to.match(/olga +operator/)
        .and.match(/carol +person/);
      expect(list.stdout).to.not.match(/scrypt/);
      const unknown = await mandate(['user', 'operator', 'nobody', 'on'], env);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.match(/no user named nobody/);
      const bad = await mandate(['user', 'operator', 'carol', 'yes'], env);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/on\|off/);
      expect(await flag('carol')).to.equal(false);
    });

    it('registers public and confidential clients; the secret is printed once and stored hashed', async () => {
      const pub = await mandate(
        [
          'client',
          'add',
          '--name',
          'Writer',
          '--redirect-uri',
          'https://w.example/cb',
          '--scope',
          'openai:*:chat',
        ],
        env,
      );
      expect(pub.code).to.equal(0);
      expect(pub.stdout)
        .to.match(/client_id: +app_/)
        .and.not.match(/client_secret/);
      const conf = await mandate(
        [
          'client',
          'add',
          '--name',
          'Server',
          '--redirect-uri',
          'https://s.example/cb',
          '--scope',
          'anthropic:*:chat',
          '--confidential',
        ],
        env,
      );
      const secret = /client_secret: (\S+)/.exec(conf.stdout)?.[1] as string;
      expect(secret).to.have.length.greaterThan(40);
      const clientId = /client_id: +(\S+)/.exec(conf.stdout)?.[1];
      const row = await t.db('clients').where({ client_id: clientId }).first();
      expect(row.secret_hash).to.match(/^sha256:/);
      expect(JSON.stringify(row)).to.not.include(secret);
      const list = await mandate(['client', 'list'], env);
      expect(list.stdout).to.include('Writer').and.include('Server').and.include('confidential');
      expect(list.stdout).to.not.include(secret);
      const bad = await mandate(
        ['client', 'add', '--name', 'X', '--redirect-uri', 'https://x/cb', '--scope', 'openai::chat'],
        env,
      );
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/invalid scope openai::chat/);
      // The redirect URI rules every registration path shares (RFC 8252, RFC 9700).
      const before = (await t.db('clients')).length;
      for (const [uri, reason] of [
        ['http://app.example/cb', /plain http is allowed only on loopback/],
        ['javascript:alert(1)', /javascript: scheme/],
        ['data:text/html,x', /data: scheme/],
        ['myapp:/cb', /reverse-domain form/],
      ] as const) {
        const refused = await mandate(
          ['client', 'add', '--name', 'X', '--redirect-uri', uri, '--scope', 'openai:*:chat'],
          env,
        );
        expect(refused.code, uri).to.equal(2);
        expect(refused.stderr, uri).to.match(reason);
      }
      expect(await t.db('clients')).to.have.length(before);
      const native = await mandate(
        [
          'client',
          'add',
          '--name',
          'Native',
          '--redirect-uri',
          'com.example.app:/cb',
          '--scope',
          'openai:*:chat',
        ],
        env,
      );
      expect(native.code).to.equal(0);
    });

    it('lists and revokes grants, durably and logged', async () => {
      const account = await t.db('accounts').where({ username: 'carol' }).first();
      const now = Date.now();
      await t.db('grants').insert({
        id: 'grant-cli-1',
        account_id: account.id,
        client_id: 'app_x',
        scopes: 'openai:*:chat',
        created_at: now,
        expires_at: now + 3600_000,
      });
      expect((await mandate(['grant', 'list', '--user', 'carol'], env)).stdout)
        .to.include('grant-cli-1')
        .and.include('active');
      const run = await mandate(['grant', 'revoke', 'grant-cli-1'], env);
      expect(run.stdout).to.match(/revoked grant grant-cli-1/);
      const row = await t.db('grants').where({ id: 'grant-cli-1' }).first();
      expect(row.revoked_reason).to.equal('cli');
      expect(await t.db('revocations').where({ subject_id: 'grant-cli-1', reason: 'cli' })).to.have.length(1);
      expect((await mandate(['grant', 'list', '--all'], env)).stdout).to.include('revoked (cli)');
      expect((await mandate(['grant', 'revoke', 'nope'], env)).stderr).to.match(/no grant nope/);
    });

    it('generates and rotates signing keys; serving without one names the setting', async () => {
      const file = join(dir, 'keys.json');
      if (engine === 'pg') {
        const refused = await mandate(['serve'], env);
        expect(refused.code).to.equal(2);
        expect(refused.stderr).to.match(/MANDATE_SIGNING_KEYS_FILE.*does not exist.*keys generate/);
        expect((await mandate(['keys', 'generate', '--out', file], env)).stdout).to.match(
          /wrote signing key/,
        );
      }
      const before = JSON.parse(readFileSync(file, 'utf8')).keys;
      expect((await mandate(['keys', 'generate', '--out', file], env)).stderr).to.match(
        /exists; use mandate keys rotate/,
      );
      expect((await mandate(['keys', 'rotate', '--out', file], env)).stdout).to.match(/added signing key/);
      const after = JSON.parse(readFileSync(file, 'utf8')).keys;
      expect(after).to.have.length(before.length + 1);
      expect(after.slice(1)).to.deep.equal(before);
      expect(statSync(file).mode & 0o777).to.equal(0o600);
    });

    it('starts the authorization server and the proxy, which answer, with no oidc-provider WARNING or NOTICE', async () => {
      const port = await freePort();
      const proxyPort = await freePort();
      const child = spawn(process.execPath, ['bin/mandate.ts', 'start'], {
        env: {
          PATH: process.env.PATH ?? '',
          ...env,
          MANDATE_AS_PORT: String(port),
          MANDATE_ISSUER: `http://127.0.0.1:${port}`,
          MANDATE_PROXY_PORT: String(proxyPort),
          MANDATE_PROXY_URL: `http://127.0.0.1:${proxyPort}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stderr.on('data', (d) => {
        output += d;
      });
      try {
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (d) => {
            output += d;
            if (output.includes('Mandate proxy on')) resolve();
          });
          child.on('exit', () => reject(new Error(`exited early: ${output}`)));
        });
        const meta = (await (
          await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)
        ).json()) as {
          issuer: string;
        };
        expect(meta.issuer).to.equal(`http://127.0.0.1:${port}`);
        const resource = (await (
          await fetch(`http://127.0.0.1:${proxyPort}/.well-known/oauth-protected-resource`)
        ).json()) as { resource: string; authorization_servers: string[] };
        expect(resource).to.include({ resource: `http://127.0.0.1:${proxyPort}` });
        expect(resource.authorization_servers).to.deep.equal([`http://127.0.0.1:${port}`]);
        expect((await fetch(`http://127.0.0.1:${proxyPort}/readyz`)).status).to.equal(200);
      } finally {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }
      }
      expect(output).to.not.match(/oidc-provider (WARNING|NOTICE)/);
      expect(output).to.include('/account');
    });

    it('stops on a bad setting with a message naming it', async () => {
      const run = await mandate(['client', 'list'], {
        ...env,
        MANDATE_AS_PORT: 'eighty',
        MANDATE_ISSUER: 'ftp://x',
      });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.include('MANDATE_AS_PORT');
      const missing = await mandate(['client', 'list'], { ...env, MANDATE_COOKIE_KEYS: '' });
      // The embedded default generates its own keys into the data folder; PostgreSQL
      // deployments must supply them.
      if (engine === 'pg')
        expect(missing.stderr).to.match(/as\.cookieKeys \(MANDATE_COOKIE_KEYS\): is required/);
      else expect(missing.code).to.equal(0);
    });
  });
}
