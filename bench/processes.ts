/**
 * Child processes of the benchmark, their placement on cores and their CPU time.
 * Every wait here is bounded: a child that does not answer in time is killed by its pid.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { FixedRateResult } from './fixed-rate.ts';

/** Messages the children send to the parent. */
export type ChildMessage =
  | { type: 'upstream-ready'; url: string; openaiKey: string }
  | {
      type: 'servers-ready';
      targets: ServerTargets;
      /** The access token of each Mandate target's grant (mandate's has no caps). */
      tokens: Record<'mandate' | CappedTarget, string>;
      /** The three `mandate serve proxy` processes of mandateLeased3, for their CPU time. */
      processPids: number[];
      /** The database the AS and the proxy run on, in words. */
      database: string;
      budget: BudgetSetup;
    }
  | { type: 'budget-state'; states: Record<CappedTarget, BudgetState> }
  | { type: 'profile-started' }
  | { type: 'profile-written'; path: string }
  | { type: 'gc-stats'; stats: GcStats }
  | { type: 'latency-result'; result: FixedRateResult; cpuUs: number }
  | {
      type: 'as-ready';
      issuer: string;
      proxyUrl: string;
      /** One person per lane, all with `password`. */
      users: string[];
      password: string;
      /** The pool of public apps, one per flow. */
      clientIds: string[];
      redirectUri: string;
      database: string;
    }
  | { type: 'cpu'; us: number }
  | { type: 'error'; message: string };

/** Messages the parent sends to the server child. */
export type ParentMessage =
  | { type: 'profile-start' }
  | { type: 'profile-stop'; path: string }
  | { type: 'gc-reset' }
  | { type: 'gc-report' }
  | { type: 'budget-check' }
  | { type: 'cpu-read' }
  | { type: 'stop' };

/** Garbage-collection pauses of the server child since the last reset (perf_hooks 'gc' entries). */
export interface GcStats {
  count: number;
  totalMs: number;
  maxMs: number;
  /** Pauses of 5 ms or more. */
  long: number;
}

/** The Mandate targets whose grant has caps, each a grant of its own. */
export type CappedTarget = 'mandateBudgeted' | 'mandateLeased' | 'mandateLeased3';

/** The capped grants as the server child set them up and checked them (the same caps each). */
export interface BudgetSetup {
  grantIds: Record<CappedTarget, string>;
  maxSpendMicroUsd: number;
  maxRequests: number;
  /** The output bound the proxy injected into the budgeted grant's warm-up request (`x-mandate-output-bound`), if any. */
  injectedOutputBound: string | null;
}

/** A capped grant's whole-grant `grant_counters` row (scope '*', lifetime) and its open `reservations` (a lease's slice is one). */
export interface BudgetState {
  requests: number;
  tokens: number;
  microUsd: number;
  openReservations: number;
}

export interface ServerTargets {
  httpProxy: string;
  httpProxy3: string;
  nodeHttp: string;
  /** The in-process proxy with leases off (a reservation per budgeted request). */
  mandate: string;
  /** The in-process proxy with leases on. */
  mandateLeased: string;
  /** The three proxy processes with leases on. */
  mandateLeased3: string[];
}

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

/** Whether processes can be pinned to cores (taskset present and at least two cores). */
export const canPin = TASKSET !== undefined && cpus().length >= 2;

/** Pins every thread of this process to `core` (no-op without taskset). */
export function pinSelf(core: number): void {
  if (!canPin || !TASKSET) return;
  execFileSync(TASKSET, ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}

/** Starts a TypeScript entry under Node with an IPC channel, on `core` when pinning is possible. */
export function startChild(
  entry: string,
  args: string[],
  core: number,
  nodeFlags: string[] = [],
): ChildProcess {
  const nodeArgs = [...nodeFlags, entry, ...args];
  const [command, argv] =
    canPin && TASKSET
      ? [TASKSET, ['-c', String(core), process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
  return spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The next message of `type` from `child`, or an error after `timeoutMs`. */
export function nextMessage<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`no ${type} from child ${child.pid} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    function onMessage(message: ChildMessage) {
      if (message.type === 'error') done(new Error(`child ${child.pid}: ${message.message}`));
      else if (message.type === type) done(undefined, message as Extract<ChildMessage, { type: T }>);
    }
    function onExit(code: number | null) {
      done(new Error(`child ${child.pid} exited (${code}) before ${type}`));
    }
    function done(err: Error | undefined, message?: Extract<ChildMessage, { type: T }>) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(message as Extract<ChildMessage, { type: T }>);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Asks a child to stop; kills it (by its pid) if it has not exited after `timeoutMs`. */
export async function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, all threads) a process has used so far, in microseconds. */
export function cpuMicros(pid: number): number {
  if (pid === process.pid) {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  }
  // /proc/<pid>/stat: fields 14 and 15 (utime, stime) after the parenthesised command name.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / TICKS_PER_SECOND) * 1e6;
}

/** CPU time all processes of the machine have used so far (user, nice, system, irq, softirq, steal), µs. */
export function machineBusyMicros(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const ticks = [user, nice, system, irq, softirq, steal].reduce((s: number, v) => s + (v ?? 0), 0);
  return (ticks / TICKS_PER_SECOND) * 1e6;
}
