import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { redactFields } from './redact-fields.ts';
import { redactText } from './redact-text.ts';
import { serializeError } from './serialize-error.ts';

export interface LoggerSettings {
  /** pino level: `info` by default; `silent` logs nothing. */
  level?: string;
  /** Where JSON lines go: stdout by default. */
  destination?: DestinationStream;
  /** The `service` field of every line (`mandate-as`, `mandate-proxy`). */
  service: string;
}

/** pino options every Mandate logger shares: the error serializer and the redaction of fields and messages. */
export function loggerOptions({ level = 'info', service }: LoggerSettings): LoggerOptions {
  return {
    level,
    base: { service },
    serializers: { err: serializeError },
    // Secret-named fields of what a caller logs blanked (src/shared/log/redact-fields.ts;
    // a child logger's bindings in `createLogger`). Not pino's `redact` paths: with a
    // wildcard path, those re-parse every path for every string of every line (about 3 KB
    // of garbage and 30 µs of CPU a request line, measured).
    formatters: { log: redactFields },
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
  const logger = settings.destination ? pino(options, settings.destination) : pino(options);
  // pino passes a child's bindings through no formatter: they are redacted here. Children
  // inherit this method (pino makes each child from its parent), so theirs are too.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactFields(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

export type { Logger } from 'pino';
