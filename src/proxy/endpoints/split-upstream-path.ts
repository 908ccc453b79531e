/**
 * RFC 3986 `pchar` as it may appear raw in a path segment: unreserved, sub-delims, ":",
 * "@", and "%" (which must start a valid percent-encoding).
 */
const RAW_SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$/;

/**
 * Splits the path that follows a provider prefix (`/v1/chat/completions?x=1`) into its
 * raw segments, ignoring the query string. Refuses (returns undefined) rather than
 * normalises anything an upstream or an intermediary could read differently from us:
 * no leading, trailing or doubled `/`, no `.` or `..` segments, no backslash, no raw
 * character outside RFC 3986 `pchar`, no malformed percent-encoding, no fragment.
 * Segments are returned still percent-encoded; callers compare them literally.
 */
export function splitUpstreamPath(path: string): string[] | undefined {
  if (typeof path !== 'string') return undefined;
  const queryAt = path.indexOf('?');
  const pathname = queryAt === -1 ? path : path.slice(0, queryAt);
  if (!pathname.startsWith('/')) return undefined;
  const segments = pathname.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '.' || segment === '..' || !RAW_SEGMENT.test(segment)) return undefined;
  }
  return segments;
}
