import { expect } from 'chai';
import {
  assertMigrated,
  migrateLatest,
  migrateRollbackAll,
  NotMigratedError,
} from '../../../src/storage/migrate.ts';
import { createTestDatabase, engines } from '../../support/databases.ts';

for (const engine of engines) {
  describe(`migrations (${engine})`, () => {
    it('refuses an unmigrated database with a clear message, then migrates, rolls back and migrates again', async () => {
      const t = await createTestDatabase(engine, { migrate: false });
      try {
        let error: unknown;
        try {
          await assertMigrated(t.db);
        } catch (err) {
          error = err;
        }
        expect(error).to.be.instanceOf(NotMigratedError);
        expect((error as Error).message).to.match(/mandate migrate/);
        expect(await migrateLatest(t.db)).to.have.length.greaterThan(0);
        await assertMigrated(t.db);
        expect(await migrateLatest(t.db)).to.deep.equal([]);
        await migrateRollbackAll(t.db);
        expect(await t.db.schema.hasTable('grants')).to.equal(false);
        await migrateLatest(t.db);
        expect(await t.db.schema.hasTable('grants')).to.equal(true);
      } finally {
        await t.drop();
      }
    });
  });
}
