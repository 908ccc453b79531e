/**
 * The benchmark's results as Markdown: tables, ratios against each bare pass-through,
 * the verdict on the design target, and the profile summary; and the writing of that
 * block into docs/performance.md between its markers, leaving the prose around it alone.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { CappedTarget, GcStats } from './processes.ts';
import type { ProfileSummary } from './profile-summary.ts';

export const TARGETS = [
  'direct',
  'httpProxy',
  'httpProxy3',
  'nodeHttp',
  'mandate',
  'mandateBudgeted',
  'mandateLeased',
  'mandate3',
  'mandateLeased3',
] as const;
export type TargetId = (typeof TARGETS)[number];
export const TARGET_LABELS: Record<TargetId, string> = {
  direct: 'direct to the fake upstream',
  httpProxy: 'bare `http-proxy` 1.18.1',
  httpProxy3: 'bare `http-proxy-3` 2.0.1',
  nodeHttp: 'bare `node:http`',
  mandate: 'Mandate proxy, unbudgeted grant',
  mandateBudgeted: 'Mandate proxy without leases, budgeted grant',
  mandateLeased: 'Mandate proxy with leases, budgeted grant',
  mandate3: 'three Mandate proxy processes, unbudgeted grant',
  mandateLeased3: 'three Mandate proxy processes with leases, one budgeted grant',
};
/** What a capped row is compared with: the unbudgeted grant on the same processes. */
export const UNCAPPED_OF: Record<CappedTarget, 'mandate' | 'mandate3'> = {
  mandateBudgeted: 'mandate',
  mandateLeased: 'mandate',
  mandateLeased3: 'mandate3',
};
/** The Mandate targets whose grant has caps, each a grant of its own. */
export const CAPPED_TARGETS = [
  'mandateBudgeted',
  'mandateLeased',
  'mandateLeased3',
] as const satisfies readonly CappedTarget[];

export interface SaturationRound {
  rps: number;
  requests: number;
  errors: number;
  /**
   * CPU of the processes doing the serving (the server child, the three proxy processes for
   * mandateLeased3, or the upstream for direct), % of one core.
   */
  serverCpuPct: number;
  /** Serving CPU per 2xx request, µs (proxies only): the server child's, or the three processes' together. */
  serverUsPerRequest: number;
  /** Serving CPU during the round, µs (the server child's, or the three processes' together). */
  serverUs: number;
  /** CPU of the database server's backends serving the bench database during the round, µs (0 on SQLite, which runs in the server child). */
  databaseUs: number;
  /** CPU of core 0's processes (load generator + fake upstream), % of one core. */
  loadSideCpuPct: number;
  /** CPU the rest of the machine used meanwhile (other sessions, kernel softirq), % of one core. */
  otherCpuPct: number;
}

export interface FixedRateSummary {
  rate: number;
  sent: number;
  failed: number;
  p50: number;
  p99: number;
  p999: number;
  firstByteP50: number;
  firstByteP99: number;
  maxSendLagMs: number;
  /** Most CPU other processes of the machine used during one of the rounds, % of one core. */
  otherPct: number;
  /** GC pauses of the server child during the fixed-rate runs (the in-process proxies only). */
  gc?: GcStats | undefined;
}

export interface CellResult {
  saturation: SaturationRound[];
  fixed: FixedRateSummary;
}

export interface WorkloadResult {
  name: string;
  description: string;
  cells: Record<TargetId, CellResult>;
  /**
   * The upstream paces this workload's answers: at saturation the connections wait on the
   * pacing, so saturation requests/s bound the connections' turnover, not the servers.
   */
  paced?: boolean;
  /** Every Mandate target at `RunInfo.budgetRate` (below the budgeted grant's saturation). */
  budgetRate: Record<'mandate' | 'mandate3' | CappedTarget, FixedRateSummary>;
}

export interface RunInfo {
  date: string;
  node: string;
  cpu: string;
  cores: number;
  command: string;
  /** The code measured: commit and whether the working tree differs from it. */
  source: string;
  placement: string;
  connections: number;
  saturationSeconds: number;
  rounds: number;
  rate: number;
  budgetRate: number;
  fixedSeconds: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Other processes' CPU (% of a core) in the second before measuring, after waiting that long for it to drop. */
  quiet: { waitedSeconds: number; otherPct: number };
  databaseEngine: 'sqlite' | 'pg';
  /** The database in words. */
  database: string;
  budget: BudgetInfo;
}

/** The capped grants: their caps (the same for each), and what their counters said at the end of the run. */
export interface BudgetInfo {
  maxSpendMicroUsd: number;
  maxRequests: number;
  injectedOutputBound: string | null;
  grants: Record<CappedTarget, GrantAccount>;
}

export interface GrantAccount {
  /** `grant_counters.requests` of the grant after the run. */
  chargedRequests: number;
  /** Its requests answered 2xx in the measurements (the counter must be at least this). */
  measuredRequests: number;
  openReservations: number;
}

export interface ProfileReport {
  label: string;
  /** Requests answered while profiled. */
  requests: number;
  summary: ProfileSummary;
}

export const START_MARKER = '<!-- bench:results:start -->';
export const END_MARKER = '<!-- bench:results:end -->';
/** A run on PostgreSQL (`--database postgres://…`) has its own block, beside the SQLite one. */
export const PG_MARKERS = { start: '<!-- bench:results-pg:start -->', end: '<!-- bench:results-pg:end -->' };

export const meanRps = (cell: CellResult) =>
  cell.saturation.reduce((s, r) => s + r.rps, 0) / cell.saturation.length;
const meanOf = (cell: CellResult, f: (r: SaturationRound) => number) =>
  cell.saturation.reduce((s, r) => s + f(r), 0) / cell.saturation.length;
/** Database-server CPU per answered request over all rounds, µs (0 on SQLite). */
export const dbUsPerRequest = (cell: CellResult) =>
  cell.saturation.reduce((s, r) => s + r.databaseUs, 0) /
  Math.max(
    1,
    cell.saturation.reduce((s, r) => s + r.requests, 0),
  );
/** Server-child CPU per answered request over all rounds, µs. */
export const usPerRequest = (cell: CellResult) =>
  cell.saturation.reduce((s, r) => s + r.serverUs, 0) /
  Math.max(
    1,
    cell.saturation.reduce((s, r) => s + r.requests, 0),
  );

export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
export const pct = (n: number) => `${(n * 100).toFixed(1)} %`;
const signedMs = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(2)} ms`;

/** A Markdown table, its columns padded to line up. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

export interface Ratio {
  workload: string;
  against: TargetId;
  rpsRatio: number;
  /** Bare CPU per request over Mandate's: the throughput ratio if both were CPU-bound (robust to other load). */
  cpuRatio: number;
  addedP99: number;
  addedP50: number;
  meets: boolean;
}

export const RPS_TARGET = 0.85;
export const ADDED_P99_TARGET_MS = 1;

export function ratios(workloads: WorkloadResult[]): Ratio[] {
  return workloads.flatMap((w) =>
    (['httpProxy', 'httpProxy3', 'nodeHttp'] as const).map((against) => {
      const rpsRatio = meanRps(w.cells.mandate) / meanRps(w.cells[against]);
      const cpuRatio = usPerRequest(w.cells[against]) / usPerRequest(w.cells.mandate);
      const addedP99 = w.cells.mandate.fixed.p99 - w.cells[against].fixed.p99;
      const addedP50 = w.cells.mandate.fixed.p50 - w.cells[against].fixed.p50;
      return {
        workload: w.name,
        against,
        rpsRatio,
        cpuRatio,
        addedP99,
        addedP50,
        meets: rpsRatio >= RPS_TARGET && addedP99 <= ADDED_P99_TARGET_MS,
      };
    }),
  );
}

export interface BudgetRatio {
  workload: string;
  target: CappedTarget;
  /** Capped requests/s over unbudgeted. */
  rpsRatio: number;
  /** Unbudgeted CPU per request over capped (proxy plus database server on PostgreSQL). */
  cpuRatio: number;
}

export function budgetRatios(workloads: WorkloadResult[]): BudgetRatio[] {
  const total = (c: CellResult) => usPerRequest(c) + dbUsPerRequest(c);
  return workloads.flatMap((w) =>
    CAPPED_TARGETS.map((target) => ({
      workload: w.name,
      target,
      rpsRatio: meanRps(w.cells[target]) / meanRps(w.cells[UNCAPPED_OF[target]]),
      cpuRatio: total(w.cells[UNCAPPED_OF[target]]) / total(w.cells[target]),
    })),
  );
}

function otherCpu(workloads: WorkloadResult[]): { mean: number; max: number } {
  const all = workloads.flatMap((w) =>
    TARGETS.flatMap((t) => w.cells[t].saturation.map((r) => r.otherCpuPct)),
  );
  return { mean: all.reduce((a, b) => a + b, 0) / Math.max(1, all.length), max: Math.max(0, ...all) };
}

export function renderResults(info: RunInfo, workloads: WorkloadResult[], profiles: ProfileReport[]): string {
  const out: string[] = [];
  const pg = info.databaseEngine === 'pg';
  const letters = TARGETS.map((_, i) => String.fromCharCode(65 + i));
  out.push(
    `Run of ${info.date} · Node ${info.node} · ${info.cpu} (${info.cores} cores) · \`${info.command}\` · ${Math.round(info.durationSeconds)} s in all`,
    '',
    `Code: ${info.source}.`,
    '',
    `Placement: ${info.placement}`,
    '',
    `Database: ${info.database}.`,
    '',
    `The machine is shared: before measuring, other processes used ${Math.round(info.quiet.otherPct)} % of one core ` +
      `(after waiting ${info.quiet.waitedSeconds} s for under 30 %); during the saturation rounds they (other sessions, kernel network work) used ` +
      `${Math.round(otherCpu(workloads).mean)} % of one core on average, ${Math.round(otherCpu(workloads).max)} % at most ` +
      '(from /proc/stat). Compare within this run only.',
    '',
    `Saturation: autocannon, ${info.connections} connections, ${info.rounds} rounds of ${info.saturationSeconds / info.rounds} s per target ` +
      `(round order ${letters.join(' ')}, then ${[...letters].reverse().join(' ')}), after ${info.warmupSeconds} s of warm-up per target; requests/s is the mean of the rounds ` +
      `(the rounds are shown). Fixed rate: ${info.rate} requests/s open loop for ${info.fixedSeconds} s per target (same two-round order), ` +
      'latency per request in µs resolution, from handing the request to the socket to its last byte.',
    '',
  );

  for (const w of workloads) {
    const sse = w.name.includes('SSE');
    out.push(`### ${w.name}`, '', w.description, '');
    out.push(
      `Saturation (${info.connections} connections):`,
      '',
      table(
        [
          'target',
          'requests/s',
          'rounds',
          'server CPU',
          'core 0 CPU',
          'other CPU',
          'proxy CPU / request',
          ...(pg ? ['database CPU / request'] : []),
        ],
        TARGETS.map((t) => {
          const c = w.cells[t];
          const errors = c.saturation.reduce((s, r) => s + r.errors, 0);
          return [
            TARGET_LABELS[t] + (errors > 0 ? ` (${errors} failed)` : ''),
            int(meanRps(c)),
            c.saturation.map((r) => int(r.rps)).join(' / '),
            `${Math.round(meanOf(c, (r) => r.serverCpuPct))} %`,
            `${Math.round(meanOf(c, (r) => r.loadSideCpuPct))} %`,
            `${Math.round(meanOf(c, (r) => r.otherCpuPct))} %`,
            t === 'direct' ? '–' : `${Math.round(usPerRequest(c))} µs`,
            ...(pg ? [t === 'direct' ? '–' : `${Math.round(dbUsPerRequest(c))} µs`] : []),
          ];
        }),
      ),
      '',
      `Fixed rate (${info.rate} requests/s), latency in ms:`,
      '',
      table(
        [
          'target',
          'p50',
          'p99',
          'p99.9',
          ...(sse ? ['first byte p50', 'first byte p99'] : []),
          'server GC pauses',
          'longest GC pause',
          'other CPU',
        ],
        TARGETS.map((t) => {
          const f = w.cells[t].fixed;
          return [
            TARGET_LABELS[t] + (f.failed > 0 ? ` (${f.failed} failed)` : ''),
            ms(f.p50),
            ms(f.p99),
            ms(f.p999),
            ...(sse ? [ms(f.firstByteP50), ms(f.firstByteP99)] : []),
            f.gc ? `${f.gc.count} (${f.gc.long} ≥ 5 ms), ${int(f.gc.totalMs)} ms in all` : '–',
            f.gc ? `${f.gc.maxMs.toFixed(1)} ms` : '–',
            `≤ ${Math.round(f.otherPct)} %`,
          ];
        }),
      ),
      '',
    );
  }
  out.push(
    '"server CPU" is the serving processes\' CPU during saturation, in % of one core (the server child for the ' +
      'proxies, the three proxy processes together for the three-process row, the fake upstream for direct); "core 0 CPU" that of the load generator and the fake upstream together; ' +
      '"other CPU" what the rest of the machine (other sessions, kernel) used meanwhile, in % of one core; a round ' +
      'during which that exceeded 50 % was measured again (at most twice more) and the quietest attempt kept. ' +
      '"proxy CPU / request" is the server child\'s CPU time (all threads; for the three-process row the three ' +
      "processes' together) divided by the requests answered, the least noisy cost figure on a shared machine. " +
      (pg
        ? '"database CPU / request" is the CPU time of the PostgreSQL backends connected to the bench database ' +
          '(found in `pg_stat_activity`, read from `/proc`) divided by the same requests; those backends are not ' +
          'pinned and are not counted in "other CPU". PostgreSQL\'s own background processes (WAL writer, ' +
          'checkpointer) are not included. '
        : '') +
      '"server GC pauses" counts the server child\'s garbage-collection ' +
      'pauses (perf_hooks) during the fixed-rate runs (not observed in the three processes); they stop every request in flight. The latency client fell ' +
      `behind its schedule by at most ${ms(Math.max(...workloads.flatMap((w) => TARGETS.map((t) => w.cells[t].fixed.maxSendLagMs))))} ms.`,
    '',
  );

  const rs = ratios(workloads);
  out.push('### Mandate against the bare pass-throughs', '');
  out.push(
    table(
      [
        'workload',
        'against',
        'requests/s ratio (≥ 85 %)',
        'inverse CPU / request ratio',
        'added p99 (≤ 1 ms)',
        'added p50',
        'target',
      ],
      rs.map((r) => [
        r.workload,
        TARGET_LABELS[r.against],
        pct(r.rpsRatio),
        pct(r.cpuRatio),
        signedMs(r.addedP99),
        signedMs(r.addedP50),
        r.meets ? 'met' : 'missed',
      ]),
    ),
    '',
    '"inverse CPU / request ratio" is the bare pass-through\'s CPU per request over Mandate\'s: the requests/s ratio ' +
      'both would reach with a whole core each, unaffected by what else the machine ran meanwhile. "target" judges ' +
      'the measured requests/s ratio and added p99.',
    '',
  );

  out.push(...renderBudget(info, workloads));

  out.push('### http-proxy 1.18 against http-proxy-3', '');
  out.push(
    table(
      ['workload', 'http-proxy-3 / http-proxy requests/s', 'CPU / request 1.18 → 3', 'p99 1.18 → 3'],
      workloads.map((w) => {
        const a = w.cells.httpProxy;
        const b = w.cells.httpProxy3;
        return [
          w.name,
          pct(meanRps(b) / meanRps(a)),
          `${Math.round(usPerRequest(a))} → ${Math.round(usPerRequest(b))} µs`,
          `${ms(a.fixed.p99)} → ${ms(b.fixed.p99)} ms`,
        ];
      }),
    ),
    '',
  );

  if (profiles.length > 0) out.push(...renderProfiles(profiles));
  return out.join('\n').trimEnd();
}

/** Short names of the capped rows, for the comparison tables. */
const CAPPED_SHORT: Record<CappedTarget, string> = {
  mandateBudgeted: 'budgeted',
  mandateLeased: 'leased',
  mandateLeased3: 'leased, 3 processes',
};

function renderBudget(info: RunInfo, workloads: WorkloadResult[]): string[] {
  const pg = info.databaseEngine === 'pg';
  const b = info.budget;
  const rs = budgetRatios(workloads);
  const change = (a: number, z: number, digits: number) =>
    `${z - a >= 0 ? '+' : '−'}${Math.abs(z - a).toFixed(digits)}`;
  const arrow = (a: number, z: number, unit: string, digits = 0) =>
    `${a.toFixed(digits)} → ${z.toFixed(digits)} ${unit} (${change(a, z, digits)})`;
  const failed = (f: FixedRateSummary) => (f.failed > 0 ? `, ${f.failed} failed` : '');
  const latencyRows = workloads.flatMap((w) =>
    CAPPED_TARGETS.flatMap((t) => {
      const pairs: Array<[number, FixedRateSummary, FixedRateSummary]> = [
        [info.budgetRate, w.budgetRate[UNCAPPED_OF[t]], w.budgetRate[t]],
        [info.rate, w.cells[UNCAPPED_OF[t]].fixed, w.cells[t].fixed],
      ];
      const saturated = meanRps(w.cells[t]);
      return pairs.map(([rate, u, z]) => [
        w.name,
        CAPPED_SHORT[t],
        w.paced ? `${rate}/s` : `${rate}/s (${Math.round((rate / saturated) * 100)} % of its saturation)`,
        arrow(u.p50, z.p50, 'ms', 2),
        arrow(u.p99, z.p99, 'ms', 2),
        `${ms(u.p999)} → ${ms(z.p999)} ms${failed(z)}`,
      ]);
    }),
  );
  // Within 20 % of saturation an open-loop load already queues for long stretches.
  const overloaded = workloads.flatMap((w) =>
    CAPPED_TARGETS.filter((t) => !w.paced && info.rate >= 0.8 * meanRps(w.cells[t])).map(
      (t) => `${CAPPED_SHORT[t]} (${w.name})`,
    ),
  );
  const open = CAPPED_TARGETS.filter((t) => b.grants[t].openReservations > 0);
  return [
    '### Capped grants against the unbudgeted grant',
    '',
    'The unbudgeted and budgeted rows are the same proxy process, with leases off (`proxy.leases.enabled: false`); ' +
      'only the access token differs. The leased row is a second proxy in that process, built the same way with leases on; the three-process row is three ' +
      '`mandate serve proxy` processes with leases on, over the same database, sharing one grant, compared with the same three processes serving the unbudgeted grant, the load split ' +
      'evenly over them (saturation: one autocannon per process at once, a third of the connections each, requests/s ' +
      "summed; fixed rate: requests sent to the three in turn); its CPU per request is the three processes' CPU " +
      'together over their requests together, and their GC pauses are not observed. Each capped row has a grant ' +
      `of its own with the same caps (max spend $${int(b.maxSpendMicroUsd / 1e6)}, max ${int(b.maxRequests)} requests, ` +
      'lifetime, no per-minute limit), far too large to refuse anything here. A budgeted request reserves its worst ' +
      'case in the database before forwarding and settles to the reported usage in a second write after the answer; ' +
      "with leases a proxy takes a slice of the grant's remaining budget in one write and admits requests against it " +
      'in memory, writes what was used every flush interval and returns a slice left idle. The unbudgeted grant is ' +
      'known to have no caps (a cached flag) and touches no budget table. All connections of a row use its one ' +
      'grant, so its writes queue for one counter row.',
    '',
    table(
      [
        'workload',
        'capped row',
        'requests/s unbudgeted → capped',
        'capped / unbudgeted',
        'proxy CPU / request',
        ...(pg ? ['database CPU / request'] : []),
        `inverse CPU / request ratio${pg ? ' (proxy + database)' : ''}`,
      ],
      rs.map((r) => {
        const w = workloads.find((x) => x.name === r.workload) as WorkloadResult;
        const u = w.cells[UNCAPPED_OF[r.target]];
        const z = w.cells[r.target];
        return [
          w.name,
          CAPPED_SHORT[r.target],
          `${int(meanRps(u))} → ${int(meanRps(z))}`,
          pct(r.rpsRatio),
          arrow(usPerRequest(u), usPerRequest(z), 'µs'),
          ...(pg ? [arrow(dbUsPerRequest(u), dbUsPerRequest(z), 'µs')] : []),
          pct(r.cpuRatio),
        ];
      }),
    ),
    '',
    `Latency, unbudgeted → capped, at ${info.budgetRate} requests/s (the budgeted grant well below its saturation; ` +
      `${info.fixedSeconds} s per target in two rounds, as above) and at the ${info.rate} requests/s of the tables above:`,
    '',
    table(['workload', 'capped row', 'rate', 'p50', 'p99', 'p99.9'], latencyRows),
    '',
    ...(overloaded.length > 0
      ? [
          `At ${info.rate} requests/s ${overloaded.join(', ')} ran near or beyond saturation throughput: requests ` +
            'queue for the database for much of the run, so those latencies measure the queue, not the cost of one request.',
          '',
        ]
      : []),
    'Checked: before measuring, one request of each capped grant (one to each of the three processes for the shared ' +
      'grant) left `grant_counters.requests` at exactly that many and no open row in `reservations` once settled ' +
      '(a slice returned gives back what it did not use), a slice (a `lease-` reservation) was out right after ' +
      "each leased grant's request and none for the budgeted grant, and one unbudgeted request was not sized (no output bound) " +
      'and left no reservation. After the run, once no reservation or slice was open (at most 5 s after the last ' +
      'request), the counters stood at: ' +
      CAPPED_TARGETS.map((t) => {
        const g = b.grants[t];
        return (
          `${CAPPED_SHORT[t]} ${int(g.chargedRequests)} requests (${int(g.measuredRequests)} 2xx in the measurements` +
          `${g.openReservations > 0 ? `, ${g.openReservations} reservations still open` : ''})`
        );
      }).join('; ') +
      '; warm-ups, checks and profiling add the rest. ' +
      (b.injectedOutputBound === null
        ? 'The proxy injected no output bound.'
        : 'The workloads set no `max_tokens`, so the proxy reserves the default output bound ' +
          "(`proxy.reservations.defaultOutputTokens`, within the model's maximum) and writes it " +
          `into each budgeted request (\`max_completion_tokens\` ${b.injectedOutputBound}), which re-serialises the body.`),
    '',
    ...(open.length > 0
      ? [
          `**Reservations were still open** 5 s after the last request (${open.map((t) => `${CAPPED_SHORT[t]}: ${b.grants[t].openReservations}`).join(', ')}): ` +
            'each holds its worst case against the caps for as long as the proxy runs (its heartbeat keeps the ' +
            'reaper away). autocannon ends each saturation round with requests in flight, so some clients are gone ' +
            'while their requests wait for a reservation.',
          '',
        ]
      : []),
  ];
}

const us = (n: number) => `${n.toFixed(1)} µs`;

function renderProfiles(profiles: ProfileReport[]): string[] {
  const out: string[] = [
    '### Where the time goes (CPU profiles)',
    '',
    'V8 sampling profiles (200 µs interval) of the server child, each over a separate saturation run after the ' +
      'measurements above (the profiler slows the process, so these requests/s are lower). "per request" is the ' +
      'profiled CPU time divided by the requests answered meanwhile; "share" is of the busy (non-idle) time.',
    '',
  ];
  const perRequest = (p: ProfileReport, msTotal: number) =>
    p.requests > 0 ? (msTotal * 1000) / p.requests : Number.NaN;
  const [mandateJson, mandateSse, bareJson, budgetedJson] = profiles;

  /** Self time per area of `a` against `b`, per request, the largest differences first. */
  const compareAreas = (a: ProfileReport, b: ProfileReport, aName: string, bName: string) => {
    const areas = new Map<string, { a: number; b: number }>();
    for (const x of a.summary.areas) areas.set(x.name, { a: perRequest(a, x.ms), b: 0 });
    for (const x of b.summary.areas) {
      const entry = areas.get(x.name) ?? { a: 0, b: 0 };
      entry.b = perRequest(b, x.ms);
      areas.set(x.name, entry);
    }
    const rows = [...areas].sort((x, y) => y[1].a - y[1].b - (x[1].a - x[1].b));
    const total = { a: perRequest(a, a.summary.busyMs), b: perRequest(b, b.summary.busyMs) };
    out.push(
      `#### ${a.label} against ${b.label}: self time per request by area`,
      '',
      table(
        ['area (self time)', aName, bName, 'difference'],
        [
          ['**all busy time**', us(total.a), us(total.b), us(total.a - total.b)],
          ...rows.slice(0, 16).map(([name, v]) => [name, us(v.a), us(v.b), us(v.a - v.b)]),
        ],
      ),
      '',
    );
  };
  if (mandateJson && bareJson) compareAreas(mandateJson, bareJson, 'Mandate', 'bare node:http');
  if (budgetedJson && mandateJson) compareAreas(budgetedJson, mandateJson, 'budgeted', 'unbudgeted');
  for (const p of [mandateJson, mandateSse, budgetedJson].filter(
    (x): x is ProfileReport => x !== undefined,
  )) {
    const s = p.summary;
    out.push(
      `#### ${p.label}`,
      '',
      `${ms(s.wallMs / 1000)} s profiled, ${int(s.busyMs)} ms busy, ${int(p.requests)} requests: ` +
        `${us(perRequest(p, s.busyMs))} of CPU per request.`,
      '',
      table(
        ['stage of the request path (inclusive)', 'per request', 'share'],
        s.stages.filter((x) => x.ms > 0).map((x) => [x.name, us(perRequest(p, x.ms)), pct(x.share)]),
      ),
      '',
      table(
        ['function (self time)', 'per request', 'share'],
        s.topFunctions.slice(0, 15).map((x) => [`\`${x.name}\``, us(perRequest(p, x.ms)), pct(x.share)]),
      ),
      '',
    );
  }
  return out;
}

const DEFAULT_DOC = `# Performance

How much Mandate's proxy costs on top of a plain reverse proxy, measured by \`npm run bench\`.

## Target

From the design: Mandate's proxy at saturation serves at least 85 % of the requests/s of a
bare pass-through to the same upstream, and adds at most 1 ms of p99 latency at a fixed
rate well below saturation; time to the first streamed byte is not delayed.

## Results

${START_MARKER}
${END_MARKER}
`;

/**
 * Replaces what is between the markers of `path` (creating the file if needed); the
 * proxy bench's markers unless others are given.
 */
export function writeResults(
  path: string,
  block: string,
  markers: { start: string; end: string } = { start: START_MARKER, end: END_MARKER },
): void {
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : DEFAULT_DOC;
  const start = doc.indexOf(markers.start);
  const end = doc.indexOf(markers.end);
  if (start < 0 || end < start)
    throw new Error(`${path} lacks the ${markers.start} … ${markers.end} markers`);
  writeFileSync(path, `${doc.slice(0, start + markers.start.length)}\n\n${block}\n\n${doc.slice(end)}`);
}
