import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../../src/config/index.ts';

export interface ListenSettings {
  host: string;
  port: number;
  /** How the message names the settings: `as.host (MANDATE_AS_HOST)`, `as.port (MANDATE_AS_PORT)`. */
  hostSetting: string;
  portSetting: string;
}

function listenFailure(err: NodeJS.ErrnoException, s: ListenSettings): ConfigError {
  const where = `${s.host}:${s.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new ConfigError(
        `cannot listen on ${where}: port ${s.port} is already in use (EADDRINUSE); stop the program using it or choose another port with ${s.portSetting}`,
      );
    case 'EACCES':
      return new ConfigError(
        `cannot listen on ${where}: not allowed to use port ${s.port} (EACCES); choose a port above 1023 with ${s.portSetting}`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(
        `cannot listen on ${where}: no such address on this machine (${err.code}); fix ${s.hostSetting}`,
      );
    default:
      return new ConfigError(`cannot listen on ${where}: ${err.code ?? err.message}`);
  }
}

/**
 * Listens with `handler` on the configured host and port. A port in use, a forbidden
 * port or an unknown host rejects with one line naming the setting to change.
 */
export function listen(handler: RequestListener, settings: ListenSettings): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(listenFailure(err, settings)));
    server.listen(settings.port, settings.host, () => resolve(server));
  });
}

/** Where a listening server really is, as `http://host:port` (IPv6 in brackets). */
export function listeningAt(server: Server): string {
  const { address, family, port } = server.address() as AddressInfo;
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}
