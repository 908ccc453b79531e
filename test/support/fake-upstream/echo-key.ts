/**
 * The `echoKey` knob of a plan: a provider that quotes the key it was sent, as a debug
 * header, in the JSON body (of any status), and in an event stream as an SSE comment cut
 * in the middle of the key into two writes (with `chunkDelayMs` > 0 they arrive apart).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Reply } from './outgoing.ts';

/** The key the request carried (either provider's header), or undefined. */
export function sentKey(headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
  const apiKey = headers['x-api-key'];
  return bearer ?? (typeof apiKey === 'string' ? apiKey : undefined);
}

export function echoKey(reply: Reply, key: string): Reply {
  const headers = { ...reply.headers, 'x-echo-key': `sent ${key}` };
  if (reply.kind === 'body') {
    const text = typeof reply.body === 'string' ? reply.body : Buffer.from(reply.body).toString();
    let body: string;
    try {
      body = JSON.stringify({ ...JSON.parse(text), echo: `Incorrect API key provided: ${key}` });
    } catch {
      body = `${text} (sent ${key})`;
    }
    return { ...reply, headers, body };
  }
  const half = Math.floor(key.length / 2);
  const events = [...reply.events];
  events.splice(1, 0, `: debug key ${key.slice(0, half)}`, `${key.slice(half)}\n\n`);
  return { ...reply, headers, events };
}
