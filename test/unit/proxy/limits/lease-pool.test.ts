import { expect } from 'chai';
import { createLeasePool, type LeaseRequest } from '../../../../src/proxy/limits/lease-pool.ts';
import type { Remaining } from '../../../../src/storage/budget-store.ts';

type Counts = { requests: number; tokens: number; microUsd: number };
const note = { clientId: 'c', accountId: 'a', provider: 'openai', model: 'm', capability: 'chat' };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A store that keeps one grant's remaining room and the lease rows, as the database
 * would: a slice comes out of what remains; a move settles what was used and returns
 * what the row no longer holds.
 */
function fakeStore(room: Remaining) {
  const rows = new Map<string, Counts>();
  const moves: Array<{ id: string; used: Counts; hold: Counts | null }> = [];
  const state = {
    room,
    settled: { requests: 0, tokens: 0, microUsd: 0 },
    takes: 0,
    asks: 0,
    fail: false,
    reaped: false,
  };
  return {
    rows,
    moves,
    state,
    store: {
      async reserve(args: { id: string; size: (r: Remaining) => { ok: boolean; amounts?: Counts } }) {
        state.takes++;
        const size = args.size(state.room);
        if (!size.ok || !size.amounts) return { ok: false, refusal: { kind: 'no_slice' } };
        const a = size.amounts;
        rows.set(args.id, a);
        state.room = {
          requests: state.room.requests === null ? null : state.room.requests - a.requests,
          tokens: state.room.tokens === null ? null : state.room.tokens - a.tokens,
          microUsd: state.room.microUsd,
        };
        return {
          ok: true,
          reservation: { id: args.id, ...a },
          resetsAt: null,
          ancestors: ['parent'],
        };
      },
      async moveLease(id: string, used: Counts, hold: Counts | null) {
        if (state.fail) throw new Error('database down');
        if (state.reaped) return false;
        moves.push({ id, used, hold });
        const held = rows.get(id) as Counts;
        const after = hold ?? { requests: 0, tokens: 0, microUsd: 0 };
        // What is no longer held and was not used goes back to the room.
        state.room = {
          requests:
            state.room.requests === null
              ? null
              : state.room.requests + held.requests - after.requests - used.requests,
          tokens:
            state.room.tokens === null ? null : state.room.tokens + held.tokens - after.tokens - used.tokens,
          microUsd: state.room.microUsd,
        };
        state.settled = {
          requests: state.settled.requests + used.requests,
          tokens: state.settled.tokens + used.tokens,
          microUsd: 0,
        };
        if (hold) rows.set(id, hold);
        else rows.delete(id);
        return true;
      },
      async reclaimLeases() {
        state.asks++;
        return true;
      },
    },
  };
}

/** A request whose worst case is `tokens` (it reserves them only against a token cap). */
const request = (tokens: number, grantId = 'g'): LeaseRequest => ({
  grantId,
  provider: 'openai',
  note,
  size: (remaining) =>
    remaining.tokens === null
      ? { ok: true, amounts: { tokens: 0, microUsd: 0 }, sized: { inputTokens: 0 } }
      : remaining.tokens < tokens
        ? { ok: false, refusal: { kind: 'cap', limit: 'max_tokens', resetsAt: null } }
        : { ok: true, amounts: { tokens, microUsd: 0 }, sized: { inputTokens: 1 } },
});

function pool(room: Remaining, over: Partial<Parameters<typeof createLeasePool>[0]['sizing']> = {}) {
  const fake = fakeStore(room);
  const errors: unknown[] = [];
  const leases = createLeasePool({
    store: fake.store as never,
    proxyId: 'p',
    clock: Date.now,
    sizing: {
      holdMs: 1000,
      share: 0.5,
      minRequests: 2,
      maxRequests: 4,
      flushIntervalMs: 10,
      idleMs: 10_000,
      ...over,
    },
    onError: (err) => errors.push(err),
  });
  return { fake, leases, errors };
}

describe('lease pool', () => {
  it('admits out of one slice in memory, then takes the next when it runs low', async () => {
    const { fake, leases } = pool({ requests: 100, tokens: 10_000, microUsd: null });
    const tickets = [];
    for (let i = 0; i < 4; i++) tickets.push(await leases.admit(request(100)));
    expect(tickets.every((t) => t !== undefined)).to.equal(true);
    // The first slice is the fewest worth one (no demand known yet: 2 requests); the
    // second is sized by the demand seen (at most 4 requests, half of what remains).
    expect(fake.state.takes, 'two writes for four requests').to.equal(2);
    // The first still holds its two requests in flight.
    expect([...fake.rows.values()]).to.deep.equal([
      { requests: 2, tokens: 200, microUsd: 0 },
      { requests: 4, tokens: 400, microUsd: 0 },
    ]);
    for (const t of tickets) t?.settle({ requests: 1, tokens: 40, microUsd: 0 });
    await leases.stop();
    expect(fake.rows.size, 'every slice returned at stop').to.equal(0);
    expect(fake.state.settled).to.deep.equal({ requests: 4, tokens: 160, microUsd: 0 });
    expect(fake.state.room).to.deep.include({ requests: 96, tokens: 10_000 - 160 });
  });

  it('a grant capped by requests only: what requests use of tokens and spend is charged, not held', async () => {
    const { fake, leases } = pool({ requests: 100, tokens: null, microUsd: null });
    // The first slice (2 requests) serves both, though each was charged tokens and spend.
    for (let i = 0; i < 2; i++)
      (await leases.admit(request(100)))?.settle({ requests: 1, tokens: 50, microUsd: 7 });
    expect(fake.state.takes).to.equal(1);
    await leases.stop();
    expect(fake.moves.at(-1)).to.deep.include({
      used: { requests: 2, tokens: 100, microUsd: 14 },
      hold: null,
    });
  });

  it('writes what was used each flush and keeps holding what is in flight and free', async () => {
    const { fake, leases } = pool({ requests: 100, tokens: 10_000, microUsd: null });
    const a = await leases.admit(request(100));
    const b = await leases.admit(request(100));
    a?.settle({ requests: 1, tokens: 30, microUsd: 0 });
    await pause(40);
    const move = fake.moves[0];
    expect(move?.used).to.deep.equal({ requests: 1, tokens: 30, microUsd: 0 });
    // b is in flight (1 request, 100 tokens); of the 2-request slice no request is free,
    // and the 70 tokens a did not use stay held.
    expect(move?.hold).to.deep.equal({ requests: 1, tokens: 170, microUsd: 0 });
    b?.settle({ requests: 1, tokens: 250, microUsd: 0 });
    await leases.stop();
    // b used more than its worst case: the excess is charged too.
    expect(fake.state.settled).to.deep.equal({ requests: 2, tokens: 280, microUsd: 0 });
  });

  it('a request that does not fit what is free returns the slice first, then takes one that fits', async () => {
    const { fake, leases } = pool({ requests: 100, tokens: 10_000, microUsd: null });
    const small = await leases.admit(request(100));
    const big = await leases.admit(request(1000));
    expect(big?.reserved.tokens).to.equal(1000);
    expect(fake.state.takes).to.equal(2);
    // The first slice was shrunk to what was in flight before the second was taken.
    expect(fake.moves[0]?.hold).to.deep.equal({ requests: 1, tokens: 100, microUsd: 0 });
    small?.settle({ requests: 1, tokens: 10, microUsd: 0 });
    big?.settle({ requests: 1, tokens: 10, microUsd: 0 });
    await leases.stop();
    expect(fake.rows.size).to.equal(0);
    expect(fake.state.room).to.deep.include({ requests: 98, tokens: 10_000 - 20 });
  });

  it('no slice when little remains: the caller reserves per request', async () => {
    const { fake, leases } = pool({ requests: 3, tokens: null, microUsd: null });
    // Half of 3 is 1 request, fewer than the 2 a slice needs.
    expect(await leases.admit(request(100))).to.equal(undefined);
    expect(fake.rows.size).to.equal(0);
  });

  it('a change of the grant or of an ancestor returns its slices; the next request takes a fresh one', async () => {
    const { fake, leases } = pool({ requests: 100, tokens: null, microUsd: null });
    const running = await leases.admit(request(0));
    await leases.changed('parent');
    expect(fake.moves.at(-1)?.hold, 'only what is in flight stays held').to.deep.equal({
      requests: 1,
      tokens: 0,
      microUsd: 0,
    });
    expect(leases.held()).to.deep.equal({ leases: 1, requests: 1 });
    await leases.admit(request(0));
    expect(fake.state.takes).to.equal(2);
    running?.settle({ requests: 1, tokens: 0, microUsd: 0 });
    await pause(40);
    expect(leases.held().leases, 'the old slice closed when its last request settled').to.equal(1);
    await leases.stop();
  });

  it('a failed write is retried with what was used kept; a reaped slice is dropped', async () => {
    const { fake, leases, errors } = pool({ requests: 100, tokens: null, microUsd: null });
    const a = await leases.admit(request(0));
    fake.state.fail = true;
    a?.settle({ requests: 1, tokens: 5, microUsd: 0 });
    await pause(40);
    expect(errors.length).to.be.at.least(1);
    fake.state.fail = false;
    await pause(40);
    expect(fake.state.settled).to.deep.equal({ requests: 1, tokens: 5, microUsd: 0 });
    fake.state.reaped = true;
    const b = await leases.admit(request(0));
    b?.settle({ requests: 1, tokens: 1, microUsd: 0 });
    await pause(40);
    expect(leases.held().leases, 'taken for dead: it is charged in full, and forgotten').to.equal(0);
    fake.state.reaped = false;
    expect(await leases.admit(request(0))).to.not.equal(undefined);
    expect(fake.state.takes).to.equal(2);
    await leases.stop();
  });

  it('reclaiming returns its own slices at once and asks the others once per grant and interval', async () => {
    const { fake, leases } = pool({ requests: 100, tokens: null, microUsd: null });
    (await leases.admit(request(0)))?.settle({ requests: 1, tokens: 0, microUsd: 0 });
    expect(await leases.reclaim('g')).to.equal(true);
    expect(fake.rows.size, 'its own slice returned').to.equal(0);
    for (let i = 0; i < 5; i++) expect(await leases.reclaim('g')).to.equal(true);
    expect(await leases.reclaim('other')).to.equal(true);
    expect(fake.state.asks, 'one ask per grant').to.equal(2);
    await leases.stop();
  });

  it('an idle slice is returned', async () => {
    const { fake, leases } = pool({ requests: 100, tokens: null, microUsd: null }, { idleMs: 20 });
    (await leases.admit(request(0)))?.settle({ requests: 1, tokens: 0, microUsd: 0 });
    await pause(80);
    expect(fake.rows.size).to.equal(0);
    expect(fake.state.room.requests).to.equal(99);
    await leases.stop();
  });
});
