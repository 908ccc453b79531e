/**
 * The bench's spread SSE workload (bench/spread-sse.ts): the fake paces a stream marked
 * `metadata.bench_pacing: 'spread'`, event by event, and leaves every other stream in one
 * write; and the fixed-rate client spreads its requests over several URLs in turn.
 */
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import { runFixedRate } from '../../../bench/fixed-rate.ts';
import { isSpread, SPREAD_CHUNK_DELAY_MS, SPREAD_METADATA } from '../../../bench/spread-sse.ts';
import { createFakeUpstream, type FakeUpstream } from '../../support/fake-upstream/index.ts';

/** The body's chunks as they arrived, with the milliseconds since the request. */
async function readTimed(res: Response): Promise<Array<{ ms: number; text: string }>> {
  const started = performance.now();
  const chunks: Array<{ ms: number; text: string }> = [];
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push({ ms: performance.now() - started, text: decoder.decode(chunk) });
  }
  return chunks;
}

describe('bench: the spread SSE workload', () => {
  let upstream: FakeUpstream | undefined;
  afterEach(async () => {
    await upstream?.close();
    upstream = undefined;
  });

  const ask = (extra: Record<string, unknown>) =>
    fetch(`${upstream?.url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${upstream?.openaiKey}` },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
        ...extra,
      }),
    });

  it('paces only the marked stream, each event its own write, the usage last before [DONE]', async () => {
    upstream = await createFakeUpstream({ record: false, chunkCount: 20, chunkDelayMs: 0 });
    upstream.control.always({ settings: { chunkDelayMs: SPREAD_CHUNK_DELAY_MS } }, { match: isSpread });

    const spread = await readTimed(await ask({ metadata: SPREAD_METADATA }));
    const text = spread.map((c) => c.text).join('');
    const events = text.split('\n\n').filter(Boolean);
    // role, 20 deltas, finish, usage, [DONE]
    expect(events).to.have.length(24);
    expect(events.at(-2)).to.include('"choices":[],"usage":{');
    expect(events.at(-1)).to.equal('data: [DONE]');
    // 23 pauses between the events: the stream lasts at least that long, in many reads.
    const last = spread.at(-1)?.ms ?? 0;
    expect(last - (spread[0]?.ms ?? 0)).to.be.at.least(23 * SPREAD_CHUNK_DELAY_MS - 1);
    expect(spread.length).to.be.greaterThan(10);

    const unmarked = await readTimed(await ask({ metadata: { bench_pacing: 'other' } }));
    expect(unmarked.map((c) => c.text).join('')).to.include('data: [DONE]');
    expect(unmarked.length).to.be.lessThan(3);
  });
});

describe('bench: the fixed-rate client over several URLs', () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  it('sends request i to URL i mod n, the rate in all', async () => {
    const counts = [0, 0, 0];
    const urls = await Promise.all(
      counts.map(
        (_, i) =>
          new Promise<string>((resolve) => {
            const server = createServer((req, res) => {
              req.resume();
              req.once('end', () => {
                counts[i] = (counts[i] ?? 0) + 1;
                res.end('{}');
              });
            });
            servers.push(server);
            server.listen(0, '127.0.0.1', () => {
              resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
            });
          }),
      ),
    );
    const work = { name: 'x', path: '/', headers: { 'content-type': 'application/json' }, body: '{}' };
    const result = await runFixedRate(urls, work, { rate: 300, seconds: 1, warmRequests: 4 });
    expect(result.sent).to.equal(300);
    expect(result.failed).to.equal(0);
    // 300 timed requests and 4 warm-up requests per URL, in turn.
    expect(counts).to.deep.equal([104, 104, 104]);
  });
});
