import { randomUUID } from 'node:crypto';
import Koa, { type Context } from 'koa';
import type { Logger } from 'pino';
import type { EndpointTable } from './endpoints/index.ts';
import { isDatabaseUnavailable } from './errors/database-unavailable.ts';
import { ProxyError } from './errors/proxy-error.ts';
import { renderError } from './errors/render-error.ts';
import { corsHeaders } from './http/cors-headers.ts';
import { answerPreflight } from './http/cors-preflight.ts';
import type { ProxyMetrics } from './http/metrics.ts';
import { protectedResourceMetadata } from './http/well-known.ts';
import type { Flight, InFlight } from './lifecycle/in-flight.ts';
import type { RequestFacts } from './pipeline/request-facts.ts';

export interface ProxyAppDeps {
  /** The providers this proxy forwards to: a refusal is rendered in the shape of the path's. */
  endpoints: EndpointTable;
  proxyUrl: string;
  issuer: string;
  /** The scope forms an app may ask for, published in the metadata and the 401 challenge (none by default). */
  scopes?: readonly string[];
  trustProxy: boolean;
  /**
   * `requestId`: the id the app answers with (`x-mandate-request-id`), also the usage
   * record's. `flight`: this request in the in-flight registry (revocation, drain).
   */
  handle(ctx: Context, facts: RequestFacts, requestId: string, flight: Flight): Promise<void>;
  /** Every request being handled, open from arrival until its usage is settled. */
  inFlight: InFlight;
  /** Whether the proxy can serve: revocation feed healthy, database reachable. */
  ready(): Promise<boolean>;
  knownOrigins(): Promise<ReadonlySet<string>>;
  logger: Logger;
  metrics: ProxyMetrics;
}

/** The proxy's HTTP surface: provider routes, RFC 9728 metadata, health, metrics. */
export function createProxyApp(deps: ProxyAppDeps): Koa {
  const app = new Koa();
  // Errors are logged here, once, without request bodies or headers.
  app.silent = true;
  app.on('error', (err: Error) => deps.logger.warn({ err }, 'connection error'));
  app.proxy = deps.trustProxy;
  app.maxIpsCount = 1;
  const metadataUrl = `${deps.proxyUrl}/.well-known/oauth-protected-resource`;
  const metadata = JSON.stringify(protectedResourceMetadata(deps.proxyUrl, deps.issuer, deps.scopes ?? []));
  const challengeScope = (deps.scopes ?? []).join(' ');

  app.use(async (ctx) => {
    const { path, method } = ctx;
    if (method === 'GET' && path === '/.well-known/oauth-protected-resource') {
      ctx.type = 'application/json';
      // Public metadata: browser apps discover the authorization server with it.
      ctx.set('access-control-allow-origin', '*');
      ctx.body = metadata;
      return;
    }
    if (method === 'GET' && path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (method === 'GET' && path === '/readyz') {
      const ready = await deps.ready().catch(() => false);
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? 'ready' : 'unavailable' };
      return;
    }
    if (method === 'GET' && path === '/metrics') {
      ctx.type = deps.metrics.registry.contentType;
      ctx.body = await deps.metrics.registry.metrics();
      return;
    }
    if (method === 'OPTIONS') {
      try {
        return await answerPreflight(ctx, deps.knownOrigins);
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err;
        ctx.status = 503;
        return;
      }
    }
    await proxied(ctx);
  });

  async function proxied(ctx: Context): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    ctx.res.setHeader('x-mandate-request-id', requestId);
    const facts: RequestFacts = {};
    let status: number;
    let code: string | undefined;
    const flight = deps.inFlight.open();
    try {
      // The proxy is stopping: nothing new begins.
      if (flight.endedBy) throw flight.endedBy;
      await deps.handle(ctx, facts, requestId, flight);
      // Ended by the proxy before its answer began: the client is told why.
      if (flight.endedBy && !ctx.res.headersSent) throw flight.endedBy;
      status = ctx.res.statusCode;
    } catch (err) {
      const refusal = asRefusal(err);
      if (!(err instanceof ProxyError))
        deps.logger[refusal.code === 'unavailable' ? 'warn' : 'error']({ requestId, err }, 'proxy error');
      code = refusal.code;
      status = refusal.status;
      deps.metrics.refusals.inc({ code });
      ctx.respond = false;
      if (ctx.res.headersSent) {
        ctx.res.destroy();
      } else {
        const rendered = renderError(
          deps.endpoints.providerOfPath(ctx.path),
          refusal,
          metadataUrl,
          challengeScope,
        );
        // A browser app must be able to read why it was refused (a 401 tells it to
        // refresh): refusals are readable from any origin some app registered, except
        // the refusal of that very origin.
        const origin = ctx.get('origin');
        if (
          origin &&
          refusal.code !== 'origin_not_allowed' &&
          !ctx.res.hasHeader('access-control-allow-origin') &&
          (await deps.knownOrigins().catch(() => new Set<string>())).has(origin)
        ) {
          Object.assign(rendered.headers, corsHeaders(origin));
        }
        ctx.res.writeHead(rendered.status, rendered.headers);
        ctx.res.end(rendered.body);
      }
    } finally {
      flight.close();
    }
    const provider = facts.provider ?? 'none';
    const capability = facts.capability ?? 'none';
    deps.metrics.requests.inc({ provider, capability, status: String(status) });
    if (facts.upstreamMs !== undefined)
      deps.metrics.upstreamSeconds.observe({ provider, capability }, facts.upstreamMs / 1000);
    const line = {
      requestId,
      method: ctx.method,
      path: ctx.path,
      status,
      granted: code === undefined,
      ...(code ? { error: code } : {}),
      ...facts,
      ...(flight.endedBy ? { endedBy: flight.endedBy.code } : {}),
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    if (status >= 500 || facts.upstreamFailed) deps.logger.error(line, 'request');
    else deps.logger.info(line, 'request');
  }

  return app;
}

/** What the app is told: a ProxyError as it is; a database out of reach is 503, never 500. */
function asRefusal(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  if (isDatabaseUnavailable(err))
    return new ProxyError('unavailable', 'the proxy cannot reach its database right now; try again shortly');
  return new ProxyError('internal', 'the proxy failed to handle the request');
}
