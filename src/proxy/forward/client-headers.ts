import type { ProviderSpec } from '../endpoints/index.ts';
import { PROVIDER_SPECS } from '../endpoints/index.ts';

/**
 * Request headers an app may send that are passed upstream unchanged to every provider;
 * a provider's spec adds its own (`passedHeaders`).
 */
const COMMON_HEADERS: readonly string[] = [
  'accept',
  'content-type',
  'user-agent',
  'idempotency-key',
  'x-stainless-lang',
  'x-stainless-package-version',
  'x-stainless-os',
  'x-stainless-arch',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-retry-count',
  'x-stainless-timeout',
  'x-stainless-helper-method',
];

const passedTables = new WeakMap<ProviderSpec, ReadonlySet<string>>();

/** The passed headers for one provider, as a table built once (not filtered per request). */
export function passedHeadersFor(provider: ProviderSpec): ReadonlySet<string> {
  let table = passedTables.get(provider);
  if (!table) {
    table = new Set([...COMMON_HEADERS, ...(provider.passedHeaders ?? [])]);
    passedTables.set(provider, table);
  }
  return table;
}

/**
 * What a browser app may send cross-origin: every provider's passed headers, its token
 * (`authorization`, `x-api-key`, a provider's own token header), the DPoP proof (RFC
 * 9449: checked, never forwarded) and the headers a provider's SDK sends that its spec
 * checks or rewrites (`corsHeaders`).
 */
export const CORS_ALLOWED_HEADERS: readonly string[] = [
  ...new Set([
    ...COMMON_HEADERS,
    'authorization',
    'x-api-key',
    'dpop',
    ...Object.values(PROVIDER_SPECS).flatMap((spec) => [
      ...(spec.passedHeaders ?? []),
      ...(spec.tokenHeader ? [spec.tokenHeader] : []),
      ...(spec.corsHeaders ?? []),
    ]),
  ]),
];
