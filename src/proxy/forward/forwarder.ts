import { Agent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { ProxyError } from '../errors/proxy-error.ts';

export interface ForwardRequest {
  req: IncomingMessage;
  res: ServerResponse;
  target: URL;
  /** The complete set of headers to send upstream (nothing of the client's is added). */
  headers: Record<string, string>;
  body: Buffer;
  /**
   * Called with the upstream response; it writes the client response itself (pipe,
   * filter or replace). Resolves when the client response is finished.
   */
  onResponse(upstream: UpstreamResponse): Promise<void>;
  /**
   * Aborted when the proxy ends this request early (revocation, drain deadline). Before
   * the upstream answered: the upstream request is aborted and the outcome says the
   * client response was not begun (the caller answers with the signal's reason); after:
   * the client response is ended where it stands and the upstream response destroyed, so
   * the provider stops generating. Either way the outcome counts as `clientAborted`.
   */
  signal?: AbortSignal;
  /**
   * Called once the whole request (headers and body) was written to the upstream's
   * socket: from then on the provider may run it, and bill it, even if no answer comes.
   */
  onDelivered?(): void;
}

/**
 * The upstream's answer. Its body is paused until a responder consumes it; whoever
 * reads it calls `received` for every chunk (byte count and the silence timer).
 */
export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingMessage['headers'];
  body: IncomingMessage;
  received(bytes: number): void;
  /** Aborted when the proxy cuts this answer: a responder ends the client response as it stands. */
  cut: AbortSignal;
}

export interface ForwardTimeouts {
  connectMs: number;
  /** From sending the request to the upstream's response headers. */
  responseMs: number;
  /** Longest silence between two chunks of the upstream body. */
  idleMs: number;
}

export interface ForwardOutcome {
  /** Milliseconds from sending to the upstream's response headers. */
  upstreamMs: number;
  /**
   * Whether the response ended before it was complete on the client's side: the client
   * went away, or the proxy ended it (`signal`).
   */
  clientAborted: boolean;
  /** Bytes of upstream response body passed on. */
  bytesOut: number;
  /** Whether the upstream failed (dropped, went silent) after its answer had begun. */
  upstreamFailed: boolean;
  /** False when the client had gone before anything was sent upstream. */
  sent: boolean;
}

interface Pending {
  started: number;
  upstreamMs: number;
  bytesOut: number;
  upstreamFailed: boolean;
  /** Set when the proxy ended the request (`signal`): not an upstream failure. */
  ended: boolean;
  cut: AbortController;
  proxyReq?: ClientRequest;
  upstream?: IncomingMessage;
  onResponse: ForwardRequest['onResponse'];
  onDelivered: ForwardRequest['onDelivered'];
  /** What the client sent, put back once http-proxy has copied the upstream headers. */
  clientHeaders: IncomingMessage['headers'];
  fail(err: ProxyError): void;
  settle(err?: unknown): void;
}

/** The buffered request body as the one-chunk stream http-proxy pipes upstream. */
function bodyStream(body: Buffer): Readable {
  const stream = new Readable({ read() {} });
  if (body.length > 0) stream.push(body);
  stream.push(null);
  return stream;
}

/**
 * Forwards one request with http-proxy-3 and streams the answer back as it arrives.
 * The upstream request is aborted when the client goes away (http-proxy does not do
 * that once the request body was sent), and three timeouts guard the upstream: connect,
 * response headers, and silence between chunks.
 */
export function createForwarder(timeouts: ForwardTimeouts) {
  const agents = {
    'http:': new Agent({ keepAlive: true, maxSockets: 1024 }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: 1024 }),
  };
  const proxy = createProxyServer({ selfHandleResponse: true, xfwd: false, changeOrigin: true, ws: false });
  const pending = new WeakMap<IncomingMessage, Pending>();

  proxy.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage) => {
    const p = pending.get(req);
    if (!p) return;
    // The outgoing request holds its own copy now: the person's key leaves the client's
    // request object, where a later log or error serialiser could find it.
    req.headers = p.clientHeaders;
    p.proxyReq = proxyReq;
    const responseTimer = setTimeout(() => {
      proxyReq.destroy();
      p.fail(new ProxyError('upstream_timeout', 'the provider did not answer in time'));
    }, timeouts.responseMs);
    proxyReq.once('socket', (socket) => {
      if (!socket.connecting) return;
      const connectTimer = setTimeout(() => {
        proxyReq.destroy();
        p.fail(new ProxyError('upstream_timeout', 'could not connect to the provider in time'));
      }, timeouts.connectMs);
      socket.once('connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    proxyReq.once('finish', () => p.onDelivered?.());
    proxyReq.once('response', () => clearTimeout(responseTimer));
    proxyReq.once('close', () => clearTimeout(responseTimer));
  });

  proxy.on('proxyRes', (upstream: IncomingMessage, req: IncomingMessage) => {
    const p = pending.get(req);
    if (!p) {
      upstream.destroy();
      return;
    }
    p.upstreamMs = performance.now() - p.started;
    p.upstream = upstream;
    const markFailed = () => {
      if (!p.ended) p.upstreamFailed = true;
    };
    const onIdle = () => {
      markFailed();
      upstream.destroy(new Error('upstream went silent'));
    };
    // One timer, pushed forward on each chunk (refresh() reuses it: no allocation).
    const idle = setTimeout(onIdle, timeouts.idleMs);
    upstream.once('aborted', markFailed);
    upstream.once('error', markFailed);
    upstream.once('close', () => clearTimeout(idle));
    const received = (bytes: number) => {
      p.bytesOut += bytes;
      idle.refresh();
    };
    p.onResponse({
      statusCode: upstream.statusCode ?? 502,
      headers: upstream.headers,
      body: upstream,
      received,
      cut: p.cut.signal,
    }).then(
      () => p.settle(),
      (err) => p.settle(err),
    );
  });

  return {
    forward({
      req,
      res,
      target,
      headers,
      body,
      onResponse,
      signal,
      onDelivered,
    }: ForwardRequest): Promise<ForwardOutcome> {
      // The client may have gone while the request waited (body, key, reservation): its
      // 'close' has been and will not come again, so nothing is sent. Likewise a request
      // the proxy already ended.
      if (res.closed || res.destroyed || signal?.aborted)
        return Promise.resolve({
          upstreamMs: 0,
          clientAborted: true,
          bytesOut: 0,
          upstreamFailed: false,
          sent: false,
        });
      return new Promise((resolve, reject) => {
        let done = false;
        let clientAborted = false;
        const p: Pending = {
          started: performance.now(),
          upstreamMs: 0,
          bytesOut: 0,
          upstreamFailed: false,
          ended: false,
          cut: new AbortController(),
          onResponse,
          onDelivered,
          clientHeaders: req.headers,
          fail(err) {
            if (done) return;
            done = true;
            req.headers = p.clientHeaders;
            pending.delete(req);
            signal?.removeEventListener('abort', end);
            reject(err);
          },
          settle(err) {
            if (done) return;
            done = true;
            req.headers = p.clientHeaders;
            pending.delete(req);
            signal?.removeEventListener('abort', end);
            if (err && !clientAborted && !res.headersSent) reject(err);
            else
              resolve({
                upstreamMs: p.upstreamMs,
                clientAborted,
                bytesOut: p.bytesOut,
                upstreamFailed: p.upstreamFailed,
                sent: true,
              });
          },
        };
        pending.set(req, p);
        // Ended by the proxy: before an answer, the request upstream is aborted and nothing
        // is written; during one, the responder ends the client response and the upstream
        // response is destroyed (its socket closed: the provider stops generating).
        const end = () => {
          p.ended = true;
          clientAborted = true;
          if (!p.upstream) {
            p.proxyReq?.destroy();
            p.settle();
            return;
          }
          p.cut.abort(signal?.reason);
          p.upstream.destroy();
        };
        signal?.addEventListener('abort', end, { once: true });
        res.once('close', () => {
          if (!res.writableFinished) {
            // Closed early: by the client, unless the proxy ended it because the upstream failed.
            clientAborted = !p.upstreamFailed;
            p.settle();
          }
        });
        // The upstream sees exactly these headers: nothing the client sent is copied
        // (http-proxy reads them from the request; 'proxyReq' puts the client's back).
        req.headers = headers;
        proxy.web(
          req,
          res,
          {
            // The upstream URL is exactly `target`: the client's path is ignored.
            target: target.toString(),
            ignorePath: true,
            agent: agents[target.protocol as 'http:' | 'https:'],
            buffer: bodyStream(body),
          },
          (err: Error) => {
            if (clientAborted || p.ended) return p.settle();
            p.fail(
              new ProxyError(
                'upstream_unreachable',
                `could not reach the provider (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
              ),
            );
          },
        );
      });
    },
    close() {
      proxy.close();
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

export type Forwarder = ReturnType<typeof createForwarder>;
