import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/**
 * Reads one secret line from standard input, never from the command line: piped
 * (`echo … | mandate user add alice`) or typed at a prompt that does not echo it.
 */
export async function readSecretLine(
  input: Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => void },
  output: Writable,
  prompt: string,
): Promise<string> {
  if (input.isTTY && input.setRawMode) {
    output.write(prompt);
    input.setRawMode(true);
    input.resume();
    let value = '';
    try {
      for await (const chunk of input) {
        for (const ch of String(chunk)) {
          if (ch === '\r' || ch === '\n') {
            output.write('\n');
            return value;
          }
          if (ch === '\u0003') throw new Error('cancelled');
          if (ch === '\u007f') value = value.slice(0, -1);
          else value += ch;
        }
      }
    } finally {
      input.setRawMode(false);
      input.pause();
    }
    return value;
  }
  const rl = createInterface({ input });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}
