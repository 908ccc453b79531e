import type { Writable } from 'node:stream';

/** Prints rows as aligned columns under a header. */
export function printTable(out: Writable, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  out.write(`${line(header)}\n`);
  for (const row of rows) out.write(`${line(row)}\n`);
}

export const isoDate = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class UsageError extends Error {
  override name = 'UsageError';
}
