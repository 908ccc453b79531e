import type { DestinationStream } from 'pino';

/** A pino destination that keeps every line, for tests that read what was logged. */
export function captureLogs() {
  const raw: string[] = [];
  const destination: DestinationStream = {
    write(line: string) {
      raw.push(line);
    },
  };
  return {
    destination,
    /** Everything written, as one string: what a secret must never be a part of. */
    text: () => raw.join(''),
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
    clear: () => {
      raw.length = 0;
    },
  };
}

export type LogCapture = ReturnType<typeof captureLogs>;
