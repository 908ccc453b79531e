import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * The demo's built-in stand-in for OpenAI: one endpoint, POST /v1/chat/completions
 * (not streamed), answering with a canned reply that says it is fake. Every line it
 * prints starts with "[fake OpenAI]". It never prints, stores or returns the key the
 * proxy put on the request; it only checks that there is one, as OpenAI would.
 */
export const FAKE_LABEL = '[fake OpenAI]';
const MAX_BODY = 1024 * 1024;

export interface FakeOpenAI {
  /** The base URL to give the proxy (`proxy.upstreams.openai`, MANDATE_OPENAI_BASE_URL). */
  url: string;
  /** How many chat completions it answered. */
  answered(): number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const error = (res: ServerResponse, status: number, message: string, type = 'invalid_request_error') =>
  send(res, status, { error: { message: `${FAKE_LABEL} ${message}`, type, param: null, code: null } });

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(undefined);
      }
    });
  });
}

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The text of the last user message, however the SDK shaped it. */
function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  const last = [...messages].reverse().find((m) => (m as { role?: unknown })?.role === 'user') as
    | { content?: unknown }
    | undefined;
  if (typeof last?.content === 'string') return last.content;
  if (Array.isArray(last?.content))
    return last.content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join(' ');
  return '';
}

/** Starts the fake on `host:port` (port 0: any free one). */
export async function startFakeOpenAI(options: {
  host: string;
  port: number;
  say: (line: string) => void;
}): Promise<FakeOpenAI> {
  let answered = 0;
  const say = (line: string) => options.say(`${FAKE_LABEL} ${line}`);
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      say(`refused ${req.method} ${path}: it answers only POST /v1/chat/completions`);
      return error(res, 404, `only POST /v1/chat/completions is served here, not ${req.method} ${path}`);
    }
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) {
      return error(res, 401, 'no API key on the request', 'invalid_request_error');
    }
    const body = (await readJson(req).catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!body || typeof body.model !== 'string')
      return error(res, 400, 'a JSON body with a model is required');
    if (body.stream === true) return error(res, 400, 'the fake answers only non-streamed chat completions');
    const asked = lastUserText(body.messages);
    const content = `${FAKE_LABEL} Hello from the fake OpenAI! You asked: "${asked.slice(0, 200)}". This answer reached the demo app through Mandate's proxy; the app never saw an API key.`;
    answered += 1;
    say(`answered POST /v1/chat/completions (model ${body.model}); a real OpenAI was not called`);
    const promptTokens = words(asked);
    const completionTokens = words(content);
    send(res, 200, {
      id: `chatcmpl-fake-${answered}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host}:${port}`;
  say(`listening on ${url} (a stand-in for https://api.openai.com; no real model)`);
  return {
    url,
    answered: () => answered,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
