import { CENSOR, redactText } from './redact-text.ts';

export interface SerializedError {
  name: string;
  message: string;
  code?: string | number;
  status?: number;
  stack?: string;
  cause?: SerializedError;
}

const MAX_CAUSES = 3;

/** Only call frames: file positions, never the text an error was built from. */
function framesOf(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined;
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  return frames.length > 0 ? frames.map((line) => redactText(line.trim())).join('\n') : undefined;
}

/**
 * The one shape an error takes in a log line: its name, code and status, its message
 * with anything that looks like a secret replaced, and its call frames. Every other
 * property (a request, a response, headers, a database row, a config object) is left
 * out, since any of them may carry a token, a key or a password.
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) {
    return { name: typeof err, message: typeof err === 'string' ? redactText(err) : CENSOR };
  }
  const e = err as Error & { code?: unknown; status?: unknown; statusCode?: unknown; error?: unknown };
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? e.code : e.error;
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  const stack = framesOf(e.stack);
  return {
    name: redactText(String(e.name)),
    message: redactText(String(e.message)),
    ...(typeof code === 'string' || typeof code === 'number'
      ? { code: typeof code === 'string' ? redactText(code) : code }
      : {}),
    ...(typeof status === 'number' ? { status } : {}),
    ...(stack ? { stack } : {}),
    ...(e.cause !== undefined && depth < MAX_CAUSES ? { cause: serializeError(e.cause, depth + 1) } : {}),
  };
}
