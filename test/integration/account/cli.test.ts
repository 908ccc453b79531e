import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { registerClient } from '../../../src/as/register-client.ts';
import { createStores, type Stores, systemClock } from '../../../src/storage/index.ts';
import { formatAgainstCap, formatPeriod } from '../../../src/usage/format-usage.ts';
import { createGrantUsage } from '../../../src/usage/grant-usage.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';
import { runCli } from '../../support/run-cli.ts';
import { insertUsage } from './usage-records.ts';

const DAY = 24 * 3600 * 1000;

/*
 * `mandate usage` and `mandate grant show` print the same figures as the person's
 * pages (computed by the same module), from a real database on each engine.
 */
for (const engine of engines) {
  describe(`mandate usage and grant show (${engine})`, function () {
    this.timeout(30000);
    let t: TestDatabase;
    let dir: string;
    let env: Record<string, string>;
    let stores: Stores;
    let clientId: string;

    before(async () => {
      t = await createTestDatabase(engine);
      dir = mkdtempSync(join(tmpdir(), 'mandate-usage-cli-'));
      env = {
        MANDATE_DATA_DIR: dir,
        MANDATE_DATABASE_URL: t.url,
        MANDATE_SIGNING_KEYS_FILE: join(dir, 'keys.json'),
        MANDATE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
        MANDATE_PROXY_CLIENT_SECRET: randomBytes(32).toString('base64url'),
      };
      stores = createStores(t.db, systemClock, { loginWindowMs: 60_000 });
      const carol = await stores.accounts.create('carol', 'x');
      const dave = await stores.accounts.create('dave', 'x');
      ({ clientId } = await registerClient(stores.clients, {
        name: 'Notebook',
        redirectUris: ['https://n.example/cb'],
        allowedScopes: ['openai:*:chat'],
        confidential: false,
      }));
      // Records of this UTC month, even in a month's first second.
      const start = new Date();
      const now = Math.max(Date.now(), Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1) + 1000);
      await stores.grants.record({
        id: 'g-carol',
        accountId: carol.id,
        clientId,
        scopes: ['openai:*:chat'],
        expiresAt: now + 30 * DAY,
        limits: {
          maxRequests: 500,
          maxTokens: 100_000,
          maxSpendMicroUsd: 5_000_000,
          limitPeriod: 'month',
          requestsPerMinute: 20,
        },
      });
      await stores.grants.record({
        id: 'g-dave',
        accountId: dave.id,
        clientId,
        scopes: ['openai:gpt-4o-mini:chat'],
        expiresAt: now + DAY,
      });
      await insertUsage(t.db, { id: 'g-carol', accountId: carol.id, clientId }, [
        { createdAt: now - 1000, inputTokens: 12_000, outputTokens: 345, costMicroUsd: 12_345 },
        {
          createdAt: now - 500,
          inputTokens: 100,
          outputTokens: 20,
          costMicroUsd: 1_234,
          model: 'gpt-4.1-mini',
        },
      ]);
      await insertUsage(t.db, { id: 'g-dave', accountId: dave.id, clientId }, [
        {
          createdAt: now - 100,
          inputTokens: 5,
          outputTokens: 5,
          costMicroUsd: null,
          status: 502,
          upstreamFailed: true,
        },
      ]);
      expect((await stores.grants.lowerLimits('g-carol', { maxRequests: 400 }, 'cli')).ok).to.equal(true);
    });
    after(async () => {
      await t.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    const figures = async (id: string) =>
      createGrantUsage(t.db)(
        (await stores.grants.find(id)) as NonNullable<Awaited<ReturnType<Stores['grants']['find']>>>,
        Date.now(),
      );

    it('usage: a row per live grant with period and usage against each cap, as the pages say it', async () => {
      const run = await runCli(['usage'], env);
      expect(run.code, run.stderr).to.equal(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).to.match(/^GRANT ID +USER +APP +STATE +SCOPE +PERIOD +REQUESTS +TOKENS +SPEND$/);
      // A row for each grant as a whole, and one for each provider it can use.
      expect(lines).to.have.length(5);
      const row = (id: string, scope: string) =>
        lines.find((l) => l.startsWith(id) && new RegExp(` live +${scope} `).test(l)) as string;
      const carol = row('g-carol', 'all');
      const usage = await figures('g-carol');
      expect(carol).to.include('carol').and.include('Notebook').and.include('live');
      expect(carol).to.include(formatPeriod(usage.period));
      expect(carol).to.include(`${formatAgainstCap('requests', usage.requests)}, 398 left`);
      expect(carol).to.include('2 of 400 (<1%), 398 left');
      expect(carol).to.include('12,465 of 100,000 (12%), 87,535 left');
      expect(carol).to.include('$0.01 of $5.00 (<1%), $4.99 left');
      // OpenAI has no caps of its own on this grant: its row says what it used.
      expect(row('g-carol', 'openai')).to.include('2 (no cap)').and.include('12,465 (no cap)');
      // The proxy does not charge a request that failed upstream (502): not one request.
      const dave = row('g-dave', 'all');
      expect(dave)
        .to.include('lifetime (never resets)')
        .and.include('0 (no cap)')
        .and.include('$0.00 (no cap)');
    });

    it('usage --account and --grant narrow it down; unknown names are usage errors', async () => {
      const mine = await runCli(['usage', '--account', 'carol'], env);
      expect(mine.stdout).to.include('g-carol').and.not.include('g-dave');
      const one = await runCli(['usage', '--grant', 'g-dave'], env);
      expect(one.stdout).to.include('g-dave').and.not.include('g-carol');
      const nobody = await runCli(['usage', '--account', 'erin'], env);
      expect(nobody.code).to.equal(2);
      expect(nobody.stderr).to.match(/no user named erin/);
      const none = await runCli(['usage', '--grant', 'nope'], env);
      expect(none.code).to.equal(2);
      expect(none.stderr).to.match(/no grant nope/);
    });

    it('grant show: scopes, limits, usage against caps, last 30 days, recent requests and history', async () => {
      const run = await runCli(['grant', 'show', 'g-carol'], env);
      expect(run.code, run.stderr).to.equal(0);
      const out = run.stdout;
      expect(out).to.match(/^Grant +g-carol$/m);
      expect(out).to.match(new RegExp(`^App +Notebook \\(${clientId}\\)$`, 'm'));
      expect(out).to.match(/^User +carol$/m);
      expect(out).to.match(/^State +live$/m);
      expect(out).to.match(/^Scopes +openai:\*:chat$/m);
      expect(out).to.match(
        /^Limits +at most 400 requests, 100,000 tokens, \$5\.00 each calendar month; 20 requests per minute$/m,
      );
      expect(out).to.match(/^ {2}SCOPE +REQUESTS +TOKENS +SPENDING$/m);
      expect(out).to.match(
        /^ {2}all +2 of 400 \(<1%\), 398 left +12,465 of 100,000 \(12%\), 87,535 left +\$0\.01 of \$5\.00 \(<1%\), \$4\.99 left$/m,
      );
      expect(out).to.match(/^ {2}openai +2 \(no cap\) +12,465 \(no cap\) +\$0\.01 \(no cap\)$/m);
      expect(out).to.match(
        /^Last 30 days \(\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d, UTC\): 2 requests, 12,465 tokens, \$0\.01$/m,
      );
      // Recent requests, newest first, and the history, oldest first.
      const recent = out.slice(out.indexOf('Recent requests'), out.indexOf('History'));
      expect(recent.indexOf('openai:gpt-4.1-mini')).to.be.greaterThan(0);
      expect(recent.indexOf('openai:gpt-4.1-mini')).to.be.lessThan(recent.indexOf('openai:gpt-4o-mini'));
      expect(recent).to.include('$0.001234').and.include('12,000');
      const history = out.slice(out.indexOf('History'));
      expect(history).to.match(/Limits lowered +Limits lowered by the operator: most requests 500 → 400\./);
    });

    it('grant show marks an ended grant and its history; a missing id is a usage error', async () => {
      expect(await stores.revocations.revokeGrant('g-dave', 'cli')).to.equal(true);
      const run = await runCli(['grant', 'show', 'g-dave'], env);
      expect(run.stdout).to.match(/^State +revoked \(cli\) since \d{4}-\d\d-\d\d \d\d:\d\d UTC$/m);
      expect(run.stdout).to.include('502 upstream failed').and.include('no price');
      expect(run.stdout).to.match(/Revoked +Access revoked by the operator\./);
      expect((await runCli(['usage'], env)).stdout).to.not.include('g-dave');
      const missing = await runCli(['grant', 'show'], env);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.match(/usage: mandate grant show GRANT_ID/);
    });
  });
}
