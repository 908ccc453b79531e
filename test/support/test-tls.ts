import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  key: string;
  /** Self-signed, for `localhost` and 127.0.0.1: also the CA to trust. */
  cert: string;
}

/** A fresh self-signed certificate (openssl), made for one test run. */
export function generateTestCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'mandate-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type DocumentHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface DocumentServer {
  /** `https://localhost:<port>` */
  origin: string;
  port: number;
  /** How many requests each path got. */
  hits(path: string): number;
  /** Serves `handler` at `path` (replacing an earlier one). */
  route(path: string, handler: DocumentHandler): void;
  close(): Promise<void>;
}

/** A local https server for Client ID Metadata Documents, counting requests per path. */
export async function startDocumentServer(tls: TestCertificate): Promise<DocumentServer> {
  const routes = new Map<string, DocumentHandler>();
  const counts = new Map<string, number>();
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (handler) return handler(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://localhost:${port}`,
    port,
    hits: (path) => counts.get(path) ?? 0,
    route: (path, handler) => routes.set(path, handler),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A handler answering a JSON document with the given headers. */
export function json(body: unknown, headers: Record<string, string> = {}): DocumentHandler {
  return (_req, res) => {
    const text = JSON.stringify(body);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
}
