import { GoogleGenAI } from '@google/genai';

/**
 * The official `@google/genai` client through the proxy: the access token as its API key
 * (sent as `x-goog-api-key`), `httpOptions.baseUrl` the proxy's `/google`. `apiVersion`
 * is the SDK's default (`v1`) unless given (`v1beta`). No retries.
 */
export function geminiClient(
  baseUrl: string,
  token: string,
  apiVersion?: string,
  fetch?: typeof globalThis.fetch,
): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: token,
    httpOptions: { baseUrl, ...(apiVersion ? { apiVersion } : {}), ...(fetch ? { fetch } : {}) },
  });
}

/** What a refusal through the SDK carries: its status and Google's error body, parsed from the message. */
export function geminiErrorOf(err: unknown): { status: number | undefined; body: unknown } {
  const { status, message } = err as { status?: number; message?: string };
  const json = /\{.*\}/s.exec(message ?? '')?.[0];
  let body: unknown;
  try {
    body = json ? JSON.parse(json) : undefined;
  } catch {
    body = undefined;
  }
  return { status, body };
}
