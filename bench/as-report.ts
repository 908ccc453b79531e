/**
 * The authorization-server bench's results as Markdown (bench/as-flows.ts): flows and
 * refreshes per second, CPU and latency per operation, per storage and concurrency; the
 * PostgreSQL / in-memory ratio against the design target; the profiles' summary. Written
 * into docs/performance.md between its own markers, with the proxy bench's helpers.
 */
import type { ProfileSummary } from './profile-summary.ts';
import { int, ms, pct, table } from './report.ts';

export const STORAGES = ['pg', 'sqlite', 'memory'] as const;
export type StorageId = (typeof STORAGES)[number];
export const STORAGE_LABELS: Record<StorageId, string> = {
  pg: 'PostgreSQL',
  sqlite: 'SQLite',
  memory: 'in-memory adapter',
};

export const CELL_KINDS = ['first', 'reauthorize', 'refresh'] as const;
export type CellKind = (typeof CELL_KINDS)[number];
export const KIND_LABELS: Record<CellKind, string> = {
  first: 'first flow (sign-in, consent, token)',
  reauthorize: 're-authorization, signed in (consent, token)',
  refresh: 'refresh (rotation)',
};

/** The design's target: flows/s on PostgreSQL at least this share of the in-memory adapter's. */
export const AS_RATIO_TARGET = 0.5;

export const AS_START_MARKER = '<!-- bench:as:start -->';
export const AS_END_MARKER = '<!-- bench:as:end -->';

export interface CellResult {
  kind: CellKind;
  concurrency: number;
  storage: StorageId;
  /** Operations (flows or refreshes) completed in the measured rounds. */
  ops: number;
  perSecond: number;
  /** Per round, operations per second. */
  rounds: number[];
  /** The AS process's CPU (process.cpuUsage, all threads) per operation, ms. */
  cpuMsPerOp: number;
  /** The PostgreSQL backends' CPU per operation, ms (0 elsewhere). */
  databaseCpuMsPerOp: number;
  /** Latency of one operation as the driver saw it, ms. */
  p50: number;
  p99: number;
  /** The pool of apps ran out during a round (fewer flows than the time allowed). */
  exhausted: boolean;
}

export interface Profiled {
  storage: StorageId;
  concurrency: number;
  flows: number;
  summary: ProfileSummary;
}

export interface AsRunInfo {
  date: string;
  node: string;
  cpu: string;
  cores: number;
  command: string;
  source: string;
  placement: string;
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  durationSeconds: number;
  databases: Record<StorageId, string>;
  /** One password check (verifyPassword, production scrypt parameters), measured alone. */
  scrypt: { cpuMs: number; wallMs: number };
}

const cellOf = (results: CellResult[], kind: CellKind, c: number, s: StorageId) =>
  results.find((r) => r.kind === kind && r.concurrency === c && r.storage === s);
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');

export function renderAsResults(info: AsRunInfo, results: CellResult[], profiles: Profiled[]): string {
  const concurrencies = [...new Set(results.map((r) => r.concurrency))];
  const out: string[] = [
    `Run ${info.date}, Node ${info.node}, ${info.cpu} (${info.cores} cores), \`${info.command}\`, ` +
      `${Math.round(info.durationSeconds)} s in all. Code: ${info.source}.`,
    '',
    `Placement: ${info.placement}`,
    '',
    `Storages: ${STORAGES.map((s) => `**${STORAGE_LABELS[s]}**: ${info.databases[s]}`).join('; ')}.`,
    '',
    `Each cell: ${info.warmupSeconds} s of warm-up, then ${info.rounds} rounds of ${info.seconds / info.rounds} s ` +
      '(storages in order, then reversed), lanes looping back to back; per second is operations over wall time ' +
      "of both rounds (the rounds are shown); CPU is the AS process's `process.cpuUsage()` (all threads, so " +
      "scrypt's on libuv's pool too) per operation, and on PostgreSQL that of the backends serving the bench " +
      'database; p50/p99 are of one whole operation as the driver saw it.',
    '',
    table(
      [
        'operation',
        'lanes',
        'storage',
        'per second',
        'rounds',
        'AS CPU / op',
        'PostgreSQL CPU / op',
        'p50',
        'p99',
      ],
      CELL_KINDS.flatMap((kind) =>
        concurrencies.flatMap((c) =>
          STORAGES.map((s) => {
            const r = cellOf(results, kind, c, s);
            if (!r) return [KIND_LABELS[kind], String(c), STORAGE_LABELS[s], '–', '–', '–', '–', '–', '–'];
            return [
              KIND_LABELS[kind],
              String(c),
              STORAGE_LABELS[s] + (r.exhausted ? ' (apps used up)' : ''),
              f1(r.perSecond),
              r.rounds.map(f1).join(' / '),
              `${ms(r.cpuMsPerOp)} ms`,
              s === 'pg' ? `${ms(r.databaseCpuMsPerOp)} ms` : '–',
              `${ms(r.p50)} ms`,
              `${ms(r.p99)} ms`,
            ];
          }),
        ),
      ),
    ),
    '',
    `One password check (\`verifyPassword\`, scrypt N = 16384, r = 8, p = 1, the production parameters), measured ` +
      `alone in the driver process: **${ms(info.scrypt.cpuMs)} ms of CPU**, ${ms(info.scrypt.wallMs)} ms. A first ` +
      'flow signs in once, so that much of its CPU per flow is the password check.',
    '',
    '### PostgreSQL against the in-memory adapter',
    '',
    table(
      [
        'operation',
        'lanes',
        'PostgreSQL / memory per second',
        `target (≥ ${AS_RATIO_TARGET}×)`,
        'CPU / op, memory → PostgreSQL (AS + database)',
      ],
      CELL_KINDS.flatMap((kind) =>
        concurrencies.map((c) => {
          const p = cellOf(results, kind, c, 'pg');
          const m = cellOf(results, kind, c, 'memory');
          if (!p || !m) return [KIND_LABELS[kind], String(c), '–', '–', '–'];
          const ratio = p.perSecond / m.perSecond;
          return [
            KIND_LABELS[kind],
            String(c),
            `${ratio.toFixed(2)}× (${pct(ratio)})`,
            kind === 'refresh'
              ? `${ratio >= AS_RATIO_TARGET ? 'met' : 'missed'} (not a flow)`
              : ratio >= AS_RATIO_TARGET
                ? 'met'
                : 'missed',
            `${ms(m.cpuMsPerOp)} → ${ms(p.cpuMsPerOp)} + ${ms(p.databaseCpuMsPerOp)} ms`,
          ];
        }),
      ),
    ),
    '',
  ];
  if (profiles.length > 0) out.push(...renderAsProfiles(profiles));
  return out.join('\n').trimEnd();
}

function renderAsProfiles(profiles: Profiled[]): string[] {
  const perFlow = (p: Profiled, msTotal: number) => (p.flows > 0 ? msTotal / p.flows : Number.NaN);
  const out: string[] = [
    '### Where the time goes (CPU profiles)',
    '',
    'V8 sampling profiles (200 µs) of the AS process over a separate run of re-authorizations after the ' +
      "measurements (the profiler slows the process). Main thread only: work on libuv's pool (scrypt) does " +
      'not show. "per flow" is the profiled self time divided by the flows completed meanwhile.',
    '',
  ];
  const [a, b] = profiles;
  if (a && b) {
    const areas = new Map<string, { a: number; b: number }>();
    for (const x of a.summary.areas) areas.set(x.name, { a: perFlow(a, x.ms), b: 0 });
    for (const x of b.summary.areas) {
      const e = areas.get(x.name) ?? { a: 0, b: 0 };
      e.b = perFlow(b, x.ms);
      areas.set(x.name, e);
    }
    const rows = [...areas].sort((x, y) => Math.max(y[1].a, y[1].b) - Math.max(x[1].a, x[1].b));
    out.push(
      `Self time per flow by area, ${STORAGE_LABELS[a.storage]} against ${STORAGE_LABELS[b.storage]} (${a.concurrency} lanes; ` +
        `${int(a.flows)} and ${int(b.flows)} flows profiled):`,
      '',
      table(
        ['area (self time)', STORAGE_LABELS[a.storage], STORAGE_LABELS[b.storage], 'difference'],
        [
          [
            '**all busy time**',
            `${ms(perFlow(a, a.summary.busyMs))} ms`,
            `${ms(perFlow(b, b.summary.busyMs))} ms`,
            `${ms(perFlow(a, a.summary.busyMs) - perFlow(b, b.summary.busyMs))} ms`,
          ],
          ...rows
            .filter(([name]) => name !== '(idle)')
            .slice(0, 14)
            .map(([name, v]) => [name, `${ms(v.a)} ms`, `${ms(v.b)} ms`, `${ms(v.a - v.b)} ms`]),
        ],
      ),
      '',
    );
  }
  for (const p of profiles) {
    out.push(
      `Functions with the most self time, ${STORAGE_LABELS[p.storage]}:`,
      '',
      table(
        ['function (self time)', 'per flow', 'share of busy'],
        p.summary.topFunctions
          .slice(0, 12)
          .map((x) => [`\`${x.name}\``, `${ms(perFlow(p, x.ms))} ms`, pct(x.share)]),
      ),
      '',
    );
  }
  return out;
}
