import type { ServerResponse } from 'node:http';
import { type Provider, providerDisplayName } from '../../scopes/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import type { UsageTap } from '../usage/usage-tap.ts';
import type { UpstreamResponse } from './forwarder.ts';
import { DROPPED_RESPONSE_HEADERS } from './upstreams.ts';

const LISTING_LIMIT = 8 * 1024 * 1024;

function responseHeaders(upstream: UpstreamResponse): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) out[name] = value;
  }
  return out;
}

/**
 * An upstream 401 (or a 403 about the key) is about the person's key, not the app's
 * token: it becomes a 502 that says so, and the upstream body (which may quote part of
 * the key) is dropped. Returns true when it answered the client itself (a 403 passed on).
 */
export async function refuseRejectedKey(
  provider: Provider,
  upstream: UpstreamResponse,
  res: ServerResponse,
): Promise<boolean> {
  if (upstream.statusCode !== 401 && upstream.statusCode !== 403) return false;
  const body = await readSmall(upstream);
  // A 403 that is not about the key (a model the account may not use, a region) passes
  // through, unless it quotes a key.
  if (upstream.statusCode === 403 && !/api[ _-]?key|sk-[A-Za-z0-9]/i.test(body)) {
    const headers = responseHeaders(upstream);
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(403, headers);
    res.end(body);
    return true;
  }
  const name = providerDisplayName(provider);
  throw new ProxyError(
    'upstream_key_rejected',
    `the person's ${name} key was rejected by ${name} (${upstream.statusCode}); they need to replace it in Mandate`,
  );
}

/** An error body, at most 64 KiB of it (the rest is drained). */
async function readSmall(upstream: UpstreamResponse): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of upstream.body) {
    upstream.received((chunk as Buffer).length);
    if (size < 65_536) chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, 65_536);
}

/**
 * Streams the upstream answer to the client unchanged, chunk by chunk as it arrives.
 * Resolves when the client response ends;
 * if the upstream fails mid-answer the status is already sent, so the connection is
 * ended instead (the forwarder records why). A usage tap sees every chunk from the same
 * `'data'` listener; only a tap that strips (the extra chat usage chunk) changes what is
 * written, and then the body is written by hand instead of piped (same backpressure).
 */
export function pipeResponse(upstream: UpstreamResponse, res: ServerResponse, tap?: UsageTap): Promise<void> {
  const { body } = upstream;
  res.writeHead(upstream.statusCode, responseHeaders(upstream));
  // The head goes out now unless body bytes are already here to carry it (one write
  // instead of two): a stream whose first event is slow still gets its head at once.
  if (body.readableLength === 0) res.flushHeaders();
  return new Promise((resolve) => {
    const end = () => {
      if (!res.writableFinished && !res.destroyed) res.destroy();
      resolve();
    };
    res.once('finish', resolve);
    res.once('close', end);
    body.once('error', end);
    body.once('aborted', end);
    if (!tap) {
      body.on('data', (chunk: Buffer) => upstream.received(chunk.length));
      body.pipe(res);
    } else if (!tap.strips) {
      body.on('data', (chunk: Buffer) => {
        upstream.received(chunk.length);
        tap.push(chunk);
      });
      body.pipe(res);
    } else {
      body.on('data', (chunk: Buffer) => {
        upstream.received(chunk.length);
        const out = tap.push(chunk);
        if (out && !res.destroyed && !res.write(out)) body.pause();
      });
      res.on('drain', () => body.resume());
      // A client gone mid-answer: keep reading (and counting) what the upstream sends.
      res.once('close', () => body.resume());
      body.once('end', () => {
        if (res.destroyed) return;
        const rest = tap.end();
        if (rest) res.end(rest);
        else res.end();
      });
    }
  });
}

/** A model listing, with only the models the token may use. */
export async function filterModelListing(
  upstream: UpstreamResponse,
  res: ServerResponse,
  allowed: (modelId: string) => boolean,
): Promise<void> {
  if (upstream.statusCode !== 200) return pipeResponse(upstream, res);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of upstream.body) {
    upstream.received((chunk as Buffer).length);
    size += (chunk as Buffer).length;
    if (size > LISTING_LIMIT) {
      upstream.body.destroy();
      throw new ProxyError('upstream_unreachable', 'the model listing was larger than expected');
    }
    chunks.push(chunk as Buffer);
  }
  let listing: { data?: Array<{ id?: unknown }> } & Record<string, unknown>;
  try {
    listing = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ProxyError('upstream_unreachable', 'the provider sent a model listing that is not JSON');
  }
  const data = (listing.data ?? []).filter((m) => typeof m.id === 'string' && allowed(m.id));
  const filtered = { ...listing, data };
  if ('first_id' in listing)
    Object.assign(filtered, { first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  const body = JSON.stringify(filtered);
  const headers = responseHeaders(upstream);
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(200, headers);
  res.end(body);
}
