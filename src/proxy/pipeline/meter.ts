import type { UpstreamResponse } from '../forward/forwarder.ts';
import type { UsageReader } from '../usage/usage-reader.ts';
import { createUsageTap, type UsageTap } from '../usage/usage-tap.ts';
import type { Outcome } from './outcome.ts';

export interface Meter {
  /** The tap that reads a successful answer's usage as it streams past (none for other answers). */
  tap(upstream: UpstreamResponse): UsageTap | undefined;
  /** Puts what the upstream reported, final or partial, on the outcome. */
  read(outcome: Outcome): void;
}

/**
 * Stage 6: the usage the upstream reports, read from the answer as it passes
 * (`usage/usage-tap.ts`) by its endpoint spec's reader.
 */
export function createMeter(reader: UsageReader | undefined, stripUsageChunk: boolean): Meter {
  let tapped: UsageTap | undefined;
  return {
    tap(upstream) {
      if (!reader || upstream.statusCode >= 300) return undefined;
      const sse = String(upstream.headers['content-type'] ?? '').startsWith('text/event-stream');
      tapped = createUsageTap(reader, sse, sse && stripUsageChunk);
      return tapped;
    },
    read(outcome) {
      // Only the upstream's final usage settles below the worst case (docs/limits.md).
      outcome.usage = tapped?.final() ? tapped.usage() : undefined;
      outcome.partialUsage = !outcome.usage && tapped?.reported() ? tapped.usage() : undefined;
    },
  };
}
