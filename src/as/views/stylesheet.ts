import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type Stylesheet = {
  /** The CSS served at /static/mandate.css. */
  body: string;
  /** Base64 SHA-256 of `body` (for an ETag, or an integrity value `sha256-<this>`). */
  sha256: string;
};

let cached: Stylesheet | undefined;

/** The hosted pages' stylesheet, read from style.css on first use and kept. */
export function stylesheet(): Stylesheet {
  if (cached === undefined) {
    const body = readFileSync(new URL('./style.css', import.meta.url), 'utf8');
    cached = Object.freeze({ body, sha256: createHash('sha256').update(body).digest('base64') });
  }
  return cached;
}
