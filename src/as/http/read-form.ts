import type { Context } from 'koa';
import { AsError } from './as-error.ts';

const LIMIT = 16 * 1024;

/** What a bad form body is refused with (415, 413). */
export class FormError extends AsError {
  constructor(message: string, status: 413 | 415) {
    super(status === 413 ? 'form_too_large' : 'unsupported_media_type', status, message);
  }
}

/** Reads an `application/x-www-form-urlencoded` body of at most 16 KiB. */
export async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new FormError('expected a form submission', 415);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT) throw new FormError('form too large', 413);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
