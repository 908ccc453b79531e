/**
 * `npm run bench:dpop`: what a DPoP-bound token (RFC 9449) adds to each proxy request, in
 * one run on this machine: the proxy's proof check (`createDpopCheck`: decode, ES256
 * verification with the proof's embedded key, thumbprint, `htm`/`htu`/`ath`/`iat`) and its
 * replay claim (one insert into `dpop_proofs`) on SQLite and on PostgreSQL, beside the
 * access-token verification every request already pays (`createTokenVerifier`, whose
 * cache answers a token seen before). Sequential calls in this process, CPU from
 * `process.cpuUsage()` per call; on PostgreSQL the backend's CPU from /proc too. Proofs
 * are signed before measuring (the client's cost is not the proxy's).
 *
 *   npm run bench:dpop [-- --count 2000 --database postgres://postgres@127.0.0.1:5432/postgres]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createDpopCheck } from '../src/proxy/auth/dpop-check.ts';
import { createTokenVerifier, type TokenClaims } from '../src/proxy/auth/verify-token.ts';
import { createDatabase, type Database } from '../src/storage/create-database.ts';
import { createDpopProofStore } from '../src/storage/dpop-proof-store.ts';
import { migrateLatest } from '../src/storage/migrate.ts';
import { dpopProof } from '../test/support/dpop-fetch.ts';
import { backendCpuBetween, createBenchDatabase } from './bench-database.ts';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    database: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const COUNT = Number(opts.count);
const PROXY = 'http://127.0.0.1:4000';
const PATH = '/openai/v1/chat/completions';
const ISSUER = 'http://127.0.0.1:3000';

interface Row {
  what: string;
  cpuUs: number;
  wallUs: number;
  databaseUs?: number;
}

async function measure(
  what: string,
  run: (i: number) => Promise<unknown>,
  database?: () => Promise<Map<number, number>>,
) {
  for (let i = 0; i < Math.min(200, COUNT); i += 1) await run(-1 - i); // warm-up
  const db0 = database ? await database() : undefined;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < COUNT; i += 1) await run(i);
  const wallUs = ((performance.now() - wall0) * 1000) / COUNT;
  const cpu = process.cpuUsage(cpu0);
  const row: Row = { what, cpuUs: (cpu.user + cpu.system) / COUNT, wallUs };
  if (db0 && database) row.databaseUs = backendCpuBetween(db0, await database()) / COUNT;
  return row;
}

async function main(): Promise<void> {
  const keys = await generateKeyPair('ES256', { extractable: true });
  const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));
  const signing = await generateKeyPair('ES256');
  const accessToken = await new SignJWT({
    jti: 'at-1',
    client_id: 'app',
    scope: 'openai:*:chat',
    grant_id: 'g-1',
    cnf: { jkt },
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k' })
    .setIssuer(ISSUER)
    .setAudience(PROXY)
    .setSubject('person')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(signing.privateKey);
  const verifyToken = createTokenVerifier({
    getKey: async () => signing.publicKey,
    issuer: ISSUER,
    audience: PROXY,
    leewaySeconds: 5,
    clock: Date.now,
  });
  const claims: TokenClaims = await verifyToken(accessToken);
  const warm = Math.min(200, COUNT);
  const proofs = await Promise.all(
    Array.from({ length: COUNT + warm }, () =>
      dpopProof(keys, { htm: 'POST', htu: `${PROXY}${PATH}`, accessToken }),
    ),
  );
  const proofAt = (i: number) => proofs[i < 0 ? COUNT - 1 - i : i] as string;
  const request = (i: number) => ({ method: 'POST', headersDistinct: { dpop: [proofAt(i)] } }) as never;
  const presented = { token: accessToken, scheme: 'DPoP' as const };

  const rows: Row[] = [];
  rows.push(
    await measure('access-token verification (cached), every request', () => verifyToken(accessToken)),
  );
  const noClaim = createDpopCheck({ proxyUrl: PROXY, claim: async () => true, clock: Date.now });
  rows.push(
    await measure('DPoP proof check without the replay claim', (i) =>
      noClaim(request(i), PATH, presented, claims),
    ),
  );

  const sqliteDir = mkdtempSync(join(tmpdir(), 'mandate-bench-dpop-'));
  const engines: Array<{ name: string; db: Database; cpu?: () => Promise<Map<number, number>> }> = [];
  const sqlite = createDatabase({ url: `sqlite:${join(sqliteDir, 'bench.sqlite')}`, poolMax: 1 });
  engines.push({ name: 'SQLite', db: sqlite });
  const pgDb = await createBenchDatabase(opts.database, 'mandate_bench_dpop');
  const postgres = createDatabase({ url: pgDb.url, poolMax: 5 });
  engines.push({ name: 'PostgreSQL', db: postgres, cpu: () => pgDb.backendCpu() });
  try {
    for (const { name, db, cpu } of engines) {
      await migrateLatest(db);
      // A fresh store per engine: each proof is claimed once per engine.
      const store = createDpopProofStore(db, Date.now);
      const check = createDpopCheck({ proxyUrl: PROXY, claim: store.claim, clock: Date.now });
      rows.push(
        await measure(
          `DPoP proof check with its claim, ${name}`,
          (i) => check(request(i), PATH, presented, claims),
          cpu,
        ),
      );
    }
  } finally {
    await sqlite.destroy();
    await postgres.destroy();
    await pgDb.drop();
  }

  const us = (n: number | undefined) => (n === undefined ? '–' : `${n.toFixed(0)} µs`);
  console.log(
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${COUNT} calls each, one after another.\n`,
  );
  console.log('| step | CPU per request (this process) | database CPU per request | wall per request |');
  console.log('| ---- | ------------------------------ | ------------------------ | ---------------- |');
  for (const r of rows) console.log(`| ${r.what} | ${us(r.cpuUs)} | ${us(r.databaseUs)} | ${us(r.wallUs)} |`);
}

await main();
