import type { TokenUsage } from '../usage/usage-tap.ts';

/**
 * How a request that was admitted ended: filled in by forward and meter, read by settle.
 * It starts as "nothing was sent", so a request that fails before it is forwarded
 * settles as released (nothing charged, no usage record).
 */
export interface Outcome {
  /** The request went upstream; false when the client had gone before it was sent. */
  sent: boolean;
  /**
   * The whole request was written to the upstream: the provider may have run it (and
   * billed it) even when no answer came (a response timeout, a connection reset).
   */
  delivered: boolean;
  /** The upstream answered (any status); false when it could not be reached. */
  answered: boolean;
  /** The upstream's status, or what the client was answered when forwarding failed. */
  status: number;
  /** Milliseconds to the upstream's response head, rounded; null when forwarding failed. */
  upstreamMs: number | null;
  clientAborted: boolean;
  /** The upstream could not be reached, timed out, or dropped after its answer began. */
  upstreamFailed: boolean;
  /** The upstream's final usage (the meter reads it), when it reported one. */
  usage: TokenUsage | undefined;
  /** What the upstream reported before it ended without its final usage (Anthropic's message_start). */
  partialUsage: TokenUsage | undefined;
}

export function createOutcome(): Outcome {
  return {
    sent: false,
    delivered: false,
    answered: false,
    status: 0,
    upstreamMs: null,
    clientAborted: false,
    upstreamFailed: false,
    usage: undefined,
    partialUsage: undefined,
  };
}
