import type { Server } from 'node:http';
import type { BuiltProxy } from '../build-proxy.ts';

/**
 * The proxy's graceful stop, in the order that loses nothing: stop taking connections
 * (idle keep-alive ones closed), let requests in flight run until the drain deadline and
 * cut the rest, wait until each has settled and queued its usage record, close what
 * connections remain, then write the queued records. The caller closes the database
 * after this resolves.
 */
export async function stopGracefully(
  server: Server,
  proxy: Pick<BuiltProxy, 'drain' | 'stop'>,
  drainTimeoutMs?: number,
): Promise<void> {
  const closed = new Promise<void>((done) => server.close(() => done()));
  server.closeIdleConnections();
  await proxy.drain(drainTimeoutMs);
  server.closeAllConnections();
  await closed;
  await proxy.stop();
}
