/** The request pipeline: record, pick the plan, check the key, route, write with faults. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { routeAnthropic } from './anthropic/routes.ts';
import { checkAnthropicKey, checkGoogleKey, checkHeaderKey, checkOpenAIKey } from './auth.ts';
import { isObject, type RouteContext } from './context.ts';
import type { ControlState } from './control.ts';
import { echoKey, sentKey } from './echo-key.ts';
import { errorReply } from './errors.ts';
import { type ExchangeDeps, openExchange } from './exchange.ts';
import { routeGoogle } from './google/routes.ts';
import { routeMistral } from './mistral/routes.ts';
import { routeOpenAI } from './openai/routes.ts';
import { jsonReply, type Reply } from './outgoing.ts';
import { fakeId } from './text.ts';
import type { Fault, Provider, RecordedRequest, Settings } from './types.ts';
import { writeReply } from './write.ts';

export type HandlerDeps = ExchangeDeps & {
  control: ControlState;
  keys: Record<Provider, string>;
  models: Record<Provider, string[]>;
};

const REQUEST_ID_HEADER: Record<Provider, string> = {
  openai: 'x-request-id',
  anthropic: 'request-id',
  google: 'x-goog-request-id',
  groq: 'x-request-id',
  acme: 'x-request-id',
  mistral: 'x-request-id',
};

const ROUTES = {
  openai: routeOpenAI,
  anthropic: routeAnthropic,
  google: routeGoogle,
  groq: routeOpenAI,
  acme: routeOpenAI,
  mistral: routeMistral,
};

function checkKey(
  record: RecordedRequest,
  provider: Provider,
  deps: HandlerDeps,
  reject: boolean,
  requestId: string,
) {
  switch (provider) {
    case 'openai':
    case 'groq':
    case 'mistral':
      return checkOpenAIKey(record.headers, deps.keys[provider], reject);
    case 'acme':
      return checkHeaderKey(record.headers, 'x-api-key', deps.keys.acme, reject);
    case 'google':
      return checkGoogleKey(record.headers, deps.keys.google, reject);
    case 'anthropic':
      return checkAnthropicKey(record.headers, deps.keys.anthropic, reject, requestId);
  }
}

async function answer(
  record: RecordedRequest,
  fault: Fault | undefined,
  settings: Settings,
  deps: HandlerDeps,
) {
  const { provider } = record;
  if (!provider) return jsonReply(404, { error: { message: `No fake provider at ${record.path}` } });
  const requestId = fakeId('req_', record.seq);
  if (fault?.kind === 'status') {
    const { message, retryAfter, headers } = fault;
    return errorReply(provider, fault.status, { message, retryAfter, headers, requestId });
  }
  const reject = fault?.kind === 'reject-key';
  const denied = checkKey(record, provider, deps, reject, requestId);
  const context: RouteContext = {
    record,
    body: isObject(record.json) ? record.json : {},
    settings,
    created: Math.floor(Date.now() / 1000),
    requestId,
    models: deps.models[provider],
  };
  let reply: Reply = denied ?? (await ROUTES[provider](context));
  if (fault?.kind === 'stream-error' && reply.kind === 'body') {
    reply = errorReply(provider, fault.status ?? 500, { requestId });
  }
  reply.headers[REQUEST_ID_HEADER[provider]] = requestId;
  return reply;
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: HandlerDeps): Promise<void> {
  const exchange = await openExchange(req, res, deps);
  if (!exchange) return;
  const plan = deps.control.planFor(exchange.record);
  const settings = { ...deps.control.settings, ...plan.settings };
  let reply = await answer(exchange.record, plan.fault, settings, deps);
  const key = plan.echoKey ? sentKey(exchange.record.headers) : undefined;
  if (key) reply = echoKey(reply, key);
  await writeReply(exchange, reply, plan.fault, settings.chunkDelayMs, {
    control: deps.control,
    changed: deps.recorder.changed,
  });
}

export function createHandler(deps: HandlerDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res, deps).catch((error: unknown) => {
      console.error('fake upstream handler failed:', error);
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'content-type': 'text/plain' }).end('fake upstream bug');
    });
  };
}
