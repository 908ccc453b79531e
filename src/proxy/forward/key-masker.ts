/**
 * The person's provider key never reaches the app, even when the provider echoes it (an
 * error that quotes the key it was sent, a debug field). Every upstream response body
 * passes through a masker that replaces each occurrence of the whole key with as many
 * `*` (same length, so a Content-Length stays true), including an occurrence split
 * across two chunks. Streaming is not delayed: a chunk goes out at once, except for a
 * tail that is the start of the key, held back until the next chunk (or the end) says
 * whether the key follows. Pure: no I/O.
 */

export interface KeyMasker {
  /** What of the body so far may go out now (the chunk itself when it needs no change). */
  push(chunk: Buffer): Buffer;
  /** The bytes held back, at the end of the body. */
  end(): Buffer;
}

/** The longest tail of `data` from `from` on that is a proper prefix of `key`: its start. */
function heldFrom(data: Buffer, key: Buffer, from: number): number {
  // Compared byte by byte here: a mismatch mostly comes at the first or second byte.
  for (let start = Math.max(from, data.length - key.length + 1); start < data.length; start += 1) {
    let i = 0;
    while (start + i < data.length && data[start + i] === key[i]) i += 1;
    if (start + i === data.length) return start;
  }
  return data.length;
}

export function createKeyMasker(key: string): KeyMasker {
  const needle = Buffer.from(key);
  const mask = Buffer.alloc(needle.length, '*');
  let held: Buffer | undefined;
  return {
    push(chunk) {
      if (needle.length === 0) return chunk;
      const data = held ? Buffer.concat([held, chunk]) : chunk;
      held = undefined;
      let found = data.indexOf(needle);
      let after = 0;
      let out = data;
      if (found !== -1) {
        // Copied only when the key is there, so `data` (maybe the upstream's chunk) is never written to.
        out = Buffer.from(data);
        while (found !== -1) {
          mask.copy(out, found);
          after = found + needle.length;
          found = data.indexOf(needle, after);
        }
      }
      const hold = heldFrom(data, needle, after);
      if (hold === data.length) return out;
      held = Buffer.from(data.subarray(hold));
      return out.subarray(0, hold);
    },
    end() {
      const rest = held ?? Buffer.alloc(0);
      held = undefined;
      return rest;
    },
  };
}

/** A header value with every occurrence of the key masked the same way. */
export function maskKeyIn(value: string, key: string): string {
  return key.length > 0 && value.includes(key) ? value.replaceAll(key, '*'.repeat(key.length)) : value;
}
