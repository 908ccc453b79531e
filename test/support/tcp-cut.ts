import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP forwarder on 127.0.0.1 to `target` (host:port) that a test can cut: `cut()`
 * destroys every connection through it and refuses new ones (they are closed at once),
 * as a database behind a failed network would look; `blackhole()` destroys them too but
 * then accepts new connections and never answers (a firewall that drops packets);
 * `restore()` forwards again.
 */
export async function startTcpCut(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let cut = false;
  let silent = false;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    if (silent) {
      sockets.add(client);
      client.once('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      client.resume();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    /** `url` with its host and port replaced by this forwarder's. */
    through(url: string): string {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    blackhole() {
      silent = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      cut = false;
      silent = false;
      for (const s of sockets) s.destroy();
    },
    async close() {
      cut = true;
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
