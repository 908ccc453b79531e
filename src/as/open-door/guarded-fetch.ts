import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { addressProblem } from './public-address.ts';

export interface GuardedFetchOptions {
  /** Loopback and private addresses too (tests, local development only). */
  allowPrivateAddresses: boolean;
  /** Extra trusted CAs (PEM), beside the system's. */
  extraCa?: string | undefined;
  /** The whole exchange, connection to last byte. */
  timeoutMs: number;
  maxBytes: number;
  /** Told why a fetch was refused (no secrets: a URL and a reason). */
  onRefused?: (url: string, reason: string) => void;
  /** DNS, replaceable in tests. */
  lookup?: typeof dnsLookup;
}

export class FetchRefused extends Error {}

/**
 * The only way the authorization server fetches a URL an app named (its Client ID
 * Metadata Document), as oidc-provider's `fetch`:
 * - `https` only, never a redirect (a 3xx is answered as it is, and refused upstream);
 * - the host's addresses are resolved and each checked (public-address.ts) before a
 *   connection, and the connection goes to the address that was checked, so a DNS
 *   answer that changes in between (rebinding) cannot reach another one;
 * - at most `maxBytes` of body, within `timeoutMs` from start to end;
 * - the certificate is checked for the host name, against the system CAs and the
 *   operator's extra ones.
 */
export function createGuardedFetch(options: GuardedFetchOptions) {
  const lookup = options.lookup ?? dnsLookup;
  const ca = options.extraCa ? [...rootCertificates, options.extraCa] : undefined;

  const check = (address: string) => (options.allowPrivateAddresses ? undefined : addressProblem(address));

  const guardedLookup: LookupFunction = (hostname, opts, callback) => {
    lookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as LookupAddress[];
      const problem =
        list.length === 0 ? `${hostname} has no address` : list.map((a) => check(a.address)).find(Boolean);
      if (problem) return callback(new FetchRefused(`${hostname}: ${problem}`), '', 0);
      const first = list[0] as LookupAddress;
      if ((opts as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, first.address, first.family);
    });
  };

  return async function guardedFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(String(input));
    const refuse = (reason: string): never => {
      options.onRefused?.(url.href, reason);
      throw new FetchRefused(reason);
    };
    if (url.protocol !== 'https:') refuse('only https URLs are fetched');
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal)) {
      const problem = check(literal);
      if (problem) refuse(problem);
    }
    // What oidc-provider asks for (JSON); no other header the caller set is sent.
    const headers: Record<string, string> = {
      accept: new Headers(init.headers).get('accept') || 'application/json',
      'user-agent': 'Mandate',
    };

    return new Promise<Response>((resolve, reject) => {
      const fail = (reason: string) => {
        options.onRefused?.(url.href, reason);
        reject(new FetchRefused(reason));
      };
      const req = request(url, {
        method: 'GET',
        headers,
        lookup: guardedLookup,
        ...(ca ? { ca } : {}),
        // One request on its own connection: no pooled socket to another host.
        agent: false,
      });
      const timer = setTimeout(() => {
        req.destroy(new FetchRefused(`no complete answer within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const onAbort = () => req.destroy(new FetchRefused('aborted'));
      init.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        init.signal?.removeEventListener('abort', onAbort);
      };
      req.on('error', (err) => {
        done();
        fail(
          err instanceof FetchRefused
            ? err.message
            : `fetch failed (${(err as NodeJS.ErrnoException).code ?? err.message})`,
        );
      });
      req.on('response', (res) => {
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > options.maxBytes) {
          req.destroy(new FetchRefused(`the document is larger than ${options.maxBytes} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            req.destroy(new FetchRefused(`the document is larger than ${options.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          done();
          const status = res.statusCode ?? 502;
          if (status >= 300 && status < 400)
            options.onRefused?.(url.href, `redirect (${status}) not followed`);
          const out = new Headers();
          for (const [key, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') out.set(key, value);
            else if (Array.isArray(value)) for (const v of value) out.append(key, v);
          }
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, headers: out }));
        });
        res.on('error', () => undefined);
      });
      req.end();
    });
  };
}
