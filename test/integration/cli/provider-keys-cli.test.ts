import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  createProviderKeyDecrypter,
  encryptProviderKey,
  type ProviderKeyJwks,
} from '../../../src/shared/provider-key-crypto.ts';
import { dumpDatabase } from '../../support/database-dump.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';
import { freePort } from '../../support/free-port.ts';
import { type CliRun, runCli } from '../../support/run-cli.ts';
import { createUserAgent, csrfOf, formAction, seeOther } from '../../support/user-agent.ts';

const mandate = runCli;

const OPENAI_KEY = 'sk-proj-CliTest_0123456789abcdefghij_Wx42';
const OPENAI_KEY_2 = 'sk-proj-CliTest_replacement_key_00000_Rr77';
const ANTHROPIC_KEY = 'sk-ant-api03-CliTest-0123456789abcdef-Qq11';
const DAVE_KEY = 'sk-ant-api03-CliTest-dave-0123456789ab-Dd00';
const PAGE_KEY = 'sk-proj-CliTest_from_the_started_server_Pg55';
const GROQ_KEY = 'gsk_CliTest_0123456789abcdefghijkl_Gq31';
const ALL_KEYS = [OPENAI_KEY, OPENAI_KEY_2, ANTHROPIC_KEY, DAVE_KEY, PAGE_KEY, GROQ_KEY];

/*
 * `mandate key …` and `mandate proxy-keys generate`: keys come from standard input and
 * are never printed (only their last four characters); rotation puts a new proxy key
 * first, keeps the old ones, and re-wraps every stored key so old and new kids decrypt.
 */
for (const engine of engines) {
  describe(`mandate key CLI (${engine})`, function () {
    this.timeout(30000);
    let t: TestDatabase;
    let dir: string;
    let env: Record<string, string>;
    let privateFile: string;
    let publicFile: string;
    const outputs: string[] = [];

    async function run(args: string[], stdin = ''): Promise<CliRun> {
      const result = await mandate(args, env, stdin);
      outputs.push(result.stdout, result.stderr);
      return result;
    }

    const readJwks = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as ProviderKeyJwks;
    const rowsOf = (username: string) =>
      t.db('provider_keys').join('accounts', 'accounts.id', 'provider_keys.account_id').where({ username });

    async function plaintextOf(username: string, provider: string, jwks = readJwks(privateFile)) {
      const [row] = await rowsOf(username).where({ provider }).select('provider_keys.*');
      const decrypter = await createProviderKeyDecrypter(jwks);
      return decrypter.decrypt(row.ciphertext, { accountId: row.account_id, provider });
    }

    before(async () => {
      t = await createTestDatabase(engine, { migrate: false });
      dir = mkdtempSync(join(tmpdir(), 'mandate-key-cli-'));
      privateFile = join(dir, 'proxy-keys.json');
      publicFile = join(dir, 'provider-key-public.json');
      env = {
        MANDATE_DATA_DIR: dir,
        MANDATE_DATABASE_URL: t.url,
        MANDATE_SIGNING_KEYS_FILE: join(dir, 'keys.json'),
        MANDATE_PROXY_KEYS_FILE: privateFile,
        MANDATE_PROVIDER_KEY_PUBLIC_KEYS_FILE: publicFile,
        MANDATE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
        MANDATE_PROXY_CLIENT_SECRET: randomBytes(32).toString('base64url'),
      };
      expect((await run(['migrate'])).code).to.equal(0);
      expect((await run(['user', 'add', 'carol'], 'a very long password\n')).code).to.equal(0);
      expect((await run(['user', 'add', 'dave'], 'a very long password\n')).code).to.equal(0);
    });
    after(async () => {
      await t.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('has a proxy key pair: generated on SQLite, from proxy-keys generate on PostgreSQL', async () => {
      if (engine === 'pg') {
        expect(existsSync(privateFile)).to.equal(false);
        const refused = await run(
          ['key', 'set', '--user', 'carol', '--provider', 'openai'],
          `${OPENAI_KEY}\n`,
        );
        expect(refused.code).to.equal(2);
        expect(refused.stderr)
          .to.include(publicFile)
          .and.match(/does not exist.*proxy-keys generate/);
        expect(await rowsOf('carol')).to.have.length(0);
        expect((await run(['proxy-keys', 'generate', '--out', privateFile])).stderr).to.match(
          /usage: mandate proxy-keys generate/,
        );
        const made = await run(['proxy-keys', 'generate', '--out', privateFile, '--public-out', publicFile]);
        expect(made.code).to.equal(0);
        expect(made.stdout).to.match(/wrote proxy key \S+: private key set/);
      }
      const priv = readJwks(privateFile);
      const pub = readJwks(publicFile);
      expect(priv.keys).to.have.length(1);
      expect(priv.keys[0]).to.include({ kty: 'EC', crv: 'P-256', alg: 'ECDH-ES', use: 'enc' });
      expect(priv.keys[0]?.d).to.be.a('string');
      expect(pub.keys.map((k) => k.kid)).to.deep.equal(priv.keys.map((k) => k.kid));
      expect(pub.keys[0]).to.not.have.property('d');
      expect(statSync(privateFile).mode & 0o777).to.equal(0o600);
      expect(statSync(publicFile).mode & 0o777).to.equal(0o644);
      const again = await run(['proxy-keys', 'generate', '--out', privateFile, '--public-out', publicFile]);
      expect(again.code).to.equal(2);
      expect(again.stderr).to.match(/exists; use mandate key rotate/);
    });

    it('key set reads the key from standard input, never prints it, and stores only a JWE', async () => {
      const set = await run(['key', 'set', '--user', 'carol', '--provider', 'openai'], `${OPENAI_KEY}\n`);
      expect(set.code).to.equal(0);
      expect(set.stdout).to.equal('saved the openai key of carol (…Wx42)\n');
      const [row] = await rowsOf('carol');
      expect(row.kid).to.equal(readJwks(publicFile).keys[0]?.kid);
      expect(row.last4).to.equal('Wx42');
      expect(row.ciphertext).to.not.include(OPENAI_KEY);
      expect(await plaintextOf('carol', 'openai')).to.equal(OPENAI_KEY);

      const replaced = await run(
        ['key', 'set', '--user', 'carol', '--provider', 'openai'],
        `${OPENAI_KEY_2}\n`,
      );
      expect(replaced.stdout).to.equal('replaced the openai key of carol (…Rr77)\n');
      expect(await plaintextOf('carol', 'openai')).to.equal(OPENAI_KEY_2);
      expect(
        (await run(['key', 'set', '--user', 'carol', '--provider', 'anthropic'], `${ANTHROPIC_KEY}\n`)).code,
      ).to.equal(0);
      expect(
        (await run(['key', 'set', '--user', 'dave', '--provider', 'anthropic'], `${DAVE_KEY}\n`)).code,
      ).to.equal(0);
    });

    it('key set refuses bad input without echoing it, and takes no key from the command line', async () => {
      const wrong = await run(
        ['key', 'set', '--user', 'carol', '--provider', 'openai'],
        `${ANTHROPIC_KEY}\n`,
      );
      expect(wrong.code).to.equal(2);
      expect(wrong.stderr).to.match(/looks like an Anthropic key/);
      const empty = await run(['key', 'set', '--user', 'carol', '--provider', 'openai'], '');
      expect(empty.stderr).to.match(/Paste your OpenAI API key/);
      expect(
        (await run(['key', 'set', '--user', 'nobody', '--provider', 'openai'], `${OPENAI_KEY}\n`)).stderr,
      ).to.match(/no user named nobody/);
      expect(
        (await run(['key', 'set', '--user', 'carol', '--provider', 'mistral'], `${OPENAI_KEY}\n`)).stderr,
      ).to.match(/unknown provider mistral; one of openai, anthropic, google/);
      expect((await run(['key', 'set', '--provider', 'openai'])).stderr).to.match(/usage: mandate key set/);
      const argv = await run([
        'key',
        'set',
        '--user',
        'carol',
        '--provider',
        'openai',
        '--key',
        'sk-proj-Argv_0123456789abcdef_Zz',
      ]);
      expect(argv.code).to.not.equal(0);
      expect(await plaintextOf('carol', 'openai')).to.equal(OPENAI_KEY_2);
    });

    it('key list shows the provider and the last four characters only', async () => {
      const list = await run(['key', 'list', '--user', 'carol']);
      expect(list.code).to.equal(0);
      const lines = list.stdout.trim().split('\n');
      expect(lines[0]).to.match(/^PROVIDER +KEY +UPDATED$/);
      expect(lines.slice(1).map((l) => l.split(/ +/).slice(0, 2))).to.deep.equal([
        ['anthropic', '…Qq11'],
        ['openai', '…Rr77'],
      ]);
      expect((await run(['key', 'list'])).stderr).to.match(/usage: mandate key list --user NAME/);
    });

    it('key rotate puts a new proxy key first, keeps the old, and re-wraps every stored key', async () => {
      const oldPrivate = readJwks(privateFile);
      const oldKid = oldPrivate.keys[0]?.kid as string;
      const before = await t.db('provider_keys').select();
      expect(before.map((r) => r.kid)).to.deep.equal([oldKid, oldKid, oldKid]);

      const rotated = await run(['key', 'rotate']);
      expect(rotated.code, rotated.stderr).to.equal(0);
      const newPrivate = readJwks(privateFile);
      const newKid = newPrivate.keys[0]?.kid as string;
      expect(newKid).to.not.equal(oldKid);
      expect(newPrivate.keys.slice(1)).to.deep.equal(oldPrivate.keys);
      expect(readJwks(publicFile).keys.map((k) => k.kid)).to.deep.equal([newKid, oldKid]);
      expect(statSync(privateFile).mode & 0o777).to.equal(0o600);
      expect(rotated.stdout).to.include(`added proxy key ${newKid}`);
      expect(rotated.stdout).to.include(
        `re-wrapped 3 stored keys to proxy key ${newKid}; 0 changed meanwhile, 0 failed`,
      );
      expect(rotated.stdout).to.include('older proxy keys can be removed');

      const after = await t.db('provider_keys').select();
      expect(after.map((r) => r.kid)).to.deep.equal([newKid, newKid, newKid]);
      expect(await plaintextOf('carol', 'openai')).to.equal(OPENAI_KEY_2);
      expect(await plaintextOf('dave', 'anthropic')).to.equal(DAVE_KEY);
      // Old and new ciphertexts both open with the rotated private set (by kid)…
      const decrypter = await createProviderKeyDecrypter(newPrivate);
      for (const row of before) {
        const plain = await decrypter.decrypt(row.ciphertext, {
          accountId: row.account_id,
          provider: row.provider,
        });
        expect(ALL_KEYS).to.include(plain);
      }
      // …but a proxy still on the old set cannot read the new ones.
      const stale = await createProviderKeyDecrypter(oldPrivate);
      let failed = 0;
      for (const row of after) await stale.decrypt(row.ciphertext).catch(() => failed++);
      expect(failed).to.equal(3);
    });

    it('key rotate --stage then key rotate: the staged key reaches the proxies first, then is published', async () => {
      const kidsBefore = readJwks(privateFile).keys.map((k) => k.kid);
      const publicBefore = readFileSync(publicFile, 'utf8');
      const staged = await run(['key', 'rotate', '--stage']);
      expect(staged.code, staged.stderr).to.equal(0);
      const stagedKid = readJwks(privateFile).keys[0]?.kid as string;
      expect(readJwks(privateFile).keys.map((k) => k.kid)).to.deep.equal([stagedKid, ...kidsBefore]);
      expect(readFileSync(publicFile, 'utf8')).to.equal(publicBefore);
      expect(staged.stdout).to.match(/staged: load .* in every proxy process, then run mandate key rotate/);
      expect((await t.db('provider_keys').distinct('kid')).map((r) => r.kid)).to.deep.equal([kidsBefore[0]]);
      expect((await run(['key', 'rotate', '--stage'])).stderr).to.match(/already staged/);

      const published = await run(['key', 'rotate']);
      expect(published.code, published.stderr).to.equal(0);
      expect(published.stdout).to.include(`publishing staged proxy key ${stagedKid}`);
      expect(readJwks(privateFile).keys).to.have.length(kidsBefore.length + 1);
      expect(readJwks(publicFile).keys[0]?.kid).to.equal(stagedKid);
      expect((await t.db('provider_keys').distinct('kid')).map((r) => r.kid)).to.deep.equal([stagedKid]);
      expect(await plaintextOf('carol', 'anthropic')).to.equal(ANTHROPIC_KEY);
    });

    it('key rewrap catches keys an authorization server still encrypted to an older key', async () => {
      const nothing = await run(['key', 'rewrap']);
      expect(nothing.stdout).to.include('re-wrapped 0 stored keys');
      const oldPublic = { keys: readJwks(publicFile).keys.slice(1, 2) };
      const [dave] = await t.db('accounts').where({ username: 'dave' });
      const late = await encryptProviderKey(DAVE_KEY, oldPublic, {
        accountId: dave.id,
        provider: 'anthropic',
      });
      await t.db('provider_keys').where({ account_id: dave.id, provider: 'anthropic' }).update(late);
      const before = await run(['key', 'rewrap']);
      expect(before.code, before.stderr).to.equal(0);
      expect(before.stdout).to.include('re-wrapped 1 stored key to');
      expect(await plaintextOf('dave', 'anthropic')).to.equal(DAVE_KEY);

      // A ciphertext moved to another person's row is not re-wrapped, and says so.
      const [carolRow] = await rowsOf('carol').where({ provider: 'anthropic' }).select('provider_keys.*');
      const stolen = await encryptProviderKey(DAVE_KEY, oldPublic, {
        accountId: dave.id,
        provider: 'anthropic',
      });
      await t
        .db('provider_keys')
        .where({ account_id: carolRow.account_id, provider: 'anthropic' })
        .update(stolen);
      const refused = await run(['key', 'rewrap']);
      expect(refused.code).to.equal(2);
      expect(refused.stdout).to.include('ERR_PROVIDER_KEY_BINDING_MISMATCH');
      expect(refused.stderr).to.match(/1 stored key could not be re-wrapped/);
      await t.db('provider_keys').where({ account_id: carolRow.account_id, provider: 'anthropic' }).update({
        ciphertext: carolRow.ciphertext,
        kid: carolRow.kid,
      });
    });

    it('key delete removes one key', async () => {
      const deleted = await run(['key', 'delete', '--user', 'carol', '--provider', 'anthropic']);
      expect(deleted.stdout).to.equal('deleted the anthropic key of carol\n');
      expect((await rowsOf('carol')).map((r) => r.provider)).to.deep.equal(['openai']);
      const again = await run(['key', 'delete', '--user', 'carol', '--provider', 'anthropic']);
      expect(again.code).to.equal(2);
      expect(again.stderr).to.match(/carol has no anthropic key stored/);
    });

    it('the started server encrypts to the public key file it was given', async () => {
      const port = await freePort();
      const issuer = `http://127.0.0.1:${port}`;
      if (engine === 'pg')
        expect(
          (await run(['keys', 'generate', '--out', env.MANDATE_SIGNING_KEYS_FILE as string])).code,
        ).to.equal(0);
      let child: ChildProcess | undefined;
      try {
        child = spawn(process.execPath, ['bin/mandate.ts', 'start'], {
          env: {
            PATH: process.env.PATH ?? '',
            ...env,
            MANDATE_AS_PORT: String(port),
            MANDATE_ISSUER: issuer,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        await new Promise<void>((resolve, reject) => {
          child?.stderr?.on('data', (d) => {
            output += d;
          });
          child?.stdout?.on('data', (d) => {
            output += d;
            if (output.includes('authorization server on')) resolve();
          });
          child?.on('exit', () => reject(new Error(`exited early: ${output}`)));
        });
        const ua = createUserAgent();
        const login = await ua.request(`${issuer}/account/login`);
        await ua.request(formAction(login.body, login.url, '/account/login'), {
          form: { csrf: csrfOf(login.body), username: 'dave', password: 'a very long password' },
        });
        const page = await ua.request(`${issuer}/account/keys`);
        const saved = await seeOther(
          ua,
          await ua.request(formAction(page.body, page.url, '/account/keys/openai'), {
            form: { csrf: csrfOf(page.body), key: PAGE_KEY },
          }),
        );
        expect(saved.status).to.equal(200);
        expect(saved.body).to.include('…Pg55').and.not.include(PAGE_KEY);
        outputs.push(output);
      } finally {
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child?.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }
      }
      const [row] = await rowsOf('dave').where({ provider: 'openai' }).select('provider_keys.kid');
      expect(row.kid).to.equal(readJwks(publicFile).keys[0]?.kid);
      expect(await plaintextOf('dave', 'openai')).to.equal(PAGE_KEY);
    });

    it('key set takes a configured OpenAI-compatible provider (MANDATE_PROVIDER_PRESETS), and only then', async () => {
      const args = ['key', 'set', '--user', 'carol', '--provider', 'groq'];
      const unknown = await run(args, `${GROQ_KEY}\n`);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.include('unknown provider groq; one of openai, anthropic, google');
      const withGroq = { ...env, MANDATE_PROVIDER_PRESETS: 'groq' };
      const wrong = await mandate(args, withGroq, `${OPENAI_KEY}\n`);
      outputs.push(wrong.stdout, wrong.stderr);
      expect(wrong.code).to.equal(2);
      expect(wrong.stderr).to.include('Groq API keys start with gsk_');
      const saved = await mandate(args, withGroq, `${GROQ_KEY}\n`);
      outputs.push(saved.stdout, saved.stderr);
      expect(saved.code, saved.stderr).to.equal(0);
      expect(saved.stdout).to.equal('saved the groq key of carol (…Gq31)\n');
      expect(await plaintextOf('carol', 'groq')).to.equal(GROQ_KEY);
      const listed = await mandate(['key', 'list', '--user', 'carol'], withGroq);
      expect(listed.stdout).to.match(/groq +…Gq31/);
    });

    it('no output ever held a key, and the database holds none in plaintext', async () => {
      const all = outputs.join('\n');
      const dump = await dumpDatabase(t);
      for (const key of ALL_KEYS) {
        expect(all).to.not.include(key);
        expect(dump).to.not.include(key);
      }
      expect(all).to.not.include('sk-proj-Argv_0123456789abcdef_Zz');
    });
  });
}
