import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { type RunningLiveness, startLiveness } from '../../../src/proxy/liveness/start-liveness.ts';
import { engines } from '../../support/databases.ts';
import { createWorld, feedEvents, type World } from './harness.ts';

const budgetMs = { pg: 100, sqlite: 1000 } as const;
const pollIntervalMs = 250;
const rounds = 10; // of each kind: 20 revocations

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const ms = (n: number | undefined) => `${(n ?? Number.NaN).toFixed(1)} ms`;

for (const engine of engines) {
  describe(`proxy liveness: revocation delay (${engine})`, () => {
    let world: World;
    let liveness: RunningLiveness;
    const events = feedEvents();
    const clock = () => Date.now();

    before(async () => {
      world = await createWorld(engine, clock);
      liveness = await startLiveness({
        db: world.proxyDb,
        databaseUrl: world.t.url,
        pollIntervalMs,
        maxSilenceMs: 5000,
        maxTokenTtlMs: 3_600_000,
        clock,
        onEvent: events.record,
      });
    });
    after(async () => {
      await liveness.stop();
      await world.close();
    });

    it(`a revocation by another process is refused within ${budgetMs[engine]} ms`, async () => {
      const delays = { grant: [] as number[], token: [] as number[] };
      const fromCall: number[] = [];
      const exp = Math.floor(Date.now() / 1000) + 3600;
      for (let i = 0; i < rounds; i++) {
        for (const kind of ['grant', 'token'] as const) {
          const grantId = `g-${kind}-${i}`;
          const jti = `j-${kind}-${i}`;
          await world.recordGrant(grantId, Date.now() + 86_400_000);
          expect(await liveness.check({ grantId, jti, exp })).to.equal('live');

          const delivered = events.delivering(kind === 'grant' ? grantId : jti);
          const called = performance.now();
          if (kind === 'grant') await world.as.revocations.revokeGrant(grantId, 'account_page');
          else await world.as.revocations.revokeToken(jti, grantId, exp * 1000, 'access_token_revoked');
          const returned = performance.now();
          await delivered;
          expect(await liveness.check({ grantId, jti, exp })).to.equal('revoked');
          const answered = performance.now();
          delays[kind].push(answered - returned);
          fromCall.push(answered - called);
        }
      }
      const all = [...delays.grant, ...delays.token].sort((a, b) => a - b);
      const line = (name: string, xs: number[]) => {
        const s = [...xs].sort((a, b) => a - b);
        return `${name} p50 ${ms(percentile(s, 0.5))} max ${ms(s.at(-1))}`;
      };
      console.log(
        `      ${engine}: revoke returned → check says revoked, over ${all.length}: ` +
          `${line('all', all)}; ${line('grants', delays.grant)}; ${line('token ids', delays.token)}; ` +
          `from the revoke call (commit included): ${line('all', fromCall)}`,
      );
      expect(all.at(-1)).to.be.below(budgetMs[engine]);
    });
  });
}
