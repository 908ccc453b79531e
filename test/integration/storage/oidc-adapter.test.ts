import { expect } from 'chai';
import { hashClientSecret } from '../../../src/shared/client-secret.ts';
import { createOidcAdapterFactory, purgeExpired } from '../../../src/storage/oidc-adapter.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';

for (const engine of engines) {
  describe(`oidc-provider adapter contract (${engine})`, () => {
    let t: TestDatabase;
    let now = 1_800_000_000_000;
    const clock = () => now;
    let adapter: ReturnType<typeof createOidcAdapterFactory>;

    before(async () => {
      t = await createTestDatabase(engine);
      const revocations = createRevocationStore(t.db, clock);
      adapter = createOidcAdapterFactory({
        db: t.db,
        clock,
        revocations,
        grantRevocationReason: () => 'refresh_token_revoked',
      });
    });
    after(() => t.drop());

    it('stores and finds a payload by id, replacing it on upsert', async () => {
      const a = adapter('AuthorizationCode');
      await a.upsert('code-1', { kind: 'AuthorizationCode', grantId: 'g1', accountId: 'acc' }, 60);
      expect(await a.find('code-1')).to.deep.equal({
        kind: 'AuthorizationCode',
        grantId: 'g1',
        accountId: 'acc',
      });
      await a.upsert('code-1', { kind: 'AuthorizationCode', grantId: 'g1', accountId: 'acc2' }, 60);
      expect((await a.find('code-1'))?.accountId).to.equal('acc2');
      expect(await a.find('nope')).to.equal(undefined);
    });

    it('keeps models apart: the same id in two models is two rows', async () => {
      await adapter('Session').upsert('same', { kind: 'Session', accountId: 's' }, 60);
      await adapter('Interaction').upsert('same', { kind: 'Interaction', uid: 'u' }, 60);
      expect((await adapter('Session').find('same'))?.kind).to.equal('Session');
      expect((await adapter('Interaction').find('same'))?.kind).to.equal('Interaction');
    });

    it('honours expiry on read, and a payload without expiry never expires', async () => {
      const a = adapter('Interaction');
      await a.upsert('short', { kind: 'Interaction' }, 10);
      await a.upsert('forever', { kind: 'Interaction' }, undefined as unknown as number);
      now += 9_000;
      expect(await a.find('short')).to.not.equal(undefined);
      now += 1_000;
      expect(await a.find('short')).to.equal(undefined);
      expect(await a.find('forever')).to.not.equal(undefined);
    });

    it('finds by uid and by user code, expiry honoured', async () => {
      await adapter('Session').upsert('sess-1', { kind: 'Session', uid: 'uid-1' }, 100);
      await adapter('DeviceCode').upsert('dc-1', { kind: 'DeviceCode', userCode: 'ABCD-EFGH' }, 100);
      expect((await adapter('Session').findByUid('uid-1'))?.kind).to.equal('Session');
      expect((await adapter('DeviceCode').findByUserCode('ABCD-EFGH'))?.kind).to.equal('DeviceCode');
      expect(await adapter('Session').findByUid('uid-2')).to.equal(undefined);
      now += 101_000;
      expect(await adapter('Session').findByUid('uid-1')).to.equal(undefined);
      expect(await adapter('DeviceCode').findByUserCode('ABCD-EFGH')).to.equal(undefined);
    });

    it('marks a payload consumed', async () => {
      const a = adapter('RefreshToken');
      await a.upsert('rt-1', { kind: 'RefreshToken', grantId: 'g2' }, 100);
      expect((await a.find('rt-1'))?.consumed).to.equal(undefined);
      await a.consume('rt-1');
      expect((await a.find('rt-1'))?.consumed)
        .to.be.a('number')
        .above(0);
    });

    it('consumes once: a second, concurrent consume is reuse, which revokes the grant', async () => {
      const a = adapter('AuthorizationCode');
      await a.upsert('code-race', { kind: 'AuthorizationCode', grantId: 'g-race' }, 100);
      const results = await Promise.allSettled([a.consume('code-race'), a.consume('code-race')]);
      expect(results.map((r) => r.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
      const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(failure.reason.error).to.equal('invalid_grant');
      expect(await t.db('revocations').where({ subject_id: 'g-race', reason: 'code_reuse' })).to.have.length(
        1,
      );
    });

    it('destroys one payload', async () => {
      const a = adapter('AccessToken');
      await a.upsert('at-1', { kind: 'AccessToken' }, 100);
      await a.destroy('at-1');
      expect(await a.find('at-1')).to.equal(undefined);
    });

    it('revokes by grant id only within its own model', async () => {
      await adapter('RefreshToken').upsert('rt-a', { kind: 'RefreshToken', grantId: 'g3' }, 100);
      await adapter('RefreshToken').upsert('rt-b', { kind: 'RefreshToken', grantId: 'other' }, 100);
      await adapter('AccessToken').upsert('at-a', { kind: 'AccessToken', grantId: 'g3' }, 100);
      await adapter('RefreshToken').revokeByGrantId('g3');
      expect(await adapter('RefreshToken').find('rt-a')).to.equal(undefined);
      expect(await adapter('RefreshToken').find('rt-b')).to.not.equal(undefined);
      expect(await adapter('AccessToken').find('at-a')).to.not.equal(undefined);
    });

    it('destroying a Grant marks it revoked durably and appends to the revocation log once', async () => {
      await t
        .db('accounts')
        .insert({ id: 'acc-g', username: 'g', password_hash: 'x', created_at: now, updated_at: now });
      await t.db('grants').insert({
        id: 'g4',
        account_id: 'acc-g',
        client_id: 'app',
        scopes: 'openai:*:chat',
        created_at: now,
        expires_at: now + 1e6,
      });
      await adapter('Grant').upsert('g4', { kind: 'Grant', accountId: 'acc-g' }, 1000);
      await adapter('RefreshToken').upsert('rt-g4', { kind: 'RefreshToken', grantId: 'g4' }, 100);
      const before = await t.db('revocations').count({ n: '*' }).first();
      await adapter('Grant').destroy('g4');
      await adapter('Grant').destroy('g4');
      expect(await adapter('Grant').find('g4')).to.equal(undefined);
      expect(await adapter('RefreshToken').find('rt-g4')).to.equal(undefined);
      const grant = await t.db('grants').where({ id: 'g4' }).first();
      expect(Number(grant.revoked_at)).to.equal(now);
      expect(grant.revoked_reason).to.equal('refresh_token_revoked');
      const log = await t.db('revocations').where({ subject_id: 'g4' });
      expect(log).to.have.length(1);
      expect(log[0].kind).to.equal('grant');
      const after = await t.db('revocations').count({ n: '*' }).first();
      expect(Number(after?.n) - Number(before?.n)).to.equal(1);
    });

    it('sequence numbers increase monotonically and a reader can catch up from any point', async () => {
      const store = createRevocationStore(t.db, clock);
      const start = await store.lastSeq();
      await store.revokeToken('jti-1', 'gx', now + 1000, 'access_token_revoked');
      await store.revokeToken('jti-1', 'gx', now + 1000, 'access_token_revoked');
      await store.revokeToken('jti-2', 'gx', now + 1000, 'access_token_revoked');
      const entries = await store.readLog(start);
      expect(entries.map((e) => e.subjectId)).to.deep.equal(['jti-1', 'jti-2']);
      expect(entries[1]?.seq).to.be.greaterThan(entries[0]?.seq ?? Infinity);
      expect(await store.readLog(entries[0]?.seq ?? 0)).to.have.length(1);
      expect(await store.isTokenRevoked('jti-1')).to.equal(true);
      expect(await store.isTokenRevoked('jti-3')).to.equal(false);
    });

    it('purges expired payloads and expired token revocations, and nothing live', async () => {
      await adapter('Session').upsert('old', { kind: 'Session' }, 1);
      await adapter('Session').upsert('young', { kind: 'Session' }, 10_000);
      now += 2_000;
      const purged = await purgeExpired(t.db, clock);
      expect(purged.payloads).to.be.greaterThan(0);
      const rows = await t.db('oidc_payloads').where({ model: 'Session', id: 'old' });
      expect(rows).to.have.length(0);
      expect(await adapter('Session').find('young')).to.not.equal(undefined);
      expect(purged.revokedTokens).to.equal(2);
    });

    it('reads a Client with its secret hash', async () => {
      await t.db('clients').insert({
        client_id: 'c1',
        metadata: JSON.stringify({ client_id: 'c1', redirect_uris: ['https://app.example/cb'] }),
        secret_hash: 'sha256:abc',
        created_at: now,
      });
      const found = await adapter('Client').find('c1');
      expect(found?.client_secret).to.equal('sha256:abc');
      expect(found?.redirect_uris).to.deep.equal(['https://app.example/cb']);
    });

    it('writes a registered Client with its secret hashed, keeps a stored hash, and deletes it', async () => {
      const clients = adapter('Client');
      await clients.upsert(
        'dcr_1',
        { client_id: 'dcr_1', client_secret: 'plain-secret', client_name: 'A' },
        0,
      );
      const row = await t.db('clients').where({ client_id: 'dcr_1' }).first();
      expect(row.secret_hash).to.equal(hashClientSecret('plain-secret'));
      expect(JSON.parse(row.metadata)).to.deep.equal({ client_id: 'dcr_1', client_name: 'A' });
      // An update hands the stored hash back: it is kept, not hashed again.
      await clients.upsert(
        'dcr_1',
        { client_id: 'dcr_1', client_secret: row.secret_hash, client_name: 'B' },
        0,
      );
      const updated = await t.db('clients').where({ client_id: 'dcr_1' }).first();
      expect(updated.secret_hash).to.equal(hashClientSecret('plain-secret'));
      expect(JSON.parse(updated.metadata).client_name).to.equal('B');
      // A public client: no hash at all.
      await clients.upsert('dcr_2', { client_id: 'dcr_2', token_endpoint_auth_method: 'none' }, 0);
      expect((await t.db('clients').where({ client_id: 'dcr_2' }).first()).secret_hash).to.equal(null);
      await clients.destroy('dcr_1');
      expect(await clients.find('dcr_1')).to.equal(undefined);
      expect(await clients.find('dcr_2')).to.have.property('client_id', 'dcr_2');
    });
  });
}
