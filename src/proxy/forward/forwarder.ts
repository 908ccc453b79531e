import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

/**
 * Forwards one request with `node:http`/`node:https` (a keep-alive agent per protocol)
 * and streams the answer back as it arrives. The upstream request is aborted when the
 * client goes away or the proxy ends the request, and three timeouts guard the upstream:
 * connect, response headers, and silence between chunks. The client's request object is
 * never touched: the upstream gets exactly `headers` (the person's key among them), sent
 * from the outgoing request alone.
 */
export function createForwarder(timeouts: ForwardTimeouts) {
  const agents = {
    'http:': new Agent({ keepAlive: true, maxSockets: 1024 }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: 1024 }),
  };
  const send = { 'http:': httpRequest, 'https:': httpsRequest };

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
        const started = performance.now();
        const cut = new AbortController();
        let upstreamMs = 0;
        let bytesOut = 0;
        let upstreamFailed = false;
        /** Set when the proxy ended the request (`signal`): not an upstream failure. */
        let ended = false;
        let clientAborted = false;
        let upstream: IncomingMessage | undefined;
        let done = false;
        const finish = () => {
          done = true;
          clearTimeout(responseTimer);
          signal?.removeEventListener('abort', end);
        };
        const fail = (err: ProxyError) => {
          if (done) return;
          finish();
          reject(err);
        };
        const settle = (err?: unknown) => {
          if (done) return;
          finish();
          if (err && !clientAborted && !res.headersSent) reject(err);
          else resolve({ upstreamMs, clientAborted, bytesOut, upstreamFailed, sent: true });
        };

        const protocol = target.protocol as 'http:' | 'https:';
        // The client's method; `target` is the whole upstream URL (the client's path is ignored).
        const proxyReq = send[protocol](target, {
          method: req.method ?? 'GET',
          headers,
          agent: agents[protocol],
        });
        const responseTimer = setTimeout(() => {
          proxyReq.destroy();
          fail(new ProxyError('upstream_timeout', 'the provider did not answer in time'));
        }, timeouts.responseMs);
        proxyReq.once('socket', (socket) => {
          if (!socket.connecting) return;
          const connectTimer = setTimeout(() => {
            proxyReq.destroy();
            fail(new ProxyError('upstream_timeout', 'could not connect to the provider in time'));
          }, timeouts.connectMs);
          socket.once('connect', () => clearTimeout(connectTimer));
          socket.once('close', () => clearTimeout(connectTimer));
        });
        proxyReq.once('finish', () => onDelivered?.());
        proxyReq.once('error', (err: NodeJS.ErrnoException) => {
          if (clientAborted || ended) return settle();
          if (upstream) return; // after the answer began: the body's own error says it
          fail(
            new ProxyError('upstream_unreachable', `could not reach the provider (${err.code ?? 'error'})`),
          );
        });
        proxyReq.once('response', (answer: IncomingMessage) => {
          clearTimeout(responseTimer);
          if (done) {
            answer.destroy();
            return;
          }
          upstreamMs = performance.now() - started;
          upstream = answer;
          const markFailed = () => {
            if (!ended) upstreamFailed = true;
          };
          // One timer, pushed forward on each chunk (refresh() reuses it: no allocation).
          const idle = setTimeout(() => {
            markFailed();
            answer.destroy(new Error('upstream went silent'));
          }, timeouts.idleMs);
          answer.once('aborted', markFailed);
          answer.once('error', markFailed);
          answer.once('close', () => clearTimeout(idle));
          onResponse({
            statusCode: answer.statusCode ?? 502,
            headers: answer.headers,
            body: answer,
            received(bytes: number) {
              bytesOut += bytes;
              idle.refresh();
            },
            cut: cut.signal,
          }).then(
            () => settle(),
            (err) => settle(err),
          );
        });

        // Ended by the proxy: before an answer, the request upstream is aborted and nothing
        // is written; during one, the responder ends the client response and the upstream
        // response is destroyed (its socket closed: the provider stops generating).
        const end = () => {
          ended = true;
          clientAborted = true;
          if (!upstream) {
            proxyReq.destroy();
            settle();
            return;
          }
          cut.abort(signal?.reason);
          upstream.destroy();
        };
        signal?.addEventListener('abort', end, { once: true });
        res.once('close', () => {
          if (res.writableFinished) return;
          // Closed early: by the client, unless the proxy ended it because the upstream failed.
          clientAborted = !upstreamFailed;
          // The upstream goes too (its socket closed: the provider stops generating).
          if (upstream) upstream.destroy();
          else proxyReq.destroy();
          settle();
        });
        proxyReq.end(body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

export type Forwarder = ReturnType<typeof createForwarder>;
