/**
 * Reads token usage from the upstream's own answer as it streams past, without a
 * Transform: the responder hands every chunk to `push`. SSE bodies are split into lines
 * (events may be split across chunks); only a `data:` line whose usage key (the reader's:
 * `"usage"`, Gemini's `"usageMetadata"`) holds an object is parsed, and handed to the
 * endpoint's reader (each provider's folder has its own). A JSON body is kept (bounded)
 * and parsed once, when usage is read.
 */
import { type Json, obj, type TokenUsage, type UsageReader, zeroUsage } from './usage-reader.ts';

export type { TokenUsage, UsageReader } from './usage-reader.ts';
export { zeroUsage } from './usage-reader.ts';

/** A whole JSON body up to this size is parsed; past it only its tail is searched. */
const JSON_LIMIT = 8 * 1024 * 1024;
const TAIL_BYTES = 64 * 1024;
/** An SSE line longer than this cannot be about usage we can read: it is skipped. */
const LINE_LIMIT = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/** The usage of a complete (non-streamed) JSON answer. */
export function usageFromJson(reader: UsageReader, body: unknown): TokenUsage | undefined {
  const u = obj(obj(body)?.[reader.key]);
  return u ? reader.fromObject(u) : undefined;
}

/** Where a `"usage"` key (or `quoted`) holding an object starts its value in `line`, or -1. */
function usageObjectAt(line: Buffer | string, from = 0, quoted = '"usage"'): number {
  let at = line.indexOf(quoted, from);
  while (at !== -1) {
    let i = at + quoted.length;
    const code = (k: number) => (typeof line === 'string' ? line.charCodeAt(k) : line[k]);
    while (code(i) === 0x20) i++;
    if (code(i) === 0x3a) {
      i++;
      while (code(i) === 0x20) i++;
      if (code(i) === 0x7b) return i;
    }
    at = line.indexOf(quoted, at + quoted.length);
  }
  return -1;
}

/** The last `"usage": {…}` object (or `key`) in a text (the tail of a very large JSON body). */
export function lastUsageObject(text: string, key = 'usage'): Json | undefined {
  let found: Json | undefined;
  let from = 0;
  for (;;) {
    const start = usageObjectAt(text, from, `"${key}"`);
    if (start === -1) return found;
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        try {
          found = obj(JSON.parse(text.slice(start, i + 1))) ?? found;
        } catch {}
        break;
      }
    }
    from = start;
  }
}

export interface UsageTap {
  /** Whether this tap changes the stream (withholds the extra usage chunk). */
  readonly strips: boolean;
  /** Takes one chunk of the body; in strip mode returns the bytes to pass on. */
  push(chunk: Buffer): Buffer | undefined;
  /** The rest of the body still held back (strip mode), at the end of the stream. */
  end(): Buffer | undefined;
  /** What the upstream reported so far (zeros when it reported nothing). */
  usage(): TokenUsage;
  /** Whether the upstream reported usage at all (final or partial). */
  reported(): boolean;
  /**
   * Whether the usage is the upstream's FINAL count, the one it bills: a complete JSON
   * body's `usage`; a chat stream's usage chunk; Responses `response.completed` (or
   * `.incomplete`, `.failed`); Anthropic `message_delta`; Gemini, the chunk with a
   * `finishReason`. Anthropic's `message_start` usage alone is partial (its
   * `output_tokens` is 1 or so), and so is a Gemini chunk's before the last.
   */
  final(): boolean;
}

/**
 * A tap for one answer. `sse` when the answer is an event stream. `stripUsageChunk`
 * (chat streams where the proxy asked for usage the client did not): the final
 * `choices: []` chunk carrying usage is withheld from the client; to do that, bytes of an
 * event are passed on only once the event is complete.
 */
export function createUsageTap(reader: UsageReader, sse: boolean, stripUsageChunk = false): UsageTap {
  let current: TokenUsage | undefined;
  const key = Buffer.from(`"${reader.key}"`);

  if (!sse) {
    const chunks: Buffer[] = [];
    let size = 0;
    let kept = 0;
    return {
      strips: false,
      push(chunk) {
        chunks.push(chunk);
        size += chunk.length;
        kept += chunk.length;
        // Past the limit only a tail is kept, where the top-level `usage` sits.
        if (size > JSON_LIMIT) {
          while (chunks.length > 1 && kept - (chunks[0] as Buffer).length >= TAIL_BYTES)
            kept -= (chunks.shift() as Buffer).length;
        }
        return undefined;
      },
      end: () => undefined,
      usage() {
        if (current === undefined && chunks.length > 0) {
          const text = Buffer.concat(chunks).toString('utf8');
          chunks.length = 0;
          if (size <= JSON_LIMIT) {
            try {
              current = usageFromJson(reader, JSON.parse(text));
            } catch {}
          } else {
            const u = lastUsageObject(text, reader.key);
            current = u ? reader.fromObject(u) : undefined;
          }
        }
        return current ?? zeroUsage();
      },
      reported() {
        this.usage();
        return current !== undefined;
      },
      // A JSON body's usage is read only from a body that parsed (or from its tail): final.
      final() {
        return this.reported();
      },
    };
  }

  const stream = reader.stream();
  /** The part of a line not yet ended by a newline (strip mode: not yet passed on either). */
  let partial: Buffer | undefined;
  let skipping = false;
  /** Strip mode: the blank line ending a withheld usage chunk is still to come. */
  let dropBlank = false;

  /** One complete line. Returns true when it is the extra usage-only chat chunk. */
  function line(text: Buffer): boolean {
    if (text.length < 6 || text[0] !== 0x64 || text[1] !== 0x61 || text[2] !== 0x74 || text[3] !== 0x61)
      return false;
    if (text[4] !== 0x3a || usageObjectAt(text, 0, key.toString()) === -1) return false;
    let data: Json | undefined;
    try {
      data = obj(JSON.parse(text.toString('utf8', 5)));
    } catch {
      return false;
    }
    if (!data) return false;
    return stream.event(data);
  }

  /** The end of the blank line starting at `at` (after its newline), or -1 when there is none. */
  function blankLineEnd(chunk: Buffer, at: number): number {
    if (chunk[at] === NEWLINE) return at + 1;
    if (chunk[at] === 0x0d && chunk[at + 1] === NEWLINE) return at + 2;
    return -1;
  }

  /** A line that grew past the limit: passed on, and the rest of it ignored. */
  function overflow(out: Buffer[] | undefined): void {
    if (partial && partial.length > LINE_LIMIT) {
      out?.push(partial);
      partial = undefined;
      skipping = true;
    }
  }

  /**
   * Only lines that hold a `"usage"` object are looked at: the chunk is searched for the
   * key, not split into lines. `out` (strip mode) collects what is passed on: everything
   * but a usage-only chat line and the blank line ending its event; an unfinished last
   * line is held back until its newline arrives.
   */
  function scan(chunk: Buffer, out: Buffer[] | undefined): void {
    let from = 0;
    if (dropBlank) {
      dropBlank = false;
      const end = blankLineEnd(chunk, 0);
      if (end !== -1) from = end;
    }
    if (partial !== undefined || skipping) {
      const nl = chunk.indexOf(NEWLINE, from);
      if (nl === -1) {
        if (skipping) out?.push(chunk.subarray(from));
        else partial = Buffer.concat([partial as Buffer, chunk.subarray(from)]);
        overflow(out);
        return;
      }
      let next = nl + 1;
      if (skipping) {
        skipping = false;
        out?.push(chunk.subarray(from, next));
      } else {
        const whole = Buffer.concat([partial as Buffer, chunk.subarray(from, next)]);
        partial = undefined;
        const end =
          whole.length > 1 && whole[whole.length - 2] === 0x0d ? whole.length - 2 : whole.length - 1;
        if (line(whole.subarray(0, end)) && out) {
          const blank = blankLineEnd(chunk, next);
          if (blank !== -1) next = blank;
          else if (next >= chunk.length) dropBlank = true;
        } else out?.push(whole);
      }
      from = next;
    }
    const lastNl = chunk.lastIndexOf(NEWLINE);
    const complete = lastNl >= from ? lastNl + 1 : from;
    let emitted = from;
    let at = complete > from ? chunk.indexOf(key, from) : -1;
    while (at !== -1 && at < complete) {
      if (!holdsObject(chunk, at, key.length)) {
        at = chunk.indexOf(key, at + key.length);
        continue;
      }
      const lineStart = Math.max(chunk.lastIndexOf(NEWLINE, at) + 1, from);
      const nl = chunk.indexOf(NEWLINE, at);
      const end = nl > lineStart && chunk[nl - 1] === 0x0d ? nl - 1 : nl;
      if (line(chunk.subarray(lineStart, end)) && out) {
        if (lineStart > emitted) out.push(chunk.subarray(emitted, lineStart));
        const blank = blankLineEnd(chunk, nl + 1);
        emitted = blank !== -1 ? blank : nl + 1;
        if (blank === -1 && nl + 1 >= chunk.length) dropBlank = true;
      }
      at = chunk.indexOf(key, nl + 1);
    }
    if (out && complete > emitted) out.push(chunk.subarray(emitted, complete));
    if (complete < chunk.length) {
      // The unfinished last line, copied: the chunk itself moves on.
      partial = Buffer.from(chunk.subarray(complete));
      overflow(out);
    }
  }

  return {
    strips: stripUsageChunk,
    push(chunk) {
      if (!stripUsageChunk) {
        scan(chunk, undefined);
        return undefined;
      }
      const out: Buffer[] = [];
      scan(chunk, out);
      return out.length === 1 ? out[0] : out.length === 0 ? undefined : Buffer.concat(out);
    },
    end() {
      if (!stripUsageChunk || !partial) return undefined;
      const rest = partial;
      partial = undefined;
      return line(rest) ? undefined : rest;
    },
    usage: () => stream.usage() ?? zeroUsage(),
    reported: () => stream.usage() !== undefined,
    final: () => stream.final(),
  };
}

/** Whether the usage key (of `keyLength` bytes, quotes included) at `at` holds an object. */
function holdsObject(chunk: Buffer, at: number, keyLength: number): boolean {
  let i = at + keyLength;
  while (chunk[i] === 0x20) i++;
  if (chunk[i] !== 0x3a) return false;
  i++;
  while (chunk[i] === 0x20) i++;
  return chunk[i] === 0x7b;
}
