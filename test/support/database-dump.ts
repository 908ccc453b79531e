import type { TestDatabase } from './databases.ts';

/** Every row of every table of a test database as one string, to assert a secret is nowhere in it. */
export async function dumpDatabase(t: TestDatabase): Promise<string> {
  const tables =
    t.engine === 'sqlite'
      ? (await t.db.raw("select name from sqlite_master where type = 'table'")).map(
          (r: { name: string }) => r.name,
        )
      : (
          await t.db.raw(
            'select table_name as name from information_schema.tables where table_schema = current_schema()',
          )
        ).rows.map((r: { name: string }) => r.name);
  const rows: Record<string, unknown[]> = {};
  for (const table of tables as string[]) rows[table] = await t.db(table).select();
  return JSON.stringify(rows);
}
