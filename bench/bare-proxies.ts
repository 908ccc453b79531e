/**
 * The reference pass-throughs: a minimal `createProxyServer({ target })` of http-proxy
 * 1.18 and of http-proxy-3, and a bare `node:http` one (the client's request piped into
 * `http.request`, the answer piped back, as Mandate's forwarder sends), each behind a
 * plain `node:http` server, with a keep-alive agent like Mandate's forwarder (keepAlive,
 * maxSockets 1024). No auth, no header rewriting, no logging: what any reverse proxy on
 * these costs.
 */
import { Agent, createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import { createProxyServer } from 'http-proxy-3';

export interface BareProxy {
  url: string;
  close(): Promise<void>;
}

function badGateway(res: ServerResponse) {
  if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
  res.end('bad gateway');
}

async function listen(server: Server, closeProxy: () => void, agent: Agent): Promise<BareProxy> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      closeProxy();
      agent.destroy();
    },
  };
}

/** http-proxy 1.18.1 */
export function startHttpProxy(target: string): Promise<BareProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  const proxy = httpProxy.createProxyServer({ target, agent });
  proxy.on('error', (_err, _req, res) => {
    if ('writeHead' in res) badGateway(res);
  });
  const server = createServer((req, res) => proxy.web(req, res));
  return listen(server, () => proxy.close(), agent);
}

/** http-proxy-3 (the library Mandate's forwarder used before it sent with node:http) */
export function startHttpProxy3(target: string): Promise<BareProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  const proxy = createProxyServer({ target, agent });
  proxy.on('error', (_err, _req, res) => {
    if ('writeHead' in res) badGateway(res as ServerResponse);
  });
  const server = createServer((req, res) => proxy.web(req, res));
  return listen(server, () => proxy.close(), agent);
}

/** node:http alone (what Mandate's forwarder sends with) */
export function startNodeHttp(target: string): Promise<BareProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  const base = new URL(target);
  const server = createServer((req, res) => {
    const upstream = request(
      {
        host: base.hostname,
        port: base.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: base.host },
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => badGateway(res));
    req.pipe(upstream);
  });
  return listen(server, () => undefined, agent);
}
