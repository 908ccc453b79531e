/** Hosts a native app's loopback redirect may name (RFC 8252 §7.3; `localhost` as MCP clients use it). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Schemes no redirect may use: they run code or read local data in the browser. */
const FORBIDDEN_SCHEMES = new Set([
  'javascript:',
  'data:',
  'vbscript:',
  'file:',
  'blob:',
  'about:',
  'filesystem:',
]);

/** A private-use scheme in reverse-domain form (RFC 8252 §7.1): `com.example.app`. */
const REVERSE_DOMAIN_SCHEME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+:$/;

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/**
 * Redirect URI rules for every way a client comes to be (CLI, dynamic registration,
 * metadata documents), after RFC 8252 and RFC 9700 §2.1:
 * - `https` anywhere;
 * - plain `http` only on loopback (`127.0.0.1`, `[::1]`, `localhost`), for native apps;
 * - a private-use scheme only in reverse-domain form (`com.example.app:/callback`);
 * - never a fragment, credentials in the URL, or a scheme that runs code (`javascript:`, `data:`…).
 * Returns why a URI is refused, or undefined when it is allowed.
 */
export function redirectUriProblem(uri: string): string | undefined {
  const url = typeof uri === 'string' ? URL.parse(uri) : null;
  if (!url) return 'is not an absolute URL';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `must not use the ${url.protocol} scheme`;
  if (url.hash || uri.includes('#')) return 'must not have a fragment';
  if (url.username || url.password) return 'must not hold credentials';
  if (url.protocol === 'https:') return url.hostname ? undefined : 'needs a host';
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname)
      ? undefined
      : 'plain http is allowed only on loopback (127.0.0.1, [::1], localhost); use https';
  }
  if (REVERSE_DOMAIN_SCHEME.test(url.protocol)) return undefined;
  return `a private-use scheme must be in reverse-domain form, such as com.example.app:/callback (got ${url.protocol})`;
}
