const LOOPBACK = /^(localhost|.+\.localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export interface ListenUrl {
  /** The public URL as configured (`as.issuer`, `proxy.url`). */
  url: string;
  /** Its setting and variable, as the message names them. */
  setting: string;
  /** The port the server listens on, and its setting. */
  port: number;
  portSetting: string;
}

/**
 * A warning when a loopback URL names another port than the server listens on: on this
 * machine nothing else is likely to answer there (a local reverse proxy could, so it is
 * not refused). A public host's port differs legitimately behind a reverse proxy: no word.
 */
export function listenUrlWarning({ url, setting, port, portSetting }: ListenUrl): string | undefined {
  const parsed = URL.parse(url);
  if (!parsed || !LOOPBACK.test(parsed.hostname)) return undefined;
  const named = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  if (named === port) return undefined;
  return `warning: ${setting} is ${url} (port ${named}) but the server listens on port ${port} (${portSetting}); unless a local reverse proxy forwards ${named} to ${port}, unset ${setting.split(' ')[0]} or make the ports agree`;
}
