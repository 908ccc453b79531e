import { expect } from 'chai';
import {
  type BudgetOutcome,
  type Charge,
  createBudgetGate,
} from '../../../../src/proxy/limits/budget-gate.ts';
import type { PriceTable } from '../../../../src/proxy/limits/price-table.ts';
import type { TokenUsage } from '../../../../src/proxy/usage/usage-tap.ts';
import type { Amounts, Remaining } from '../../../../src/storage/budget-store.ts';

/** Round prices: µ$ per token; cache writes (6) are the dearest input rate. */
const PRICES = {
  openai: {
    'gpt-4o-mini': { input: 1, cachedInput: 0.5, output: 2, contextWindow: 100_000, maxOutputTokens: 800 },
  },
  anthropic: {
    'claude-sonnet-5-5': { input: 3, cachedInput: 0.3, cacheWrite: 6, output: 15, maxOutputTokens: 500 },
  },
} as unknown as PriceTable;

const usage = (inputTokens: number, outputTokens: number): TokenUsage => ({
  inputTokens,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens,
  reasoningTokens: 0,
});

const ok = (over: Partial<BudgetOutcome> = {}): BudgetOutcome => ({
  sent: true,
  answered: true,
  status: 200,
  usage: undefined,
  clientAborted: false,
  ...over,
});

/** A gate over a fake store that reserves what sizing asks and records each settle. */
function gate(capped: boolean, remaining: Remaining = { requests: null, tokens: 100_000, microUsd: null }) {
  const settled: Array<{ id: string; amounts: Amounts & { requests: number } }> = [];
  const reserved: Amounts[] = [];
  const budget = createBudgetGate({
    prices: PRICES,
    cappedGrants: { isCapped: async () => capped },
    keeper: { ready: async () => {}, retry: () => {} },
    proxyId: 'p',
    store: {
      async reserve(args) {
        const size = args.size(remaining);
        if (!size.ok) return { ok: false, refusal: size.refusal, limits: undefined as never };
        reserved.push(size.amounts);
        return {
          ok: true,
          reservation: { id: args.id, grantId: args.grantId, period: 'lifetime', ...size.amounts },
          sized: size.sized,
          limits: undefined as never,
        };
      },
      async settle(id, amounts) {
        settled.push({ id, amounts });
        return true;
      },
    } as Parameters<typeof createBudgetGate>[0]['store'],
  });
  return { budget, settled, reserved };
}

/** The charge as the usage record takes it (the ledger part is the store's concern). */
const withoutLedger = ({ ledger: _ledger, ...charge }: Charge & { ledger?: unknown }) => charge;

const chat = (json: Record<string, unknown>) => {
  const bytes = Buffer.byteLength(JSON.stringify(json));
  return {
    bytes,
    request: {
      requestId: 'r1',
      grantId: 'g1',
      note: { clientId: 'c', accountId: 'a', provider: 'openai', model: 'gpt-4o-mini', capability: 'chat' },
      provider: 'openai' as const,
      upstreamPath: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      json,
      bodyBytes: bytes,
    },
  };
};

const messages = (json: Record<string, unknown>) => {
  const bytes = Buffer.byteLength(JSON.stringify(json));
  return {
    bytes,
    request: {
      requestId: 'r2',
      grantId: 'g1',
      note: {
        clientId: 'c',
        accountId: 'a',
        provider: 'anthropic',
        model: 'claude-sonnet-5-5',
        capability: 'chat',
      },
      provider: 'anthropic' as const,
      upstreamPath: '/v1/messages',
      model: 'claude-sonnet-5-5',
      json,
      bodyBytes: bytes,
    },
  };
};

describe('budget gate: what a request is charged (chargeOf)', () => {
  const body = {
    model: 'gpt-4o-mini',
    max_tokens: 100,
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  };

  it('the final usage settles to what was used, priced', async () => {
    const { budget, settled } = gate(true);
    const admission = await budget.admit(chat(body).request);
    const charge = await admission.settle(ok({ usage: usage(7, 30) }));
    expect(charge).to.deep.include({ requests: 1, tokens: 37, microUsd: 7 + 60 });
    expect(charge.worstCase).to.equal(undefined);
    expect(settled[0]?.amounts).to.deep.equal({ requests: 1, tokens: 37, microUsd: 67 });
  });

  it('a client abort without final usage is charged the reservation, whatever was reported before', async () => {
    const { budget, settled, reserved } = gate(true);
    const { bytes, request } = chat(body);
    const admission = await budget.admit(request);
    const charge = await admission.settle(ok({ clientAborted: true, partialUsage: usage(2, 1) }));
    expect(reserved[0]).to.deep.include({ tokens: bytes + 100 });
    expect(charge).to.deep.include({
      requests: 1,
      tokens: bytes + 100,
      microUsd: bytes + 200,
      worstCase: true,
    });
    expect(charge.usage).to.deep.include({ inputTokens: bytes, outputTokens: 100 });
    expect(settled[0]?.amounts).to.deep.equal({ requests: 1, tokens: bytes + 100, microUsd: bytes + 200 });
  });

  it('an upstream drop mid-stream (answered 2xx, no final usage) is charged the reservation', async () => {
    const { budget } = gate(true, { requests: null, tokens: null, microUsd: 10_000 });
    const { bytes, request } = chat(body);
    const charge = await (await budget.admit(request)).settle(ok());
    expect(charge).to.deep.include({ tokens: bytes + 100, microUsd: bytes + 200, worstCase: true });
  });

  it('the reservation lowered to what fits is the worst case (the bound was sent upstream)', async () => {
    const { bytes, request } = chat(body);
    const { budget } = gate(true, { requests: null, tokens: bytes + 40, microUsd: null });
    const admission = await budget.admit(request);
    expect(admission.inject).to.deep.equal({ field: 'max_tokens', perChoice: 40 });
    const charge = await admission.settle(ok({ clientAborted: true }));
    expect(charge).to.deep.include({ tokens: bytes + 40, worstCase: true });
  });

  it('Anthropic: input at the dearest input rate (cache writes), all of max_tokens at the output rate', async () => {
    const { budget } = gate(true, { requests: null, tokens: null, microUsd: 1_000_000 });
    const { bytes, request } = messages({ model: 'claude-sonnet-5-5', max_tokens: 50, messages: [] });
    const charge = await (await budget.admit(request)).settle(
      ok({ clientAborted: true, partialUsage: usage(9, 1) }),
    );
    expect(charge).to.deep.include({ tokens: bytes + 50, microUsd: bytes * 6 + 50 * 15, worstCase: true });
  });

  it('a client that left before the upstream answered is charged the worst case too', async () => {
    const { budget } = gate(true);
    const { bytes, request } = chat(body);
    const charge = await (await budget.admit(request)).settle(
      ok({ answered: false, status: 0, clientAborted: true }),
    );
    expect(charge).to.deep.include({ requests: 1, tokens: bytes + 100, worstCase: true });
  });

  it('releases what never reached the upstream, or could not reach it', async () => {
    const { budget } = gate(true);
    const notSent = await (await budget.admit(chat(body).request)).settle(
      ok({ sent: false, clientAborted: true }),
    );
    expect(withoutLedger(notSent)).to.deep.equal({ requests: 0, tokens: 0, microUsd: 0 });
    const unreachable = await (await budget.admit(chat(body).request)).settle(
      ok({ answered: false, status: 502 }),
    );
    expect(withoutLedger(unreachable)).to.deep.equal({ requests: 0, tokens: 0, microUsd: 0 });
  });

  it('an error status stays as it was: a 4xx one request, a 5xx nothing, even when the client left', async () => {
    const { budget } = gate(true);
    const refused = await (await budget.admit(chat(body).request)).settle(
      ok({ status: 400, clientAborted: true }),
    );
    expect(withoutLedger(refused)).to.deep.equal({ requests: 1, tokens: 0, microUsd: 0 });
    const failed = await (await budget.admit(chat(body).request)).settle(ok({ status: 503 }));
    expect(withoutLedger(failed)).to.deep.equal({ requests: 0, tokens: 0, microUsd: 0 });
  });

  it('a grant with only a request cap (nothing reserved) is charged the request bound', async () => {
    const { budget, reserved } = gate(true, { requests: 5, tokens: null, microUsd: null });
    const { bytes, request } = chat(body);
    const charge = await (await budget.admit(request)).settle(ok({ clientAborted: true }));
    expect(reserved[0]).to.deep.include({ tokens: 0, microUsd: 0 });
    expect(charge).to.deep.include({
      requests: 1,
      tokens: bytes + 100,
      microUsd: bytes + 200,
      worstCase: true,
    });
  });

  describe('a grant without caps (no reservation)', () => {
    it('is charged the request bound: its max_tokens, else the model maximum', async () => {
      const { budget, settled } = gate(false);
      const { bytes, request } = chat(body);
      const bounded = await (await budget.admit(request)).settle(ok({ clientAborted: true }));
      expect(bounded).to.deep.include({ tokens: bytes + 100, microUsd: bytes + 200, worstCase: true });
      const open = chat({ model: 'gpt-4o-mini', messages: [] });
      const unbounded = await (await budget.admit(open.request)).settle(ok({ clientAborted: true }));
      expect(unbounded).to.deep.include({ tokens: open.bytes + 800, microUsd: open.bytes + 1600 });
      expect(settled).to.have.length(0);
    });

    it('with no bound to compute (unpriced model): what the upstream reported by then', async () => {
      const { budget } = gate(false);
      const request = { ...chat(body).request, model: 'gpt-unpriced-1' };
      const partial = await (await budget.admit(request)).settle(
        ok({ clientAborted: true, partialUsage: usage(3, 1) }),
      );
      expect(partial).to.deep.include({ requests: 1, tokens: 4, microUsd: null });
      expect(partial.worstCase).to.equal(undefined);
      const nothing = await (await budget.admit(request)).settle(ok({ clientAborted: true }));
      expect(withoutLedger(nothing)).to.deep.equal({ requests: 1, tokens: 0, microUsd: null });
    });
  });
});
