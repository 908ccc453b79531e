import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CallbackServer {
  /** `http://127.0.0.1:PORT/callback`, registered as the demo app's redirect URI. */
  redirectUri: string;
  /** The full URL of the first callback. */
  received: Promise<URL>;
  close(): Promise<void>;
}

const PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Mandate demo</title>
<body style="font-family:system-ui;max-width:36rem;margin:3rem auto;padding:0 1rem">
<h1>Back in the demo app</h1><p>You can close this tab: the demo goes on in your terminal.</p></body></html>`;

/** The demo app's redirect URI: a server on a random loopback port that takes one callback. */
export async function startCallbackServer(): Promise<CallbackServer> {
  let base = '';
  let deliver: (url: URL) => void = () => undefined;
  const received = new Promise<URL>((resolve) => {
    deliver = resolve;
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    deliver(url);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    redirectUri: `${base}/callback`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
