import type { Amounts, Refusal, Remaining } from '../../storage/budget-store.ts';
import { type ModelPrice, worstRatesFor } from './price-table.ts';
import type { OutputField, RequestBound } from './request-bounds.ts';

/** How a request was sized: what to reserve, and the output bound to send upstream, if any. */
export interface Sized {
  /** Input tokens the reservation assumed (the estimate a client abort settles to). */
  inputTokens: number;
  /** Set this field of the request body to `perChoice` before forwarding. */
  inject?: { field: OutputField; perChoice: number };
}

export type SizeResult = { ok: true; amounts: Amounts; sized: Sized } | { ok: false; refusal: Refusal };

/** The output bound injected per choice into a request that sets none (`proxy.reservations.defaultOutputTokens`). */
export const DEFAULT_OUTPUT_TOKENS = 4096;

/**
 * What remains, as if every cap there is had room to spare: sizing against it gives a
 * request's own worst case, not lowered to fit (the caps that exist still decide what
 * is counted).
 */
export const withRoomToSpare = (remaining: Remaining): Remaining => ({
  requests: null,
  tokens: remaining.tokens === null ? null : Number.POSITIVE_INFINITY,
  microUsd: remaining.microUsd === null ? null : Number.POSITIVE_INFINITY,
});

const none = (): SizeResult => ({ ok: true, amounts: { tokens: 0, microUsd: 0 }, sized: { inputTokens: 0 } });

/**
 * The worst case of one request against what remains of a grant's caps. Input is the
 * bound from the request; output is the request's own bound per choice times the
 * choices, lowered to what still fits (and then sent upstream, so the provider cannot
 * produce more), or, where the request set none, the default output bound (at most the
 * model's maximum), lowered to what fits.
 * Every input token is priced at the dearest input rate of the model (cache writes
 * included), every output token at the output rate: the real cost can only be lower.
 */
export function sizeReservation(
  bound: RequestBound,
  price: ModelPrice | undefined,
  remaining: Remaining,
  thinkingBudget: number | undefined,
  defaultOutputTokens: number = DEFAULT_OUTPUT_TOKENS,
): SizeResult {
  const capsTokens = remaining.tokens !== null;
  const capsSpend = remaining.microUsd !== null;
  if (!capsTokens && !capsSpend) return none();

  if (bound.kind === 'unbounded') return { ok: false, refusal: { kind: 'unpriced', reason: bound.reason } };
  if (bound.kind === 'fixed')
    return { ok: true, amounts: { tokens: 0, microUsd: bound.microUsd }, sized: { inputTokens: 0 } };
  if (capsSpend && !price)
    return { ok: false, refusal: { kind: 'unpriced', reason: 'the model has no price' } };

  // The dearest rates of every tier (the input bound may reach a long-context tier).
  const worst = price ? worstRatesFor(price, Number.POSITIVE_INFINITY) : { input: 0, output: 0 };
  const inPrice = worst.input;
  const outPrice = worst.output;
  const input = bound.inputTokens;
  const inputCost = input * inPrice;
  // The store fills in when the period resets.
  const refuse = (limit: 'max_tokens' | 'max_spend_usd', detail: string): SizeResult => ({
    ok: false,
    refusal: { kind: 'cap', limit, resetsAt: null, detail },
  });
  if (remaining.tokens !== null && input > remaining.tokens)
    return refuse('max_tokens', `the request's input alone may use up to ${input} tokens`);
  if (remaining.microUsd !== null && Math.ceil(inputCost) > remaining.microUsd)
    return refuse('max_spend_usd', `the request's input alone may cost up to ${usd(inputCost)}`);

  if (bound.outputField === undefined) {
    // No output (embeddings): the input is the whole bound.
    return {
      ok: true,
      amounts: { tokens: input, inputTokens: input, microUsd: Math.ceil(inputCost) },
      sized: { inputTokens: input },
    };
  }

  const choices = Math.max(1, bound.choices);
  let fits = Number.POSITIVE_INFINITY;
  let binding: 'max_tokens' | 'max_spend_usd' = 'max_tokens';
  if (remaining.tokens !== null) fits = Math.floor((remaining.tokens - input) / choices);
  if (remaining.microUsd !== null && outPrice > 0) {
    const bySpend = Math.floor((remaining.microUsd - Math.ceil(inputCost)) / (outPrice * choices));
    if (bySpend < fits) {
      fits = bySpend;
      binding = 'max_spend_usd';
    }
  }
  // Without a bound of its own a request gets the default (or the model's maximum, if
  // lower), lowered to what fits: never all that remains, which would leave nothing for
  // the requests beside it.
  const wanted =
    bound.requestedOutputPerChoice ??
    Math.min(bound.maxOutputPerChoice ?? Number.POSITIVE_INFINITY, defaultOutputTokens);
  const perChoice = Math.min(wanted, fits);
  if (!Number.isFinite(perChoice)) {
    // Only a spend cap, and output costs nothing: the input bounds it all.
    return {
      ok: true,
      amounts: { tokens: input, inputTokens: input, microUsd: Math.ceil(inputCost) },
      sized: { inputTokens: input },
    };
  }
  if (perChoice < 1)
    return refuse(
      binding,
      binding === 'max_tokens'
        ? 'not enough tokens remain for any output'
        : 'not enough spend remains for any output',
    );
  if (thinkingBudget !== undefined && perChoice <= thinkingBudget && perChoice < wanted)
    return refuse(binding, `what remains allows ${perChoice} output tokens, not above the thinking budget`);
  const sized: Sized = { inputTokens: input };
  if (bound.requestedOutputPerChoice === undefined || perChoice < bound.requestedOutputPerChoice)
    sized.inject = { field: bound.outputField, perChoice };
  const output = perChoice * choices;
  return {
    ok: true,
    amounts: {
      tokens: input + output,
      inputTokens: input,
      microUsd: Math.ceil(inputCost + output * outPrice),
    },
    sized,
  };
}

const usd = (microUsd: number): string =>
  `$${(microUsd / 1e6).toFixed(6).replace(/0+$/, '').replace(/\.$/, '')}`;
