import type { ServerResponse } from 'node:http';
import { providerDisplayName } from '../../scopes/index.ts';
import type { ProviderSpec } from '../endpoints/endpoint-spec.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import type { UsageTap } from '../usage/usage-tap.ts';
import type { UpstreamResponse } from './forwarder.ts';
import { createKeyMasker, maskKeyIn } from './key-masker.ts';
import { DROPPED_RESPONSE_HEADERS } from './upstreams.ts';

const LISTING_LIMIT = 8 * 1024 * 1024;

/** The upstream's headers the app may see, any occurrence of the person's key masked. */
function responseHeaders(upstream: UpstreamResponse, key: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
    out[name] = Array.isArray(value) ? value.map((one) => maskKeyIn(one, key)) : maskKeyIn(value, key);
  }
  return out;
}

/**
 * An upstream 401 (or a 403 about the key; on a provider that answers a bad key with
 * 400, such as Google, a 400 holding its `badKeyReasonIn400`) is about the person's key, not the app's
 * token: it becomes a 502 that says so, and the upstream body (which may quote part of
 * the key) is dropped. Returns true when it answered the client itself (a 403 or 400
 * passed on).
 */
export async function refuseRejectedKey(
  provider: ProviderSpec,
  upstream: UpstreamResponse,
  res: ServerResponse,
  key: string,
): Promise<boolean> {
  const badKeyReason = upstream.statusCode === 400 ? provider.badKeyReasonIn400 : undefined;
  if (upstream.statusCode !== 401 && upstream.statusCode !== 403 && badKeyReason === undefined) return false;
  const body = await readSmall(upstream);
  if (badKeyReason !== undefined && !body.includes(badKeyReason)) {
    const headers = responseHeaders(upstream, key);
    const masked = maskKeyIn(body, key);
    headers['content-length'] = String(Buffer.byteLength(masked));
    res.writeHead(400, headers);
    res.end(masked);
    return true;
  }
  // A 403 that is not about the key (a model the account may not use, a region) passes
  // through, unless it quotes a key.
  if (upstream.statusCode === 403 && !/api[ _-]?key|sk-[A-Za-z0-9]/i.test(body)) {
    const headers = responseHeaders(upstream, key);
    const masked = maskKeyIn(body, key);
    headers['content-length'] = String(Buffer.byteLength(masked));
    res.writeHead(403, headers);
    res.end(masked);
    return true;
  }
  const name = providerDisplayName(provider.id);
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
 * Streams the upstream answer to the client chunk by chunk as it arrives, the person's
 * key masked wherever it appears (`key-masker.ts`: only a tail that starts the key waits
 * for the next chunk). Resolves when the client response ends;
 * if the upstream fails mid-answer the status is already sent, so the connection is
 * ended instead (the forwarder records why). A usage tap sees every chunk from the same
 * `'data'` listener; a tap that strips (the extra chat usage chunk) also changes what is
 * written. The body is written by hand rather than piped, with the same backpressure.
 */
export function pipeResponse(
  upstream: UpstreamResponse,
  res: ServerResponse,
  tap: UsageTap | undefined,
  key: string,
): Promise<void> {
  const { body } = upstream;
  res.writeHead(upstream.statusCode, responseHeaders(upstream, key));
  // The head goes out now unless body bytes are already here to carry it (one write
  // instead of two): a stream whose first event is slow still gets its head at once.
  if (body.readableLength === 0) res.flushHeaders();
  const masker = createKeyMasker(key);
  return new Promise((resolve) => {
    let cut = false;
    const end = () => {
      if (!cut && !res.writableFinished && !res.destroyed) res.destroy();
      resolve();
    };
    res.once('finish', resolve);
    res.once('close', end);
    body.once('error', end);
    body.once('aborted', end);
    const onData = (chunk: Buffer) => {
      upstream.received(chunk.length);
      let passed: Buffer | undefined = chunk;
      if (tap?.strips) passed = tap.push(chunk);
      else tap?.push(chunk);
      const out = passed ? masker.push(passed) : undefined;
      if (out && out.length > 0 && !res.destroyed && !res.write(out)) body.pause();
    };
    body.on('data', onData);
    // Cut by the proxy (revocation, drain deadline): the client's stream ends where it
    // stands (a tail the key masker holds back is dropped); the forwarder destroys the body.
    upstream.cut.addEventListener(
      'abort',
      () => {
        cut = true;
        body.off('data', onData);
        if (!res.destroyed && !res.writableEnded) res.end();
      },
      { once: true },
    );
    res.on('drain', () => body.resume());
    // A client gone mid-answer: keep reading (and counting) what the upstream sends.
    res.once('close', () => body.resume());
    body.once('end', () => {
      if (res.destroyed || cut) return;
      const rest = tap?.strips ? tap.end() : undefined;
      const last = rest ? Buffer.concat([masker.push(rest), masker.end()]) : masker.end();
      if (last.length > 0) res.end(last);
      else res.end();
    });
  });
}

/** The OpenAI and Anthropic listing shape (`data[].id`, `first_id`/`last_id`) with only the allowed models. */
export function filterDataListing(
  listing: Record<string, unknown>,
  allowed: (modelId: string) => boolean,
): unknown {
  const all = Array.isArray(listing.data) ? (listing.data as Array<{ id?: unknown }>) : [];
  const data = all.filter((m) => typeof m?.id === 'string' && allowed(m.id));
  const filtered = { ...listing, data };
  if ('first_id' in listing)
    Object.assign(filtered, { first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  return filtered;
}

/** A model listing, with only the models the token may use (`filter` knows the provider's shape). */
export async function filterModelListing(
  upstream: UpstreamResponse,
  res: ServerResponse,
  allowed: (modelId: string) => boolean,
  key: string,
  filter: (
    listing: Record<string, unknown>,
    allowed: (modelId: string) => boolean,
  ) => unknown = filterDataListing,
): Promise<void> {
  if (upstream.statusCode !== 200) return pipeResponse(upstream, res, undefined, key);
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
  let listing: unknown;
  try {
    listing = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ProxyError('upstream_unreachable', 'the provider sent a model listing that is not JSON');
  }
  if (typeof listing !== 'object' || listing === null || Array.isArray(listing))
    throw new ProxyError(
      'upstream_unreachable',
      'the provider sent a model listing that is not a JSON object',
    );
  const filtered = filter(listing as Record<string, unknown>, allowed);
  const body = maskKeyIn(JSON.stringify(filtered), key);
  const headers = responseHeaders(upstream, key);
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(200, headers);
  res.end(body);
}
