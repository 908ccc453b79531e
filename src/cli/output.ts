import type { Writable } from 'node:stream';
import { formatUtc } from '../usage/format-usage.ts';

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

/** A date as the pages say it too: "2026-11-30 17:05 UTC" (the name is older than the format). */
export const isoDate = (ms: number): string => formatUtc(ms);

export class UsageError extends Error {
  override name = 'UsageError';
}
