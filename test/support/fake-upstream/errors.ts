/** The providers' own error bodies, so the official SDKs raise their usual error classes. */

import { googleError } from './google/errors.ts';
import { type BodyReply, type Headers, jsonReply } from './outgoing.ts';
import type { Provider } from './types.ts';

type OpenAIErrorFields = { message: string; type: string; param: string | null; code: string | null };

const OPENAI_DEFAULTS: Record<number, Omit<OpenAIErrorFields, 'param'>> = {
  400: { message: 'Bad request.', type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  403: {
    message: 'You are not allowed to sample from this model',
    type: 'invalid_request_error',
    code: null,
  },
  404: { message: 'Not found.', type: 'invalid_request_error', code: null },
  429: {
    message: 'Rate limit reached for requests. Please try again later.',
    type: 'requests',
    code: 'rate_limit_exceeded',
  },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  503: {
    message: 'The engine is currently overloaded, please try again later.',
    type: 'server_error',
    code: null,
  },
};

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const ANTHROPIC_MESSAGES: Record<string, string> = {
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit.',
  api_error: 'Internal server error',
  overloaded_error: 'Overloaded',
  not_found_error: 'Not Found',
};

export function openaiError(
  status: number,
  fields: Partial<OpenAIErrorFields> = {},
): { error: OpenAIErrorFields } {
  const base = {
    param: null,
    ...(OPENAI_DEFAULTS[status] ?? OPENAI_DEFAULTS[status >= 500 ? 500 : 400]),
    ...fields,
  };
  return { error: { message: base.message, type: base.type, param: base.param, code: base.code } };
}

export function anthropicError(status: number, message?: string, requestId?: string) {
  const type = ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return {
    type: 'error' as const,
    error: { type, message: message ?? ANTHROPIC_MESSAGES[type] ?? 'Error' },
    ...(requestId ? { request_id: requestId } : {}),
  };
}

/** An error reply in `provider`'s shape; `retryAfter` (seconds) becomes the `retry-after` header. */
export function errorReply(
  provider: Provider,
  status: number,
  options: { message?: string; retryAfter?: number; headers?: Headers; requestId?: string } = {},
): BodyReply {
  const headers: Headers = { ...options.headers };
  if (options.retryAfter !== undefined) headers['retry-after'] = String(options.retryAfter);
  const body =
    provider === 'openai' || provider === 'groq' || provider === 'acme' || provider === 'mistral'
      ? openaiError(status, options.message === undefined ? {} : { message: options.message })
      : provider === 'google'
        ? googleError(status, options.message)
        : anthropicError(status, options.message, options.requestId);
  return jsonReply(status, body, headers);
}
