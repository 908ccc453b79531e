import type { DestinationStream } from 'pino';

/*
 * Log lines a person can follow on a terminal: the JSON line pino wrote (already through
 * the redaction serializer and paths, so nothing here can reveal more than JSON would)
 * reprinted as `12:04:05 INFO  as  message  key=value …`. Production keeps the JSON.
 */

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '90' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};
/** Fields every line has, shown in the prefix or not at all. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg', 'err']);

const paint = (on: boolean, code: string, text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

function clock(time: unknown): string {
  const date = new Date(typeof time === 'number' ? time : Date.now());
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** One JSON log line as readable text (or the line itself when it is not JSON). */
export function formatLogLine(line: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = LEVELS[entry.level as number] ?? { name: String(entry.level).padEnd(5), color: '0' };
  const service = String(entry.service ?? '').replace(/^mandate-/, '');
  const fields = Object.entries(entry)
    .filter(([key, v]) => !HIDDEN.has(key) && v !== undefined)
    .map(([key, v]) => `${paint(color, '2', `${key}=`)}${value(v)}`);
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  let out = `${paint(color, '2', clock(entry.time))} ${paint(color, level.color, level.name)} ${paint(color, '36', service.padEnd(5))} ${msg}`;
  if (fields.length > 0) out += `  ${fields.join(' ')}`;
  const err = entry.err as { name?: string; message?: string; code?: unknown; stack?: string } | undefined;
  if (err) {
    out += `\n    ${paint(color, level.color, `${err.name ?? 'Error'}: ${err.message ?? ''}`)}`;
    if (err.code !== undefined) out += ` (${value(err.code)})`;
    for (const frame of (err.stack ?? '').split('\n').filter(Boolean).slice(0, 5)) {
      out += `\n      ${paint(color, '2', frame)}`;
    }
  }
  return `${out}\n`;
}

/** A pino destination that writes each line readable to `out` (a terminal). */
export function createPrettyDestination(
  out: { write(text: string): unknown },
  options: { color?: boolean } = {},
): DestinationStream {
  return { write: (line: string) => void out.write(formatLogLine(line, options.color ?? false)) };
}
