import { ConfigError } from './config-error.ts';
import { deepMerge } from './deep-merge.ts';

type Partial = {
  as?: { issuer?: string; host?: string; port?: number };
  proxy?: { url?: string; host?: string; port?: number };
};

/** The host a browser on this machine reaches a server by: an unspecified address is `localhost`. */
export function hostForUrl(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '::' || host === '[::]') return 'localhost';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function derive(host: string | undefined, port: number | undefined, setting: string, portSetting: string) {
  if (port === 0) {
    throw new ConfigError(
      `Invalid configuration:\n  ${setting}: must be set when ${portSetting} is 0 (a random port has no URL beforehand)`,
    );
  }
  return typeof port === 'number' ? `http://${hostForUrl(host ?? 'localhost')}:${port}` : undefined;
}

/**
 * `as.issuer` and `proxy.url` follow the listening host and port unless set: changing
 * only MANDATE_AS_PORT moves the issuer, discovery and the banner with it.
 */
export function withUrlDefaults<T extends Record<string, unknown>>(merged: T): T {
  const { as, proxy } = merged as Partial;
  const issuer = as?.issuer ?? derive(as?.host, as?.port, 'as.issuer (MANDATE_ISSUER)', 'as.port');
  const url = proxy?.url ?? derive(proxy?.host, proxy?.port, 'proxy.url (MANDATE_PROXY_URL)', 'proxy.port');
  return deepMerge(merged, {
    ...(issuer ? { as: { issuer } } : {}),
    ...(url ? { proxy: { url } } : {}),
  }) as T;
}
