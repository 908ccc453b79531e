/**
 * A local fake of the OpenAI, Anthropic and Gemini APIs on one `node:http` server, speaking their
 * wire formats so the official SDKs (and the proxy) can be tested without the network.
 * OpenAI lives under `/openai` (SDK baseURL `${url}/openai/v1`), Anthropic under
 * `/anthropic` (SDK baseURL `${url}/anthropic`), Gemini under `/google` (`@google/genai`
 * `httpOptions.baseUrl` `${url}/google`); two OpenAI-compatible providers speak OpenAI's
 * format: Groq under `/groq/openai/v1`, `acme` (key in `x-api-key`) under `/acme/v1` and
 * Mistral (strict about fields, usage on a stream's last chunk) under `/mistral/v1`.
 * `generated()` says, per recorded request, how many tokens each text generation produced
 * before it ended or the client left: what the provider would bill.
 */
import { createControl } from './control.ts';
import { createHandler } from './handler.ts';
import { createRecorder } from './recorder.ts';
import { listen } from './server.ts';
import { fakeId } from './text.ts';
import type {
  Control,
  FakeUpstream,
  FakeUpstreamOptions,
  Generated,
  RecordedRequest,
  RequestPredicate,
} from './types.ts';

export { maskKey } from './auth.ts';
export { geminiPromptTokens, geminiUsage } from './google/usage.ts';
export { fakeEmbedding } from './openai/embeddings.ts';
export { TINY_PNG_BASE64 } from './openai/images.ts';
export { fakeSpeech } from './openai/speech.ts';
export { DEFAULT_SETTINGS } from './settings.ts';
export { contentDeltas, fakeId, replyChunks, replyText } from './text.ts';
export type * from './types.ts';
export * from './usage.ts';

export const DEFAULT_OPENAI_KEY = 'sk-fake-openai-0000000000000000';
export const DEFAULT_ANTHROPIC_KEY = 'sk-ant-fake-anthropic-000000000000';
export const DEFAULT_OPENAI_MODELS = [
  'gpt-4o-mini',
  'gpt-5.5',
  'text-embedding-3-small',
  'omni-moderation-latest',
];
export const DEFAULT_ANTHROPIC_MODELS = ['claude-sonnet-5-5', 'claude-haiku-5-5', 'claude-opus-5-5'];
/** Gemini API keys are Google Cloud API keys: `AIza` and 35 characters. */
export const DEFAULT_GOOGLE_KEY = 'AIzaFakeGoogle0000000000000000000000000';
export const DEFAULT_GROQ_KEY = 'gsk_fakeGroq000000000000000000000000';
export const DEFAULT_ACME_KEY = 'acme-fake-0000000000000000000000';
export const DEFAULT_MISTRAL_KEY = 'MistralFake00000000000000000000';
/** Model ids as Groq names them (some with a `/`). */
export const DEFAULT_GROQ_MODELS = ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant', 'openai/gpt-oss-20b'];
export const DEFAULT_GOOGLE_MODELS = [
  'gemini-2.5-flash',
  'gemini-2.5-pro',
  'gemini-2.5-flash-lite',
  'gemini-embedding-001',
];

/** The text generations among `requests`, each with the request it answered. */
function generationsOf(requests: RecordedRequest[], match: RequestPredicate = () => true): Generated[] {
  const found: Generated[] = [];
  for (const request of requests) {
    const { generation, provider } = request;
    if (!generation || !provider || !match(request)) continue;
    found.push({
      ...generation,
      seq: request.seq,
      requestId: fakeId('req_', request.seq),
      provider,
      route: request.route,
      request,
    });
  }
  return found;
}

export async function createFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const openaiKey = options.openaiKey ?? DEFAULT_OPENAI_KEY;
  const anthropicKey = options.anthropicKey ?? DEFAULT_ANTHROPIC_KEY;
  const googleKey = options.googleKey ?? DEFAULT_GOOGLE_KEY;
  const groqKey = options.groqKey ?? DEFAULT_GROQ_KEY;
  const acmeKey = options.acmeKey ?? DEFAULT_ACME_KEY;
  const mistralKey = options.mistralKey ?? DEFAULT_MISTRAL_KEY;
  const recorder = createRecorder({ keep: options.record ?? true });
  const control = createControl(options, recorder);
  let closing = false;
  const server = await listen(
    createHandler({
      recorder,
      control,
      isClosing: () => closing,
      keys: {
        openai: openaiKey,
        anthropic: anthropicKey,
        google: googleKey,
        groq: groqKey,
        acme: acmeKey,
        mistral: mistralKey,
      },
      models: {
        openai: options.openaiModels ?? DEFAULT_OPENAI_MODELS,
        anthropic: options.anthropicModels ?? DEFAULT_ANTHROPIC_MODELS,
        google: options.googleModels ?? DEFAULT_GOOGLE_MODELS,
        groq: DEFAULT_GROQ_MODELS,
        acme: DEFAULT_OPENAI_MODELS,
        mistral: ['mistral-large-latest', 'mistral-small-latest', 'mistral-embed'],
      },
    }),
  );
  const publicControl: Control = control;
  return {
    url: server.url,
    openaiBaseURL: `${server.url}/openai/v1`,
    anthropicBaseURL: `${server.url}/anthropic`,
    googleBaseURL: `${server.url}/google`,
    openaiKey,
    anthropicKey,
    googleKey,
    groqBaseURL: `${server.url}/groq/openai/v1`,
    groqKey,
    acmeBaseURL: `${server.url}/acme/v1`,
    acmeKey,
    mistralBaseURL: `${server.url}/mistral/v1`,
    mistralKey,
    requests: recorder.requests,
    control: publicControl,
    generated: (match) => generationsOf(recorder.requests, match),
    generatedTotal(match) {
      const all = generationsOf(recorder.requests, match);
      return {
        requests: all.length,
        inputTokens: all.reduce((sum, g) => sum + g.inputTokens, 0),
        outputTokens: all.reduce((sum, g) => sum + g.outputTokens, 0),
      };
    },
    async close() {
      if (closing) return;
      closing = true;
      recorder.fail(new Error('fake upstream closed'));
      control.releaseAll();
      await server.close();
    },
  };
}
