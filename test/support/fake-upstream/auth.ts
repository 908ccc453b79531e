/**
 * Credential checks, as the providers do them:
 * - OpenAI: `Authorization: Bearer <openaiKey>`.
 * - Google: `x-goog-api-key: <googleKey>` (a `key` query parameter is not accepted by the
 *   fake, so a proxy that forwarded one fails); 403 without one, 400 `API_KEY_INVALID`
 *   for a wrong one (and for `reject-key`).
 * - Anthropic: `x-api-key: <anthropicKey>` or `Authorization: Bearer <anthropicKey>` (the
 *   2026-10-21 SDKs send the key as a bearer token), plus a non-empty `anthropic-version`.
 * Returns the error reply to send, or undefined when the request may proceed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { anthropicError, openaiError } from './errors.ts';
import { googleError } from './google/errors.ts';
import { type BodyReply, jsonReply } from './outgoing.ts';

const OPENAI_NO_KEY =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using " +
  'Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if ' +
  "you're accessing the API from your browser and are prompted for a username and password. You can " +
  'obtain an API key from https://platform.openai.com/account/api-keys.';

/** `sk-abc…wxyz` with the middle starred out, as OpenAI echoes a wrong key. */
export function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

const bearer = (headers: IncomingHttpHeaders): string | undefined => {
  const match = /^Bearer (.*)$/i.exec(headers.authorization ?? '');
  return match?.[1];
};

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

export function checkOpenAIKey(
  headers: IncomingHttpHeaders,
  key: string,
  reject: boolean,
): BodyReply | undefined {
  const presented = bearer(headers);
  if (presented === undefined || presented === '') {
    return jsonReply(401, openaiError(401, { message: OPENAI_NO_KEY, code: null }));
  }
  if (presented === key && !reject) return undefined;
  const message =
    `Incorrect API key provided: ${maskKey(presented)}. ` +
    'You can find your API key at https://platform.openai.com/account/api-keys.';
  return jsonReply(401, openaiError(401, { message }));
}

export function checkAnthropicKey(
  headers: IncomingHttpHeaders,
  key: string,
  reject: boolean,
  requestId: string,
): BodyReply | undefined {
  const presented = header(headers, 'x-api-key') ?? bearer(headers);
  if (presented === undefined || presented === '') {
    return jsonReply(401, anthropicError(401, 'x-api-key header is required', requestId));
  }
  if (presented !== key || reject) {
    return jsonReply(401, anthropicError(401, 'invalid x-api-key', requestId));
  }
  if (!header(headers, 'anthropic-version')) {
    return jsonReply(400, anthropicError(400, 'anthropic-version: header is required', requestId));
  }
  return undefined;
}

/** An OpenAI-compatible provider that takes its key as it is in one header (`x-api-key`). */
export function checkHeaderKey(
  headers: IncomingHttpHeaders,
  name: string,
  key: string,
  reject: boolean,
): BodyReply | undefined {
  const presented = header(headers, name);
  if (presented === undefined || presented === '') {
    return jsonReply(401, openaiError(401, { message: `Missing API key: send it in ${name}`, code: null }));
  }
  if (presented === key && !reject) return undefined;
  return jsonReply(401, openaiError(401, { message: `Incorrect API key provided: ${maskKey(presented)}.` }));
}

/** Google answers a wrong key (and, in the fake, `reject-key`) with 400 `API_KEY_INVALID`. */
export function checkGoogleKey(
  headers: IncomingHttpHeaders,
  key: string,
  reject: boolean,
): BodyReply | undefined {
  const presented = header(headers, 'x-goog-api-key');
  if (presented === undefined || presented === '') {
    return jsonReply(
      403,
      googleError(403, "Method doesn't allow unregistered callers (callers without established identity)."),
    );
  }
  if (presented !== key || reject) {
    return jsonReply(
      400,
      googleError(400, 'API key not valid. Please pass a valid API key.', 'API_KEY_INVALID'),
    );
  }
  return undefined;
}
