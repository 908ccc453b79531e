import { ProxyError } from '../errors/proxy-error.ts';

/**
 * Headers an app may not set: the organization and project are the person's or the
 * operator's choice, never the app's.
 */
export function checkClientHeaders(headers: Record<string, string | string[] | undefined>): void {
  for (const name of ['openai-organization', 'openai-project']) {
    if (headers[name] !== undefined) {
      throw new ProxyError('header_not_allowed', `the ${name} header is set by Mandate, not by apps`);
    }
  }
}
