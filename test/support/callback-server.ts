import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The app's redirect URI: a tiny local server that records each callback's full URL. */
export interface CallbackServer {
  redirectUri: string;
  /** The next callback (or one already received and not yet taken). */
  next(timeoutMs: number, describeWait: () => string): Promise<URL>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1; `/callback` is the redirect URI, answered with a small "Back in the app" page. */
export async function startCallbackServer(): Promise<CallbackServer> {
  const received: URL[] = [];
  const waiters: Array<(url: URL) => void> = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    if (url.pathname === '/callback') {
      const waiter = waiters.shift();
      if (waiter) waiter(url);
      else received.push(url);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>Test app</title><h1>Back in the app</h1></html>');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    redirectUri: `${base}/callback`,
    next(timeoutMs, describeWait) {
      const ready = received.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(done), 1);
          reject(new Error(`the app's callback was not reached within ${timeoutMs} ms; ${describeWait()}`));
        }, timeoutMs);
        const done = (url: URL) => {
          clearTimeout(timer);
          resolve(url);
        };
        waiters.push(done);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
