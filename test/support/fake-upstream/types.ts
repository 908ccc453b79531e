import type { IncomingHttpHeaders } from 'node:http';

/**
 * The fake's providers: the built-ins, and two OpenAI-compatible ones speaking OpenAI's
 * wire format: `groq` (as api.groq.com: `/groq/openai/v1/…`, the key as a bearer token)
 * and `acme` (`/acme/v1/…`, the key in `x-api-key`), and `mistral` (`/mistral/v1/…`,
 * Bearer, strict about fields: `mistral/routes.ts`), for the proxy's configured providers.
 */
export type Provider = 'openai' | 'anthropic' | 'google' | 'groq' | 'acme' | 'mistral';

/** Knobs that shape normal answers. Persistent via `control.set`, per request via a plan. */
export type Settings = {
  /** Content chunks (stream deltas) per reply, per choice for chat `n`. Default 20. */
  chunkCount: number;
  /**
   * Tokens (words) of text in each content chunk. Default 1. The output token count of a
   * text reply (chat, responses, messages) is `chunkCount × chunkTokens` (per choice), capped by the request's max-token field.
   */
  chunkTokens: number;
  /** Delay before every SSE event after the first (so between deltas). Default 0: no timers at all. */
  chunkDelayMs: number;
  /** OpenAI cached prompt tokens (clamped to the prompt) / Anthropic `cache_read_input_tokens`. */
  cachedTokens: number;
  /** Anthropic `cache_creation_input_tokens`. */
  cacheWriteTokens: number;
  /** OpenAI reasoning tokens, counted inside completion/output tokens. */
  reasoningTokens: number;
  /** Embedding length when the request has no `dimensions`. Default 8. */
  embeddingDimensions: number;
  /** Chat streams: the last chunk carries `usage` even without `include_usage` (Mistral). Default false. */
  usageUnasked: boolean;
};

/**
 * What goes wrong for a request. `afterEvents` (SSE replies only): undefined means before
 * any response byte; a number means after the headers and that many SSE events.
 */
export type Fault =
  /** Answer with this status in the provider's error shape (429 may carry `retryAfter` seconds). */
  | {
      kind: 'status';
      status: number;
      message?: string;
      retryAfter?: number;
      headers?: Record<string, string>;
    }
  /** Answer 401 with the provider's invalid-key body whatever key was sent. */
  | { kind: 'reject-key' }
  /** Hold the response until `control.release()` or `close()`. */
  | { kind: 'stall'; afterEvents?: number }
  /** Close the connection without finishing the response (a dying upstream). */
  | { kind: 'drop'; afterEvents?: number }
  /** Send the provider's in-stream error event and end the stream (non-SSE: as `status`). */
  | { kind: 'stream-error'; afterEvents?: number; status?: number };

export type Plan = {
  fault?: Fault;
  settings?: Partial<Settings>;
  /** Quote the key the request was sent with in a header and the body (`echo-key.ts`). */
  echoKey?: boolean;
};

export type RecordedRequest = {
  /** 0-based arrival order; also the index in `fake.requests`. */
  seq: number;
  provider: Provider | null;
  method: string;
  /** Full pathname, e.g. `/openai/v1/chat/completions`. */
  path: string;
  /** Pathname below the provider prefix, e.g. `/v1/chat/completions`. */
  route: string;
  /** Raw query string including `?`, or ''. */
  search: string;
  /** As Node parsed them: names lowercased. */
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** Parsed body when the content type is JSON and it parses; otherwise undefined. */
  json: unknown;
  /** Response status once headers were sent. */
  status: number | undefined;
  /** SSE events written so far. */
  eventsSent: number;
  /** Currently held by a `stall` fault. */
  stalled: boolean;
  /** The response was completely written. */
  finished: boolean;
  /** The client closed the connection before the response finished. */
  aborted: boolean;
  /** The fake closed the connection on purpose (`drop` fault). */
  dropped: boolean;
  /**
   * What the fake generated for this request, and so what the provider would bill: set when
   * a text generation (chat completion, response, Anthropic message) starts being written,
   * updated as it goes. Undefined for refusals, errors and other endpoints.
   */
  generation: Generation | undefined;
};

/** One text generation of the fake, as it stands. */
export type Generation = {
  model: string | null;
  /** The input tokens the reply's usage reports (OpenAI: prompt/input tokens; Anthropic: `input_tokens`). */
  inputTokens: number;
  /**
   * Output tokens generated so far (reasoning included, every chat choice included). A
   * stream counts a delta's tokens once it is handed to the socket, and stops counting
   * when the client closes the connection (or a fault ends the stream).
   */
  outputTokens: number;
  /** The output tokens the whole reply has (what its final usage reports). */
  plannedOutputTokens: number;
  /** The whole reply was generated; false when the client left, or a fault cut it, first. */
  completed: boolean;
};

/** A generation with the request it answered: what the proxy forwarded, as recorded. */
export type Generated = Generation & {
  /** The recorded request's `seq`, its index in `fake.requests`. */
  seq: number;
  /** The provider request id the fake answered with (`req_fake000042`). */
  requestId: string;
  provider: Provider;
  route: string;
  request: RecordedRequest;
};

export type GeneratedTotal = { requests: number; inputTokens: number; outputTokens: number };

export type RequestPredicate = (request: RecordedRequest) => boolean;

export type WaitOptions = { since?: number };

export type Control = {
  readonly settings: Readonly<Settings>;
  /** Change settings for every later request. */
  set(settings: Partial<Settings>): void;
  /** Queue a plan for the next `times` (default 1) requests matching `match`. */
  next(plan: Plan, options?: { times?: number; match?: RequestPredicate }): void;
  /** Apply a plan to every matching request with no queued plan; `null` clears them all. */
  always(plan: Plan | null, options?: { match?: RequestPredicate }): void;
  /** Let held (or about to be held) in-flight requests go on; returns how many were released. */
  release(match?: RequestPredicate): number;
  /**
   * Back to the creation settings, no plans. Recorded requests are kept, but later waits
   * only look at requests recorded from now on (unless given `since`).
   */
  reset(): void;
  /**
   * First matching request with `seq ≥ since`, already received or yet to come. `since`
   * defaults to the request count at the last `reset()` (0 before any), so a test that
   * resets between cases only ever sees its own requests. Rejects when the fake closes.
   */
  waitForRequest(match?: RequestPredicate, options?: WaitOptions): Promise<RecordedRequest>;
  waitForAbort(match?: RequestPredicate, options?: WaitOptions): Promise<RecordedRequest>;
  waitForStall(match?: RequestPredicate, options?: WaitOptions): Promise<RecordedRequest>;
  /** Resolves once the exchange is over: finished, aborted or dropped. */
  waitForEnd(match?: RequestPredicate, options?: WaitOptions): Promise<RecordedRequest>;
};

export type FakeUpstreamOptions = Partial<Settings> & {
  openaiKey?: string;
  anthropicKey?: string;
  googleKey?: string;
  groqKey?: string;
  acmeKey?: string;
  mistralKey?: string;
  openaiModels?: string[];
  anthropicModels?: string[];
  googleModels?: string[];
  /** Keep every request in `requests` (default). `false` for benchmarks: nothing kept, waits never resolve. */
  record?: boolean;
};

export type FakeUpstream = {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `${url}/openai/v1`: the openai SDK's `baseURL`. */
  openaiBaseURL: string;
  /** `${url}/anthropic`: the Anthropic SDK's `baseURL` (it appends `/v1/...`). */
  anthropicBaseURL: string;
  /** `@google/genai` `httpOptions.baseUrl` for the fake Gemini. */
  googleBaseURL: string;
  openaiKey: string;
  anthropicKey: string;
  googleKey: string;
  /** `${url}/groq/openai/v1`: Groq's documented OpenAI SDK `baseURL`, on the fake. */
  groqBaseURL: string;
  groqKey: string;
  /** `${url}/acme/v1`: a compatible provider that takes its key in `x-api-key`. */
  acmeBaseURL: string;
  acmeKey: string;
  /** `${url}/mistral/v1`: Mistral's documented OpenAI SDK `baseURL`, on the fake. */
  mistralBaseURL: string;
  mistralKey: string;
  requests: RecordedRequest[];
  control: Control;
  /**
   * Every text generation so far (matching `match`), in arrival order: how many tokens
   * the fake generated per request, up to the moment the client left.
   */
  generated(match?: RequestPredicate): Generated[];
  /** The sums of `generated(match)`: what the provider would bill for them. */
  generatedTotal(match?: RequestPredicate): GeneratedTotal;
  close(): Promise<void>;
};
