import type { Server } from 'node:http';
import type { Config } from '../../src/config/index.ts';
import { assertMigrated, migrateLatest } from '../../src/storage/index.ts';
import type { LogFormat } from './logger.ts';
import { openDatabase } from './resolve-config.ts';

export interface ServeOptions {
  /** The embedded default migrates by itself; production refuses an unmigrated database. */
  migrate: boolean;
  as: boolean;
  proxy: boolean;
  /** JSON lines unless `pretty` (readable on a terminal). */
  logs?: LogFormat;
}

function drain(server: Server): Promise<void> {
  const closed = new Promise<void>((done) => server.close(() => done()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), 10_000);
  return closed.finally(() => clearTimeout(deadline));
}

/**
 * Runs the authorization server, the proxy, or both (each over its own database
 * handle). On SIGINT/SIGTERM they stop taking connections and let requests in flight
 * finish (the AS at most 10 s; the proxy `proxy.drainTimeoutMs`, then it cuts the rest
 * and settles and records every one), then the databases are closed and the process leaves.
 */
export async function serve(config: Config, options: ServeOptions): Promise<void> {
  const running: Array<{ banner: string[]; stop(): Promise<void>; db: { destroy(): Promise<void> } }> = [];
  if (options.as) {
    const db = openDatabase(config);
    if (options.migrate) await migrateLatest(db);
    await assertMigrated(db);
    // Loaded only by a process that runs it: a proxy process never loads oidc-provider.
    const { startAs } = await import('./start-as.ts');
    const as = await startAs(config, db, options.logs);
    running.push({
      banner: as.banner,
      async stop() {
        await drain(as.server);
        await as.stop();
      },
      db,
    });
  }
  if (options.proxy) {
    const db = openDatabase(config);
    await assertMigrated(db);
    const { startProxy } = await import('./start-proxy.ts');
    // Its stop drains the server itself: requests settle and usage is written first.
    running.push({ ...(await startProxy(config, db, options.logs)), db });
  }
  // Ready only once every server listens: a port in use stops the process before this.
  for (const line of running.flatMap((r) => r.banner)) console.log(line);
  const stop = async () => {
    await Promise.all(running.map((r) => r.stop()));
    for (const r of running) await r.db.destroy();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
