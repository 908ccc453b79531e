/**
 * Reads token usage from the upstream's own answer as it streams past, without a
 * Transform: the responder hands every chunk to `push`. SSE bodies are split into lines
 * (events may be split across chunks); only a `data:` line whose `"usage"` key (Gemini:
 * `"usageMetadata"`) holds an object is parsed. A JSON body is kept (bounded) and parsed once, when usage is read.
 */

/** Which wire format an answer is in (its endpoint spec says). */
export type UsageFormat = 'chat' | 'responses' | 'embeddings' | 'anthropic' | 'gemini';

/**
 * Tokens of one request. `inputTokens` counts every input token, including cache reads
 * (`cachedInputTokens`) and cache writes (`cacheWriteTokens`); `outputTokens` counts every
 * output token, including `reasoningTokens`.
 */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

/** A whole JSON body up to this size is parsed; past it only its tail is searched. */
const JSON_LIMIT = 8 * 1024 * 1024;
const TAIL_BYTES = 64 * 1024;
/** An SSE line longer than this cannot be about usage we can read: it is skipped. */
const LINE_LIMIT = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

type Json = Record<string, unknown>;

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

export const zeroUsage = (): TokenUsage => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
});

/** OpenAI chat completions and embeddings `usage`. */
function fromChatUsage(u: Json): TokenUsage {
  return {
    inputTokens: num(u.prompt_tokens) ?? 0,
    cachedInputTokens: num(obj(u.prompt_tokens_details)?.cached_tokens) ?? 0,
    cacheWriteTokens: num(obj(u.prompt_tokens_details)?.cache_write_tokens) ?? 0,
    outputTokens: num(u.completion_tokens) ?? 0,
    reasoningTokens: num(obj(u.completion_tokens_details)?.reasoning_tokens) ?? 0,
  };
}

/** OpenAI Responses `usage`. */
function fromResponsesUsage(u: Json): TokenUsage {
  return {
    inputTokens: num(u.input_tokens) ?? 0,
    cachedInputTokens: num(obj(u.input_tokens_details)?.cached_tokens) ?? 0,
    cacheWriteTokens: num(obj(u.input_tokens_details)?.cache_write_tokens) ?? 0,
    outputTokens: num(u.output_tokens) ?? 0,
    reasoningTokens: num(obj(u.output_tokens_details)?.reasoning_tokens) ?? 0,
  };
}

/**
 * Gemini `usageMetadata`. `promptTokenCount` already includes the cached tokens
 * (`cachedContentTokenCount`); tool-use prompts (`toolUsePromptTokenCount`) are billed as
 * input too. Thoughts (`thoughtsTokenCount`) are billed as output and are not in
 * `candidatesTokenCount`.
 */
function fromGeminiUsage(u: Json): TokenUsage {
  const thoughts = num(u.thoughtsTokenCount) ?? 0;
  return {
    inputTokens: (num(u.promptTokenCount) ?? 0) + (num(u.toolUsePromptTokenCount) ?? 0),
    cachedInputTokens: num(u.cachedContentTokenCount) ?? 0,
    cacheWriteTokens: 0,
    outputTokens: (num(u.candidatesTokenCount) ?? 0) + thoughts,
    reasoningTokens: thoughts,
  };
}

/**
 * Whether a Gemini chunk is the last of its stream: a candidate with a `finishReason`, or
 * a prompt refused (`promptFeedback.blockReason`, no candidates).
 */
function isGeminiFinal(data: Json): boolean {
  const candidates = Array.isArray(data.candidates) ? data.candidates : [];
  if (candidates.some((c) => typeof obj(c)?.finishReason === 'string')) return true;
  return typeof obj(data.promptFeedback)?.blockReason === 'string';
}

/** The key each format reports its usage under. */
const usageKey = (format: UsageFormat): string => (format === 'gemini' ? 'usageMetadata' : 'usage');

/** Anthropic's counters; cumulative, so each one present overwrites the one before. */
interface AnthropicCounters {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

function overwriteAnthropic(into: AnthropicCounters, u: Json): void {
  into.input = num(u.input_tokens) ?? into.input;
  into.cacheRead = num(u.cache_read_input_tokens) ?? into.cacheRead;
  into.cacheWrite = num(u.cache_creation_input_tokens) ?? into.cacheWrite;
  into.output = num(u.output_tokens) ?? into.output;
}

/** Anthropic `input_tokens` excludes the cache counters; ours includes them. */
const fromAnthropic = (c: AnthropicCounters): TokenUsage => ({
  inputTokens: c.input + c.cacheRead + c.cacheWrite,
  cachedInputTokens: c.cacheRead,
  cacheWriteTokens: c.cacheWrite,
  outputTokens: c.output,
  reasoningTokens: 0,
});

/** The usage of a complete (non-streamed) JSON answer. */
export function usageFromJson(format: UsageFormat, body: unknown): TokenUsage | undefined {
  const u = obj(obj(body)?.[usageKey(format)]);
  if (!u) return undefined;
  if (format === 'gemini') return fromGeminiUsage(u);
  if (format === 'responses') return fromResponsesUsage(u);
  if (format === 'anthropic') {
    const c = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
    overwriteAnthropic(c, u);
    return fromAnthropic(c);
  }
  return fromChatUsage(u);
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
export function createUsageTap(format: UsageFormat, sse: boolean, stripUsageChunk = false): UsageTap {
  let current: TokenUsage | undefined;
  const anthropic: AnthropicCounters | undefined =
    format === 'anthropic' ? { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 } : undefined;
  let sawAnthropic = false;
  /** Anthropic: a `message_delta` carried usage (the final count). */
  let sawAnthropicFinal = false;
  /** Gemini: the chunk with a finishReason carried usage (every chunk's is cumulative; that one is final). */
  let sawGeminiFinal = false;
  const key = Buffer.from(`"${usageKey(format)}"`);

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
              current = usageFromJson(format, JSON.parse(text));
            } catch {}
          } else {
            const u = lastUsageObject(text, usageKey(format));
            current = u ? usageFromJson(format, { [usageKey(format)]: u }) : undefined;
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
    if (format === 'chat' || format === 'embeddings') {
      const u = obj(data.usage);
      if (!u) return false;
      current = fromChatUsage(u);
      return Array.isArray(data.choices) && data.choices.length === 0;
    }
    if (format === 'gemini') {
      const u = obj(data.usageMetadata);
      if (u) {
        current = fromGeminiUsage(u);
        if (isGeminiFinal(data)) sawGeminiFinal = true;
      }
      return false;
    }
    if (format === 'responses') {
      const type = data.type;
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
        const u = obj(obj(data.response)?.usage);
        if (u) current = fromResponsesUsage(u);
      }
      return false;
    }
    if (anthropic) {
      const u = data.type === 'message_start' ? obj(obj(data.message)?.usage) : obj(data.usage);
      if (u && (data.type === 'message_start' || data.type === 'message_delta')) {
        overwriteAnthropic(anthropic, u);
        sawAnthropic = true;
        if (data.type === 'message_delta') sawAnthropicFinal = true;
      }
    }
    return false;
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
    usage() {
      if (anthropic) return sawAnthropic ? fromAnthropic(anthropic) : zeroUsage();
      return current ?? zeroUsage();
    },
    reported: () => (anthropic ? sawAnthropic : current !== undefined),
    // Chat and Responses streams report usage once, at the end: whatever was read is final.
    final: () =>
      anthropic ? sawAnthropicFinal : format === 'gemini' ? sawGeminiFinal : current !== undefined,
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

/**
 * Asks a chat stream for its usage when the client did not (`stream_options.include_usage`).
 * Returns whether the body was changed; then the extra usage chunk must be stripped.
 */
export function requestStreamUsage(format: UsageFormat | undefined, json: Record<string, unknown>): boolean {
  if (format !== 'chat' || json.stream !== true) return false;
  const options = obj(json.stream_options);
  if (options?.include_usage === true) return false;
  json.stream_options = { ...options, include_usage: true };
  return true;
}
