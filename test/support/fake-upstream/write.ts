/**
 * Writes a reply, applying the request's fault and the SSE pacing:
 * - `stall` / `drop` without `afterEvents` act before any byte; with it, after the headers
 *   and that many events (SSE replies only; a body reply is held or dropped whole).
 * - `stream-error` after `afterEvents` events writes the provider's error event and ends.
 * - `chunkDelayMs` > 0 waits before each event after the first; 0 uses no timers.
 * Unpaced, uninterrupted streams go out in one write; paced ones event by event, honouring
 * backpressure. A drop flushes what was written, then closes the socket.
 * A text generation's `record.generation` starts at zero output tokens and grows as the
 * events carrying them are written; a body generates all at once when it is written. The
 * count stops where the writing stops (client gone, drop, stream error): `completed` only
 * once the whole reply is out.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ControlState } from './control.ts';
import type { Exchange } from './exchange.ts';
import type { Headers, Reply } from './outgoing.ts';
import type { Fault } from './types.ts';

type WriteDeps = { control: ControlState; changed: () => void };

const gone = (exchange: Exchange) =>
  exchange.signal.aborted || exchange.res.destroyed || exchange.res.socket?.destroyed === true;

async function stall(exchange: Exchange, { control, changed }: WriteDeps): Promise<void> {
  exchange.record.stalled = true;
  changed();
  await control.latch(exchange.record);
  exchange.record.stalled = false;
  changed();
}

/** Flush everything written so far, then close the connection mid-response. */
function drop(exchange: Exchange, changed: () => void): void {
  exchange.record.dropped = true;
  changed();
  exchange.res.socket?.destroySoon();
}

/** Wait between events; cut short (not thrown) when the client leaves. */
const pause = (exchange: Exchange, ms: number): Promise<void> =>
  delay(ms, undefined, { signal: exchange.signal }).catch(() => undefined);

function write(exchange: Exchange, chunk: string): Promise<void> | undefined {
  if (exchange.res.write(chunk)) return undefined;
  return new Promise((resolve) => {
    exchange.res.once('drain', resolve);
    exchange.res.once('close', resolve);
  });
}

function sendHead(exchange: Exchange, status: number, headers: Headers, changed: () => void): void {
  exchange.res.writeHead(status, headers);
  exchange.record.status = status;
  changed();
}

/** Output tokens generated once the first `events` SSE events are out. */
function generated(exchange: Exchange, progress: number[] | undefined, events: number): void {
  const generation = exchange.record.generation;
  if (generation && progress) generation.outputTokens = progress[events - 1] ?? 0;
}

function completed(exchange: Exchange, changed: () => void): void {
  const generation = exchange.record.generation;
  if (!generation) return;
  generation.outputTokens = generation.plannedOutputTokens;
  generation.completed = true;
  changed();
}

type TimedFault = Extract<Fault, { afterEvents?: number }>;

const timed = (fault: Fault | undefined): TimedFault | undefined =>
  fault?.kind === 'stall' || fault?.kind === 'drop' || fault?.kind === 'stream-error' ? fault : undefined;

export async function writeReply(
  exchange: Exchange,
  reply: Reply,
  anyFault: Fault | undefined,
  delayMs: number,
  deps: WriteDeps,
): Promise<void> {
  const fault = timed(anyFault);
  if (reply.generation) {
    const { model, inputTokens, outputTokens } = reply.generation;
    exchange.record.generation = {
      model,
      inputTokens,
      outputTokens: 0,
      plannedOutputTokens: outputTokens,
      completed: false,
    };
  }
  const early = fault && (reply.kind === 'body' || fault.afterEvents === undefined);
  if (early && fault.kind === 'stall') await stall(exchange, deps);
  if (gone(exchange)) return;
  if (early && fault.kind === 'drop') return drop(exchange, deps.changed);

  if (reply.kind === 'body') {
    sendHead(exchange, reply.status, reply.headers, deps.changed);
    exchange.res.end(reply.body);
    completed(exchange, deps.changed);
    return;
  }

  sendHead(exchange, 200, reply.headers, deps.changed);
  exchange.res.flushHeaders();
  const stopAt = fault?.kind === 'stream-error' ? (fault.afterEvents ?? 0) : fault?.afterEvents;
  if (stopAt === undefined && delayMs === 0) {
    // Nothing to pace or interrupt: one write (same bytes; the events would share a segment anyway).
    exchange.record.eventsSent = reply.events.length;
    exchange.res.end(reply.events.join(''));
    completed(exchange, deps.changed);
    return;
  }
  for (let i = 0; i <= reply.events.length; i += 1) {
    if (i === stopAt && fault) {
      if (fault.kind === 'drop') return drop(exchange, deps.changed);
      if (fault.kind === 'stream-error') {
        exchange.res.end(reply.errorEvent(fault.status ?? 500, i));
        return;
      }
      if (fault.kind === 'stall') await stall(exchange, deps);
      if (gone(exchange)) return;
    }
    const event = reply.events[i];
    if (event === undefined) break;
    if (delayMs > 0 && i > 0) await pause(exchange, delayMs);
    if (gone(exchange)) return;
    const pending = write(exchange, event);
    exchange.record.eventsSent += 1;
    generated(exchange, reply.progress, exchange.record.eventsSent);
    if (pending) await pending;
  }
  exchange.res.end();
  completed(exchange, deps.changed);
}
