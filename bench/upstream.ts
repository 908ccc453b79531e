/**
 * Child process: the fake OpenAI/Anthropic upstream, with nothing recorded (record: false),
 * 20 content chunks per reply and no pacing between SSE events, so a stream leaves in one
 * write; except the spread SSE workload's (bench/spread-sse.ts), paced event by event.
 */
import { createFakeUpstream } from '../test/support/fake-upstream/index.ts';
import type { ChildMessage, ParentMessage } from './processes.ts';
import { isSpread, SPREAD_CHUNK_DELAY_MS } from './spread-sse.ts';

const send = (message: ChildMessage) => process.send?.(message);

try {
  const upstream = await createFakeUpstream({ record: false, chunkCount: 20, chunkDelayMs: 0 });
  upstream.control.always({ settings: { chunkDelayMs: SPREAD_CHUNK_DELAY_MS } }, { match: isSpread });
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') void upstream.close().finally(() => process.exit(0));
  });
  process.once('disconnect', () => void upstream.close().finally(() => process.exit(0)));
  send({ type: 'upstream-ready', url: upstream.url, openaiKey: upstream.openaiKey });
} catch (err) {
  send({ type: 'error', message: (err as Error).stack ?? String(err) });
  process.exit(1);
}
