import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { pino } from 'pino';
import type { TokenClaims } from '../../../src/proxy/auth/verify-token.ts';
import { createProxyApp } from '../../../src/proxy/create-proxy-app.ts';
import { BUILTIN_ENDPOINTS } from '../../../src/proxy/endpoints/index.ts';
import { ProxyError } from '../../../src/proxy/errors/proxy-error.ts';
import { createForwarder } from '../../../src/proxy/forward/forwarder.ts';
import { createUpstreams } from '../../../src/proxy/forward/upstreams.ts';
import { createRequestHandler } from '../../../src/proxy/handle-request.ts';
import { createProxyMetrics } from '../../../src/proxy/http/metrics.ts';
import { createInFlight } from '../../../src/proxy/lifecycle/in-flight.ts';
import type { BudgetGate, BudgetOutcome } from '../../../src/proxy/limits/budget-gate.ts';
import { parseScope, type Scope } from '../../../src/scopes/index.ts';

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const CLAIMS: TokenClaims = {
  jti: 'jti-1',
  sub: 'account-1',
  clientId: 'app-1',
  grantId: 'grant-1',
  scopes: ['openai:*:chat'],
  grants: [(parseScope('openai:*:chat') as { ok: true; scope: Scope }).scope],
  exp: Math.floor(Date.now() / 1000) + 600,
};

/**
 * The pipeline's order, with every collaborator but the budget real: refusals come
 * before the budget admits; once it admitted, settle runs whatever happens next.
 */
describe('the request pipeline', () => {
  let upstream: Server;
  let upstreamUrl: string;
  let upstreamHits = 0;
  const closers: Array<() => Promise<void> | void> = [];
  /** What the fake budget was asked, in order. */
  let calls: Array<{ admit: string } | { settle: BudgetOutcome }> = [];
  let admitWith: () => { inject?: { field: 'max_completion_tokens'; perChoice: number } } = () => ({});

  const budget = {
    async admit(request: { requestId: string; upstreamPath: string }) {
      calls.push({ admit: request.upstreamPath });
      const { inject } = admitWith();
      return {
        inject,
        async settle(outcome: BudgetOutcome) {
          calls.push({ settle: outcome });
          return { requests: 1 as const, tokens: 0, microUsd: 0 };
        },
      };
    },
  } as unknown as BudgetGate;

  async function proxyTo(base: string): Promise<string> {
    const forwarder = createForwarder({ connectMs: 1000, responseMs: 2000, idleMs: 2000 });
    const handle = createRequestHandler({
      verifyToken: async () => CLAIMS,
      checkDpop: async () => undefined,
      checkLiveness: async () => undefined,
      allowedOrigins: async () => new Set(),
      resolveKey: async () => 'sk-test-key',
      endpoints: BUILTIN_ENDPOINTS,
      upstreams: createUpstreams(
        {
          baseUrls: { openai: base, anthropic: base, google: base },
          openai: {},
          anthropicBetaAllowlist: [],
        },
        BUILTIN_ENDPOINTS.providers,
      ),
      forwarder,
      bodyLimit: 1 << 20,
      budget,
    });
    const app = createProxyApp({
      endpoints: BUILTIN_ENDPOINTS,
      proxyUrl: 'http://127.0.0.1',
      issuer: 'http://127.0.0.1/as',
      trustProxy: false,
      handle,
      ready: async () => true,
      knownOrigins: async () => new Set(),
      logger: pino({ level: 'silent' }),
      metrics: createProxyMetrics(),
      inFlight: createInFlight(),
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    closers.push(() => {
      server.closeAllConnections();
      forwarder.close();
      return new Promise((resolve) => server.close(() => resolve()));
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const chat = (proxy: string, body: Record<string, unknown>) =>
    fetch(`${proxy}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body }),
    });

  before(async () => {
    upstream = createServer((req, res) => {
      upstreamHits++;
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } }));
      });
    });
    upstreamUrl = await listen(upstream);
  });
  beforeEach(() => {
    calls = [];
    upstreamHits = 0;
    admitWith = () => ({});
  });
  after(async () => {
    for (const close of closers) await close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('refuses what the body says before the budget is asked', async () => {
    const proxy = await proxyTo(upstreamUrl);
    for (const body of [
      { background: true },
      { n: '3' },
      { messages: [{ type: 'item_reference', id: 'x' }] },
    ]) {
      const res = await chat(proxy, body);
      expect(res.status, JSON.stringify(body)).to.be.oneOf([400, 403]);
    }
    expect(calls).to.deep.equal([]);
    expect(upstreamHits).to.equal(0);
  });

  it('refuses a body of another kind than the endpoint takes before the budget is asked', async () => {
    const proxy = await proxyTo(upstreamUrl);
    const form = new FormData();
    form.set('model', 'gpt-4o-mini');
    const asForm = await fetch(`${proxy}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer t' },
      body: form,
    });
    expect(asForm.status).to.equal(400);
    expect(await asForm.text()).to.include('expected application/json');
    const asJson = await fetch(`${proxy}/openai/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'whisper-1' }),
    });
    expect(asJson.status).to.equal(400);
    expect(await asJson.text()).to.include('expected multipart/form-data');
    expect(calls).to.deep.equal([]);
    expect(upstreamHits).to.equal(0);
  });

  it('admits, forwards, meters and settles a served request, in that order', async () => {
    const proxy = await proxyTo(upstreamUrl);
    const res = await chat(proxy, {});
    expect(res.status).to.equal(200);
    await res.text();
    // Settle runs just after the answer ended.
    for (let i = 0; i < 100 && calls.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(calls[0]).to.deep.equal({ admit: '/v1/chat/completions' });
    const settled = (calls[1] as { settle: BudgetOutcome }).settle;
    expect(settled).to.include({ sent: true, answered: true, status: 200, clientAborted: false });
    expect(settled.usage).to.include({ inputTokens: 3, outputTokens: 2 });
    expect(calls).to.have.length(2);
  });

  it('settles an admitted request whose upstream cannot be reached', async () => {
    const closed = createServer();
    const deadUrl = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const proxy = await proxyTo(deadUrl);
    const res = await chat(proxy, {});
    expect(res.status).to.equal(502);
    expect(calls).to.have.length(2);
    expect((calls[1] as { settle: BudgetOutcome }).settle).to.include({ sent: true, answered: false });
  });

  it('settles, as never sent, an admitted request whose mutation throws (nothing is forwarded)', async () => {
    const proxy = await proxyTo(upstreamUrl);
    admitWith = () => ({ inject: { field: 'max_completion_tokens', perChoice: -1 } });
    const res = await chat(proxy, {});
    expect(res.status).to.equal(500);
    expect(calls).to.have.length(2);
    expect((calls[1] as { settle: BudgetOutcome }).settle).to.include({ sent: false, answered: false });
    expect(upstreamHits).to.equal(0);
  });

  it('forwards nothing and settles nothing when the budget refuses', async () => {
    const proxy = await proxyTo(upstreamUrl);
    admitWith = () => {
      throw new ProxyError('limit_reached', 'the request limit (max_requests) of this grant is reached');
    };
    const res = await chat(proxy, {});
    expect(res.status).to.equal(403);
    expect(calls).to.deep.equal([{ admit: '/v1/chat/completions' }]);
    expect(upstreamHits).to.equal(0);
  });
});
