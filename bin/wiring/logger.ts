import { createLogger, type Logger } from '../../src/shared/log/index.ts';

/**
 * The logger of one server process: JSON lines on stdout through the one redacting
 * serializer (src/shared/log). MANDATE_LOG_LEVEL (pino levels; `info` by default).
 */
export function processLogger(service: 'mandate-as' | 'mandate-proxy'): Logger {
  return createLogger({ service, level: process.env.MANDATE_LOG_LEVEL || 'info' });
}
