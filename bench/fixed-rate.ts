/**
 * An open-loop load at a fixed request rate, with latency measured per request in
 * microseconds. (autocannon's `overallRate` sends each connection's share of a second
 * back to back and then waits for the next second, and its latency histogram has 1 ms
 * resolution: too coarse for a "≤ 1 ms added p99" target.)
 *
 * Requests are due every 1/rate seconds from the start; a 1 ms ticker sends whatever is
 * due, whether or not earlier answers came back, so a slow server cannot slow the load
 * down. Latency runs from the moment a request is handed to the socket to its last byte;
 * first-byte time to its first body byte. Everything is bounded: exactly rate × seconds
 * requests, each with a timeout, and the run ends at the latest `seconds + timeoutMs`.
 * Given several URLs (processes behind one imagined load balancer), request i goes to URL
 * i mod n: round robin, the rate in all.
 */
import { Agent, request } from 'node:http';

export interface Workload {
  name: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface FixedRateResult {
  sent: number;
  ok: number;
  failed: number;
  /** Milliseconds, sorted ascending, of the 2xx answers. */
  latencies: number[];
  firstByte: number[];
  /** Largest delay between when a request was due and when it was sent (ms). */
  maxSendLagMs: number;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

function once(
  agent: Agent,
  base: URL,
  work: Workload,
  timeoutMs: number,
): Promise<{ ok: boolean; ms: number; firstByteMs: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let firstByteMs = Number.NaN;
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      resolve({ ok, ms: performance.now() - started, firstByteMs });
    };
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: 'POST',
        path: work.path,
        headers: { ...work.headers, 'content-length': String(Buffer.byteLength(work.body)) },
      },
      (res) => {
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
        res.on('data', () => {
          if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - started;
        });
        res.once('end', () => finish(ok));
        res.once('error', () => finish(false));
        res.once('close', () => finish(false));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.once('error', () => finish(false));
    req.end(work.body);
  });
}

export async function runFixedRate(
  urls: string | readonly string[],
  work: Workload,
  {
    rate,
    seconds,
    timeoutMs = 5000,
    warmRequests = 50,
  }: { rate: number; seconds: number; timeoutMs?: number; warmRequests?: number },
): Promise<FixedRateResult> {
  const bases = (typeof urls === 'string' ? [urls] : urls).map((url) => new URL(url));
  for (const base of bases) {
    if (base.hostname !== '127.0.0.1') throw new Error(`only 127.0.0.1 targets: ${base}`);
  }
  const baseOf = (i: number) => bases[i % bases.length] as URL;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  try {
    // Open a few connections and let both ends' code paths warm up before timing.
    for (let i = 0; i < warmRequests * bases.length; i += 4) {
      await Promise.all([0, 1, 2, 3].map((j) => once(agent, baseOf(i + j), work, timeoutMs)));
    }
    const total = Math.round(rate * seconds);
    const intervalMs = 1000 / rate;
    const results: Promise<{ ok: boolean; ms: number; firstByteMs: number }>[] = [];
    let maxSendLagMs = 0;
    const start = performance.now();
    await new Promise<void>((resolve) => {
      const ticker = setInterval(() => {
        const now = performance.now();
        const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
        while (results.length < due) {
          maxSendLagMs = Math.max(maxSendLagMs, now - (start + results.length * intervalMs));
          results.push(once(agent, baseOf(results.length), work, timeoutMs));
        }
        if (results.length >= total) {
          clearInterval(ticker);
          resolve();
        }
      }, 1);
    });
    const answers = await Promise.all(results);
    const good = answers.filter((a) => a.ok);
    return {
      sent: answers.length,
      ok: good.length,
      failed: answers.length - good.length,
      latencies: good.map((a) => a.ms).sort((a, b) => a - b),
      firstByte: good.map((a) => a.firstByteMs).sort((a, b) => a - b),
      maxSendLagMs,
    };
  } finally {
    agent.destroy();
  }
}
