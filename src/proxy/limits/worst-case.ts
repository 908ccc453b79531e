import { ceilMicro, type ModelPrice, worstRatesFor } from './price-table.ts';
import type { RequestBound } from './request-bounds.ts';

/** The most a request could be billed, as the tokens and price of its usage record. */
export interface WorstCase {
  inputTokens: number;
  outputTokens: number;
  /** null: the model has no price. */
  microUsd: number | null;
}

/**
 * The worst case of a request from its bound alone (no caps to lower its output): the
 * input bound, plus the request's own output bound (else the model's maximum) times the
 * choices, priced like a reservation (every input token at the dearest input rate, every
 * output token at the output rate). Undefined when the bound proves nothing: unbounded,
 * or a request with neither an output bound nor a model maximum. A fixed-price request
 * is its price, with no tokens.
 */
export function worstCaseOf(bound: RequestBound, price: ModelPrice | undefined): WorstCase | undefined {
  if (bound.kind === 'unbounded') return undefined;
  if (bound.kind === 'fixed') return { inputTokens: 0, outputTokens: 0, microUsd: bound.microUsd };
  let output = 0;
  if (bound.outputField !== undefined) {
    const perChoice = bound.requestedOutputPerChoice ?? bound.maxOutputPerChoice;
    if (perChoice === undefined) return undefined;
    output = perChoice * Math.max(1, bound.choices);
  }
  const input = bound.inputTokens;
  if (!price) return { inputTokens: input, outputTokens: output, microUsd: null };
  const worst = worstRatesFor(price, Number.POSITIVE_INFINITY);
  return {
    inputTokens: input,
    outputTokens: output,
    microUsd: ceilMicro(input * worst.input + output * worst.output),
  };
}
