import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { CENSOR, redactText } from './redact-text.ts';
import { serializeError } from './serialize-error.ts';

/**
 * Paths pino blanks wherever a caller logs a request-shaped object. They back up the
 * serializer: no caller should log these at all.
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  'client_secret',
  '*.client_secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  '*.code_verifier',
  'cookie',
  '*.cookie',
  'csrf',
  '*.csrf',
  'authorization',
  'key',
  '*.key',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers["x-api-key"]',
];

export interface LoggerSettings {
  /** pino level: `info` by default; `silent` logs nothing. */
  level?: string;
  /** Where JSON lines go: stdout by default. */
  destination?: DestinationStream;
  /** The `service` field of every line (`mandate-as`, `mandate-proxy`). */
  service: string;
}

/** pino options every Mandate logger shares: the error serializer and the redaction. */
export function loggerOptions({ level = 'info', service }: LoggerSettings): LoggerOptions {
  return {
    level,
    base: { service },
    serializers: { err: serializeError },
    redact: { paths: [...REDACT_PATHS], censor: CENSOR },
    hooks: {
      // The message text too: a caller interpolating a value must not leak a secret.
      logMethod(args, method) {
        // pino would copy a bare error's raw message into `msg`: give it the redacted one.
        const [first] = args;
        const input: unknown[] =
          first instanceof Error
            ? [{ err: first }, ...(args.length > 1 ? args.slice(1) : [first.message])]
            : [...args];
        const last = input.length - 1;
        if (typeof input[last] === 'string') input[last] = redactText(input[last] as string);
        return method.apply(this, input as Parameters<typeof method>);
      },
    },
  };
}

/** The one way Mandate makes a logger (both servers, from `bin/`). */
export function createLogger(settings: LoggerSettings): Logger {
  const options = loggerOptions(settings);
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

export type { Logger } from 'pino';
