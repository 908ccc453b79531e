/** One request/response pair: reads and records the request, tracks how the exchange ends. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ControlState } from './control.ts';
import type { Recorder } from './recorder.ts';
import type { Provider, RecordedRequest } from './types.ts';

export type Exchange = {
  req: IncomingMessage;
  res: ServerResponse;
  record: RecordedRequest;
  /** Aborted when the connection closes before the response finished. */
  signal: AbortSignal;
};

export type ExchangeDeps = { recorder: Recorder; control: ControlState; isClosing: () => boolean };

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => resolve(Buffer.concat(chunks));
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
  });
}

function parseJson(req: IncomingMessage, body: Buffer): unknown {
  if (!req.headers['content-type']?.includes('json')) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The target exactly as received (no URL normalisation: tests check what a proxy forwarded). */
function splitPath(url: string): { provider: Provider | null; path: string; route: string; search: string } {
  const query = url.indexOf('?');
  const pathname = query < 0 ? url : url.slice(0, query);
  const search = query < 0 ? '' : url.slice(query);
  const match =
    /^\/(openai|anthropic|google|acme|mistral)(\/.*)?$/.exec(pathname) ??
    /^\/(groq)\/openai(\/.*)?$/.exec(pathname);
  if (!match) return { provider: null, path: pathname, route: pathname, search };
  return { provider: match[1] as Provider, path: pathname, route: match[2] ?? '/', search };
}

/** Records the request once its body is in; undefined when the client left before that. */
export async function openExchange(
  req: IncomingMessage,
  res: ServerResponse,
  { recorder, control, isClosing }: ExchangeDeps,
): Promise<Exchange | undefined> {
  const controller = new AbortController();
  let record: RecordedRequest | undefined;
  let clientLeft = false;

  res.once('finish', () => {
    if (!record) return;
    record.finished = true;
    control.forget(record);
    recorder.changed();
  });
  res.once('close', () => {
    if (res.writableFinished) return;
    controller.abort();
    if (!record) {
      clientLeft = !isClosing();
      return;
    }
    if (!record.dropped && !isClosing()) record.aborted = true;
    record.stalled = false;
    control.forget(record);
    recorder.changed();
  });

  const body = await readBody(req);
  record = recorder.add({
    ...splitPath(req.url ?? '/'),
    method: req.method ?? 'GET',
    headers: { ...req.headers },
    rawHeaders: [...req.rawHeaders],
    body,
    json: parseJson(req, body),
    status: undefined,
    eventsSent: 0,
    stalled: false,
    finished: false,
    aborted: clientLeft,
    dropped: false,
    generation: undefined,
  });
  if (controller.signal.aborted) return undefined;
  control.register(record);
  return { req, res, record, signal: controller.signal };
}
