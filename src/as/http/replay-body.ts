import { PassThrough } from 'node:stream';
import type { Context } from 'koa';

/** oidc-provider's own body limit: a longer body would be refused by it anyway. */
export const PROVIDER_BODY_LIMIT = 56 * 1024;

/** Reads the whole request body, or undefined when it is longer than `limit` bytes. */
export async function readBody(ctx: Context, limit = PROVIDER_BODY_LIMIT): Promise<Buffer | undefined> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Hands a body read (and perhaps rewritten) by Mandate to oidc-provider, which reads
 * `ctx.req` as a stream and checks it against `content-length`: a fresh stream with the
 * bytes, and the length header set to match.
 */
export function replayBody(ctx: Context, body: Buffer): void {
  const replay = new PassThrough();
  replay.end(body);
  ctx.request.headers['content-length'] = String(body.length);
  Object.assign(replay, { headers: ctx.req.headers, method: ctx.req.method, url: ctx.req.url });
  ctx.req = replay as unknown as Context['req'];
}
