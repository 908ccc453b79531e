import type { IncomingMessage } from 'node:http';
import { ProxyError } from '../errors/proxy-error.ts';

/** Reads the whole request body, refusing more than `limit` bytes as soon as it is known. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new ProxyError('body_too_large', `the request body is over the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new ProxyError('body_too_large', `the request body is over the ${limit}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}
