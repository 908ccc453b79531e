/**
 * Child process: one fixed-rate latency run (see fixed-rate.ts), in a fresh process on
 * the load generator's core so that autocannon's heap and timers in the parent cannot
 * pause it. Reads its job from argv as JSON, answers with the result over IPC, exits.
 */
import { runFixedRate, type Workload } from './fixed-rate.ts';
import type { ChildMessage } from './processes.ts';

const job = JSON.parse(process.argv[2] ?? '{}') as {
  /** One URL, or several taking turns (fixed-rate.ts). */
  url: string | string[];
  work: Workload;
  rate: number;
  seconds: number;
};
try {
  const result = await runFixedRate(job.url, job.work, { rate: job.rate, seconds: job.seconds });
  const usage = process.cpuUsage();
  process.send?.(
    { type: 'latency-result', result, cpuUs: usage.user + usage.system } satisfies ChildMessage,
    () => process.exit(0),
  );
} catch (err) {
  process.send?.({ type: 'error', message: (err as Error).stack ?? String(err) } satisfies ChildMessage, () =>
    process.exit(1),
  );
}
