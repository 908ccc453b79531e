import { ProxyError } from '../../errors/proxy-error.ts';
import type { EndpointSpec } from '../endpoint-spec.ts';

/**
 * The query parameters a Gemini endpoint takes: `alt=sse` (required) on
 * streamGenerateContent, `pageSize` and `pageToken` on the model listing, nothing
 * elsewhere. Google reads system parameters from the query (`key`, `fields`, `alt`,
 * `$alt`, `access_token`, `prettyPrint`, …): a `fields` mask could drop `usageMetadata`
 * from the answer, and a `key` would be the app's own credential. A `key` is refused with
 * its own message (the access token goes in `x-goog-api-key`); any other parameter, or
 * one twice, is refused too. Nothing refused is forwarded.
 */
export function checkGeminiQuery(spec: EndpointSpec, params: URLSearchParams): void {
  if (params.has('key')) {
    throw new ProxyError(
      'invalid_request',
      'send the access token as the API key (the x-goog-api-key header), not in the key query parameter',
    );
  }
  const allowed =
    spec.model === 'listing'
      ? ['pageSize', 'pageToken']
      : spec.path.endsWith(':streamGenerateContent')
        ? ['alt']
        : [];
  for (const name of new Set(params.keys())) {
    if (!allowed.includes(name)) {
      throw new ProxyError('invalid_request', `the query parameter ${name} is not taken here`);
    }
    if (params.getAll(name).length > 1) {
      throw new ProxyError('invalid_request', `the query parameter ${name} appears twice`);
    }
  }
  if (allowed.includes('alt') && params.get('alt') !== 'sse') {
    throw new ProxyError(
      'invalid_request',
      'streamGenerateContent is forwarded as server-sent events only: add alt=sse',
    );
  }
}
