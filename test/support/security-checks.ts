import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startAuthorization } from './oauth-flow.ts';
import type { RunningAs } from './start-authorization-server.ts';
import { createUserAgent, csrfOf, formAction, type Hop, type UserAgent } from './user-agent.ts';

/*
 * Helpers for the security tests: hand-made authorization requests, the error
 * redirect back to the app, Mandate's own account pages, and the CSP header.
 */

export interface RawAuthorizationRequest {
  redirectUri: string;
  scope: string;
  /** Parameters to set, or to remove from the request when undefined. */
  params?: Record<string, string | undefined>;
  ua?: UserAgent;
}

/** Sends one authorization request (PKCE S256 unless `params` say otherwise); no redirect followed. */
export async function sendAuthorizationRequest(
  config: oidc.Configuration,
  as: RunningAs,
  req: RawAuthorizationRequest,
) {
  const { url, verifier, state } = await startAuthorization(config, as, {
    redirectUri: req.redirectUri,
    scope: req.scope,
  });
  for (const [name, value] of Object.entries(req.params ?? {})) {
    if (value === undefined) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  const hop = await (req.ua ?? createUserAgent()).request(url.toString());
  return { hop, url, verifier, state };
}

/**
 * The query of the authorization server's immediate redirect back to the app (RFC 6749
 * section 4.1.2.1): the app's exact redirect URI, an `error`, no `code`.
 */
export function errorRedirectParams(hop: Hop, redirectUri: string): URLSearchParams {
  expect(hop.status, `expected a redirect, got ${hop.status}: ${hop.body.slice(0, 200)}`).to.be.oneOf([
    302, 303,
  ]);
  expect(hop.location, 'redirect location').to.be.a('string');
  const location = new URL(hop.location as string);
  expect(`${location.origin}${location.pathname}`).to.equal(redirectUri);
  expect(location.searchParams.has('code'), 'an error redirect carries no code').to.equal(false);
  return location.searchParams;
}

/** Signs in on /account/login with a form of its own; returns the answer to the POST. */
export async function signInToAccount(
  ua: UserAgent,
  as: RunningAs,
  username: string,
  password: string,
): Promise<Hop> {
  const page = await ua.request(`${as.issuer}/account/login`);
  return ua.request(formAction(page.body, page.url, '/account/login'), {
    form: { csrf: csrfOf(page.body), username, password },
  });
}

/** Posts the form of `page` whose action contains `contains`, with that page's CSRF token. */
export async function submitAccountForm(ua: UserAgent, page: Hop, contains: string): Promise<Hop> {
  return ua.request(formAction(page.body, page.url, contains), { form: { csrf: csrfOf(page.body) } });
}

/** The directives of a Content-Security-Policy header, by name. */
export function cspDirectives(headers: Headers): Map<string, string[]> {
  const header = headers.get('content-security-policy');
  expect(header, 'Content-Security-Policy header').to.be.a('string');
  const directives = new Map<string, string[]>();
  for (const part of (header as string).split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values);
  }
  return directives;
}

/** Asserts the strict CSP of the hosted pages: nothing by default, no framing, no inline code. */
export function expectStrictCsp(headers: Headers): void {
  const csp = cspDirectives(headers);
  expect(csp.get('default-src')).to.deep.equal(["'none'"]);
  expect(csp.get('frame-ancestors')).to.deep.equal(["'none'"]);
  const all = (headers.get('content-security-policy') as string).toLowerCase();
  expect(all).to.not.include('unsafe-inline');
  expect(all).to.not.include('unsafe-eval');
  expect(all).to.not.include('unsafe-hashes');
  expect(csp.has('script-src'), 'no script source is allowed at all').to.equal(false);
}
