/**
 * A tiny browser for integration tests: a cookie jar and manual redirects over fetch,
 * so every hop of the OAuth dance is visible to the test.
 */
export interface Hop {
  status: number;
  url: string;
  location?: string;
  body: string;
  headers: Headers;
}

export interface UserAgentOptions {
  /**
   * Behind a TLS-terminating proxy: https URLs are fetched over plain http with
   * `X-Forwarded-Proto: https`, as the proxy would forward them.
   */
  behindTlsProxy?: boolean;
}

export function createUserAgent(options: UserAgentOptions = {}) {
  const jar = new Map<string, string>();
  /** Every Set-Cookie line received, attributes included. */
  const setCookies: string[] = [];

  function remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      setCookies.push(line);
      const [pair, ...attrs] = line.split(';');
      const eq = (pair as string).indexOf('=');
      const name = (pair as string).slice(0, eq).trim();
      const value = (pair as string).slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v] = a.trim().split('=');
        if (k?.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k?.toLowerCase() === 'expires') return new Date(v as string).getTime() <= Date.now();
        return false;
      });
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  async function request(
    url: string,
    init: { method?: string; form?: Record<string, string | string[]> } = {},
  ): Promise<Hop> {
    const headers: Record<string, string> = {};
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const one of [v].flat()) params.append(k, one);
      body = params.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (options.behindTlsProxy) headers['x-forwarded-proto'] = 'https';
    const target = options.behindTlsProxy ? url.replace(/^https:/, 'http:') : url;
    const res = await fetch(target, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    remember(res);
    const location = res.headers.get('location');
    return {
      status: res.status,
      url,
      ...(location ? { location: new URL(location, url).toString() } : {}),
      body: await res.text(),
      headers: res.headers,
    };
  }

  /** Follows redirects until a page is shown or the location starts with `stopAt`. */
  async function follow(url: string, stopAt?: string): Promise<Hop> {
    let hop = await request(url);
    for (let i = 0; i < 10 && hop.location; i++) {
      if (stopAt && hop.location.startsWith(stopAt)) return hop;
      hop = await request(hop.location);
    }
    return hop;
  }

  return { request, follow, jar, setCookies };
}

export type UserAgent = ReturnType<typeof createUserAgent>;

/** The value of the hidden csrf field in a rendered page. */
export function csrfOf(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no csrf field on the page');
  return match[1] as string;
}

/** The action URL of the first form posting to `/interaction/…` or `/account/…`. */
export function formAction(page: string, base: string, contains: string): string {
  const re = /<form[^>]*action="([^"]+)"/g;
  for (let m = re.exec(page); m; m = re.exec(page)) {
    const action = (m[1] as string).replaceAll('&amp;', '&');
    if (action.includes(contains)) return new URL(action, base).toString();
  }
  throw new Error(`no form with action containing ${contains}`);
}

/** The URL of the first link whose href contains `contains`. */
export function linkTo(page: string, base: string, contains: string): string {
  const re = /<a[^>]*href="([^"]+)"/g;
  for (let m = re.exec(page); m; m = re.exec(page)) {
    const href = (m[1] as string).replaceAll('&amp;', '&');
    if (href.includes(contains)) return new URL(href, base).toString();
  }
  throw new Error(`no link with href containing ${contains}`);
}

/**
 * Post/redirect/get: a successful form post answers 303 See Other to a page; this
 * checks that and loads the page, as a browser would (a reload then never reposts).
 */
export async function seeOther(ua: UserAgent, posted: Hop): Promise<Hop> {
  if (posted.status !== 303 || !posted.location)
    throw new Error(
      `expected a 303 See Other after the post, got ${posted.status}: ${posted.body.slice(0, 200)}`,
    );
  return ua.request(posted.location);
}
