import * as oidc from 'openid-client';
import type { RunningAs } from './start-authorization-server.ts';
import { csrfOf, formAction, type Hop, type UserAgent } from './user-agent.ts';

export async function discover(as: RunningAs, clientId: string, clientSecret?: string) {
  return oidc.discovery(
    new URL(as.issuer),
    clientId,
    undefined,
    clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

export interface AuthorizeOptions {
  redirectUri: string;
  scope: string;
  username?: string;
  password?: string;
  /** Scopes to untick on the consent page. */
  untick?: string[];
  duration?: number;
  extraParams?: Record<string, string>;
  /** Consent-page limit fields to set (e.g. `limit-openai-max_requests`); the others keep their shown value. */
  limits?: Record<string, string>;
  /** The limits' period to choose; the page's preselected one otherwise. */
  period?: 'lifetime' | 'month';
}

/** The limit inputs a consent page shows, with their prefilled values. */
export function limitInputsOf(page: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="number"[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(m[0])?.[1];
    if (name) out[name] = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
  }
  return out;
}

/** The grants a consent page says Allow replaces (its hidden `replaces` fields): the form posts them back. */
export function replacesOf(page: string): string[] {
  return [...page.matchAll(/<input type="hidden" name="replaces" value="([^"]+)">/g)].map(
    (m) => m[1] as string,
  );
}

export interface Authorized {
  config: oidc.Configuration;
  callbackUrl: URL;
  verifier: string;
  state: string;
}

/** Starts an authorization with PKCE; returns the URL and what the token request needs. */
export async function startAuthorization(
  config: oidc.Configuration,
  as: Pick<RunningAs, 'proxyUrl'>,
  opts: AuthorizeOptions,
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: opts.redirectUri,
    scope: opts.scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: as.proxyUrl,
    ...opts.extraParams,
  });
  return { url, verifier, state };
}

/** Signs in on the hosted page (when asked) and returns the consent page. */
export async function signInAndReachConsent(
  ua: UserAgent,
  startUrl: string,
  opts: AuthorizeOptions,
): Promise<Hop> {
  let page = await ua.follow(startUrl, opts.redirectUri);
  if (page.body.includes('name="password"')) {
    page = await ua.request(formAction(page.body, page.url, '/login'), {
      form: {
        csrf: csrfOf(page.body),
        username: opts.username ?? 'alice',
        password: opts.password ?? 'correct horse battery',
      },
    });
    if (page.status !== 303 || !page.location)
      throw new Error(`sign-in failed: ${page.status} ${page.body.slice(0, 300)}`);
    page = await ua.follow(page.location, opts.redirectUri);
  }
  return page;
}

/** Approves on the consent page: every requested scope but the unticked ones. */
export async function consent(
  ua: UserAgent,
  page: Hop,
  opts: AuthorizeOptions & { decision?: 'allow' | 'deny' },
): Promise<Hop> {
  const scopes = [...page.body.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1] as string);
  const duration = opts.duration ?? Number(/<option value="(\d+)" selected/.exec(page.body)?.[1]);
  const limits = { ...limitInputsOf(page.body), ...opts.limits };
  const period = opts.period ?? /<option value="(lifetime|month)" selected/.exec(page.body)?.[1];
  const res = await ua.request(formAction(page.body, page.url, '/consent'), {
    form: {
      csrf: csrfOf(page.body),
      replaces: replacesOf(page.body),
      scope: scopes.filter((s) => !(opts.untick ?? []).includes(s)),
      duration: String(duration),
      ...limits,
      ...(period ? { period } : {}),
      decision: opts.decision ?? 'allow',
    },
  });
  if (res.status !== 303 || !res.location)
    throw new Error(`consent failed: ${res.status} ${res.body.slice(0, 300)}`);
  return ua.follow(res.location, opts.redirectUri);
}

/** The whole front channel: authorization URL → sign-in → consent → callback URL. */
export async function authorize(
  config: oidc.Configuration,
  as: Pick<RunningAs, 'proxyUrl'>,
  ua: UserAgent,
  opts: AuthorizeOptions,
): Promise<Authorized> {
  const { url, verifier, state } = await startAuthorization(config, as, opts);
  const page = await signInAndReachConsent(ua, url.toString(), opts);
  const done = await consent(ua, page, opts);
  if (!done.location?.startsWith(opts.redirectUri))
    throw new Error(`no redirect to the app: ${done.status} ${done.body.slice(0, 300)}`);
  return { config, callbackUrl: new URL(done.location), verifier, state };
}

export async function exchange(a: Authorized) {
  return oidc.authorizationCodeGrant(a.config, a.callbackUrl, {
    pkceCodeVerifier: a.verifier,
    expectedState: a.state,
  });
}

/** The OAuth error code a failed openid-client call carries (body or WWW-Authenticate). */
export async function oauthErrorOf(
  promise: Promise<unknown>,
): Promise<{ error?: string; status?: number; description?: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as {
      error?: string;
      status?: number;
      error_description?: string;
      cause?: Array<{ parameters?: { error?: string; error_description?: string } }> | { error?: string };
    };
    const challenge = Array.isArray(e.cause) ? e.cause[0]?.parameters : undefined;
    return {
      error: e.error ?? challenge?.error ?? (e.cause as { error?: string } | undefined)?.error,
      status: e.status,
      description: e.error_description ?? challenge?.error_description,
    };
  }
  throw new Error('expected the call to fail');
}
