import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';

/** One HTTP exchange an SDK (or a test) made, as the client saw it. */
export interface Exchange {
  method: string;
  url: string;
  requestHeaders: Headers;
  status: number;
  headers: Headers;
  /** The response body as text; '' when it could not be read to the end (aborts, drops). */
  body: Promise<string>;
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A `fetch` that records every exchange. The body is read from a clone in the
 * background, so streamed answers reach the caller as they arrive.
 */
export function createExchangeRecorder(inner: FetchLike = fetch) {
  const exchanges: Exchange[] = [];
  const recording: FetchLike = async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const res = await inner(input, init);
    exchanges.push({
      method: init?.method ?? request?.method ?? 'GET',
      url: request?.url ?? String(input),
      requestHeaders: new Headers(init?.headers ?? request?.headers),
      status: res.status,
      headers: res.headers,
      body: res
        .clone()
        .text()
        .catch(() => ''),
    });
    return res;
  };
  return {
    exchanges,
    fetch: recording,
    last(): Exchange {
      const exchange = exchanges.at(-1);
      if (!exchange) throw new Error('no exchange was recorded');
      return exchange;
    },
  };
}

export type ExchangeRecorder = ReturnType<typeof createExchangeRecorder>;

/** A `fetch` that drops every credential header the SDK adds (a request with no token). */
export function withoutCredentials(inner: FetchLike): FetchLike {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.delete('authorization');
    headers.delete('x-api-key');
    return inner(input, { ...init, headers });
  };
}

/** A `fetch` that sends `body` instead of what the SDK serialized (e.g. invalid JSON). */
export function withBody(inner: FetchLike, body: string): FetchLike {
  return (input, init) => inner(input, { ...init, body });
}

export interface ClientOptions {
  fetch?: FetchLike;
  organization?: string;
  project?: string;
  defaultHeaders?: Record<string, string>;
}

export function openaiClient(baseURL: string, token: string, options: ClientOptions = {}): OpenAI {
  return new OpenAI({
    apiKey: token,
    baseURL,
    maxRetries: 0,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.organization ? { organization: options.organization } : {}),
    ...(options.project ? { project: options.project } : {}),
    ...(options.defaultHeaders ? { defaultHeaders: options.defaultHeaders } : {}),
  });
}

export function anthropicClient(baseURL: string, token: string, options: ClientOptions = {}): Anthropic {
  return new Anthropic({
    apiKey: token,
    baseURL,
    maxRetries: 0,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.defaultHeaders ? { defaultHeaders: options.defaultHeaders } : {}),
  });
}

/** The error a call rejected with; fails the test when it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

type ErrorClass = abstract new (...args: never[]) => Error;

export interface OpenAIErrorFields {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/** Parses an OpenAI-shaped error body: exactly `{error:{message,type,param,code}}`. */
export function openaiErrorOf(text: string): OpenAIErrorFields {
  const body = JSON.parse(text) as { error: OpenAIErrorFields };
  expect(body, text).to.have.all.keys('error');
  expect(body.error, text).to.have.all.keys('message', 'type', 'param', 'code');
  expect(body.error.message).to.be.a('string').and.not.equal('');
  expect(body.error.type).to.be.a('string').and.not.equal('');
  return body.error;
}

/**
 * Parses an Anthropic-shaped error body: `{type:"error",error:{type,message}}`, plus the
 * `request_id` Anthropic itself adds (so passed-through upstream errors parse too).
 */
export function anthropicErrorOf(text: string): AnthropicErrorBody['error'] {
  const body = JSON.parse(text) as AnthropicErrorBody;
  expect(
    Object.keys(body).filter((k) => k !== 'request_id'),
    text,
  ).to.have.members(['type', 'error']);
  expect(body.type).to.equal('error');
  expect(body.error, text).to.have.all.keys('type', 'message');
  expect(body.error.message).to.be.a('string').and.not.equal('');
  return body.error;
}

export interface Refusal<F> {
  err: Error & { status?: number; headers?: Headers };
  exchange: Exchange;
  error: F;
  text: string;
}

/**
 * Runs an OpenAI SDK call that the proxy must refuse, and checks the SDK exception
 * class, the status on the wire and on the exception, and the error body's shape.
 */
export async function openaiRefusal(
  recorder: ExchangeRecorder,
  call: Promise<unknown>,
  expected: {
    status: number;
    errorClass: ErrorClass;
    code?: string | null;
    type?: string;
    messageIncludes?: string;
  },
): Promise<Refusal<OpenAIErrorFields>> {
  const before = recorder.exchanges.length;
  const err = (await rejectionOf(call)) as Refusal<OpenAIErrorFields>['err'];
  expect(err, String(err)).to.be.instanceOf(expected.errorClass);
  expect(err).to.be.instanceOf(OpenAI.APIError);
  expect(recorder.exchanges.length, 'exactly one request (maxRetries: 0)').to.equal(before + 1);
  const exchange = recorder.last();
  expect(exchange.status).to.equal(expected.status);
  expect(err.status).to.equal(expected.status);
  const text = await exchange.body;
  const error = openaiErrorOf(text);
  expect((err as unknown as { error: unknown }).error).to.deep.equal(error);
  if (expected.code !== undefined) expect(error.code).to.equal(expected.code);
  if (expected.type !== undefined) expect(error.type).to.equal(expected.type);
  if (expected.messageIncludes !== undefined) expect(error.message).to.include(expected.messageIncludes);
  return { err, exchange, error, text };
}

/** The Anthropic SDK counterpart of `openaiRefusal`. */
export async function anthropicRefusal(
  recorder: ExchangeRecorder,
  call: Promise<unknown>,
  expected: { status: number; errorClass: ErrorClass; type?: string; messageIncludes?: string },
): Promise<Refusal<AnthropicErrorBody['error']>> {
  const before = recorder.exchanges.length;
  const err = (await rejectionOf(call)) as Refusal<AnthropicErrorBody['error']>['err'];
  expect(err, String(err)).to.be.instanceOf(expected.errorClass);
  expect(err).to.be.instanceOf(Anthropic.APIError);
  expect(recorder.exchanges.length, 'exactly one request (maxRetries: 0)').to.equal(before + 1);
  const exchange = recorder.last();
  expect(exchange.status).to.equal(expected.status);
  expect(err.status).to.equal(expected.status);
  const text = await exchange.body;
  const error = anthropicErrorOf(text);
  expect((err as unknown as { error: unknown }).error).to.deep.equal(JSON.parse(text));
  if (expected.type !== undefined) expect(error.type).to.equal(expected.type);
  if (expected.messageIncludes !== undefined) expect(error.message).to.include(expected.messageIncludes);
  return { err, exchange, error, text };
}

/** The auth-params of a `WWW-Authenticate: Bearer …` challenge (RFC 6750 / RFC 9110). */
export function bearerChallenge(
  header: string | null,
  scheme: 'Bearer' | 'DPoP' = 'Bearer',
): Record<string, string> {
  expect(header, 'WWW-Authenticate').to.be.a('string');
  const value = header as string;
  expect(value.startsWith(`${scheme} `), value).to.equal(true);
  const params: Record<string, string> = {};
  for (const match of value.slice(scheme.length + 1).matchAll(/([A-Za-z_]+)="((?:[^"\\]|\\.)*)"/g)) {
    params[match[1] as string] = (match[2] as string).replace(/\\(.)/g, '$1');
  }
  return params;
}

/**
 * A 401's challenge: `error="invalid_token"` (none when no token was sent at all, RFC 6750
 * §3.1) and the RFC 9728 resource metadata URL.
 */
export function expectInvalidTokenChallenge(
  headers: Headers,
  proxyUrl: string,
  error: string | null = 'invalid_token',
): Record<string, string> {
  const params = bearerChallenge(headers.get('www-authenticate'));
  expect(params.error).to.equal(error ?? undefined);
  expect(params.resource_metadata).to.equal(`${proxyUrl}/.well-known/oauth-protected-resource`);
  return params;
}

/** A 401 with the DPoP challenge (RFC 9449 §7.1): its error and the proof algorithms. */
export function expectDpopChallenge(headers: Headers, error: string): Record<string, string> {
  const params = bearerChallenge(headers.get('www-authenticate'), 'DPoP');
  expect(params.error).to.equal(error);
  expect(params.algs).to.equal('ES256 Ed25519 EdDSA');
  return params;
}

/** A 403 insufficient_scope challenge naming `scope`. */
export function expectInsufficientScopeChallenge(headers: Headers, proxyUrl: string, scope: string): void {
  const params = bearerChallenge(headers.get('www-authenticate'));
  expect(params.error).to.equal('insufficient_scope');
  expect(params.scope).to.equal(scope);
  expect(params.resource_metadata).to.equal(`${proxyUrl}/.well-known/oauth-protected-resource`);
}
