import { ConfigError } from '../../src/config/index.ts';
import { createLogger, createPrettyDestination, type Logger } from '../../src/shared/log/index.ts';

export type LogFormat = 'json' | 'pretty';

/**
 * MANDATE_LOG_FORMAT (`json` or `pretty`) if set; otherwise `mandate start` on a terminal
 * prints readable lines, and everything else (a pipe, a file, `mandate serve`) JSON.
 */
export function logFormat(command: 'start' | 'serve'): LogFormat {
  const set = process.env.MANDATE_LOG_FORMAT;
  if (set === 'json' || set === 'pretty') return set;
  if (set) throw new ConfigError(`MANDATE_LOG_FORMAT must be json or pretty`);
  return command === 'start' && process.stdout.isTTY ? 'pretty' : 'json';
}

/**
 * The logger of one server process on stdout, through the one redacting serializer
 * (src/shared/log): JSON lines, or those lines reprinted readable.
 * MANDATE_LOG_LEVEL (pino levels; `info` by default).
 */
export function processLogger(service: 'mandate-as' | 'mandate-proxy', format: LogFormat = 'json'): Logger {
  const level = process.env.MANDATE_LOG_LEVEL || 'info';
  if (format === 'json') return createLogger({ service, level });
  const color = process.stdout.isTTY && process.stdout.hasColors() && !process.env.NO_COLOR;
  return createLogger({ service, level, destination: createPrettyDestination(process.stdout, { color }) });
}
