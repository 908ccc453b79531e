type Kind = 'string' | 'int' | 'bool' | 'list';

/** Environment variable → configuration path. `*_FILE` variants are derived for secrets. */
export const envMap: ReadonlyArray<{ env: string; path: string; kind: Kind; secret?: boolean }> = [
  { env: 'MANDATE_DATA_DIR', path: 'dataDir', kind: 'string' },
  { env: 'MANDATE_DATABASE_URL', path: 'database.url', kind: 'string', secret: true },
  { env: 'MANDATE_DATABASE_PASSWORD', path: 'database.password', kind: 'string', secret: true },
  { env: 'MANDATE_DATABASE_POOL_MAX', path: 'database.poolMax', kind: 'int' },
  { env: 'MANDATE_ISSUER', path: 'as.issuer', kind: 'string' },
  { env: 'MANDATE_AS_HOST', path: 'as.host', kind: 'string' },
  { env: 'MANDATE_AS_PORT', path: 'as.port', kind: 'int' },
  { env: 'MANDATE_TRUST_PROXY', path: 'as.trustProxy', kind: 'bool' },
  { env: 'MANDATE_COOKIE_KEYS', path: 'as.cookieKeys', kind: 'list', secret: true },
  { env: 'MANDATE_SIGNING_KEYS_FILE', path: 'as.signingKeysFile', kind: 'string' },
  { env: 'MANDATE_ACCESS_TOKEN_TTL', path: 'as.accessTokenTtl', kind: 'int' },
  { env: 'MANDATE_GRANT_DEFAULT_TTL', path: 'as.grantTtl.default', kind: 'int' },
  { env: 'MANDATE_GRANT_MAX_TTL', path: 'as.grantTtl.max', kind: 'int' },
  { env: 'MANDATE_PROXY_URL', path: 'proxy.url', kind: 'string' },
  { env: 'MANDATE_PROXY_HOST', path: 'proxy.host', kind: 'string' },
  { env: 'MANDATE_PROXY_PORT', path: 'proxy.port', kind: 'int' },
  { env: 'MANDATE_PROXY_CLIENT_ID', path: 'proxyClient.id', kind: 'string' },
  { env: 'MANDATE_PROXY_CLIENT_SECRET', path: 'proxyClient.secret', kind: 'string', secret: true },
];
