import type { Context } from 'koa';
import type { UsageRecord } from '../storage/usage-store.ts';
import { extractToken } from './auth/extract-token.ts';
import type { TokenClaims, VerifyToken } from './auth/verify-token.ts';
import { ProxyError } from './errors/proxy-error.ts';
import type { Forwarder } from './forward/forwarder.ts';
import { filterModelListing, pipeResponse, refuseRejectedKey } from './forward/respond.ts';
import type { Upstreams } from './forward/upstreams.ts';
import { corsHeaders } from './http/cors-headers.ts';
import type { ResolveKey } from './keys/key-resolver.ts';
import type { Flight } from './lifecycle/in-flight.ts';
import type { Admission, BudgetGate } from './limits/budget-gate.ts';
import { setOutputBound } from './limits/request-bounds.ts';
import { checkClientHeaders } from './request/check-client-headers.ts';
import { checkDecidedFields } from './request/check-decided-fields.ts';
import { parseRequestBody } from './request/parse-request-body.ts';
import { readBody } from './request/read-body.ts';
import { applyStoredStatePolicy } from './request/stored-state-policy.ts';
import { authorizeModel, isListing, listableModels } from './routing/model-scope.ts';
import { type RoutedRequest, routeRequest } from './routing/route-request.ts';
import {
  createUsageTap,
  requestStreamUsage,
  type UsageTap,
  usageFormatOf,
  zeroUsage,
} from './usage/usage-tap.ts';

export interface RequestHandlerDeps {
  verifyToken: VerifyToken;
  /** Throws a ProxyError when the token's grant or id is revoked, or liveness is unknown. */
  checkLiveness(claims: TokenClaims): Promise<void>;
  /** Origins the token's client may call from (browser apps), for CORS. */
  allowedOrigins(clientId: string): Promise<ReadonlySet<string>>;
  resolveKey: ResolveKey;
  upstreams: Upstreams;
  forwarder: Forwarder;
  bodyLimit: number;
  /** Reserves against the grant's caps before forwarding, settles after. */
  budget: BudgetGate;
  /** Takes the usage of every forwarded request (queued, written in batches). */
  recordUsage?(record: UsageRecord): void;
  clock?: () => number;
}

/** What the request log line records about a request (never a token, key or prompt). */
export interface RequestFacts {
  provider?: string;
  capability?: string;
  model?: string;
  clientId?: string;
  grantId?: string;
  upstreamMs?: number;
  bytesIn?: number;
  bytesOut?: number;
  clientAborted?: boolean;
  upstreamFailed?: boolean;
  inputTokens?: number;
  outputTokens?: number;
}

/**
 * One request through the proxy, as explicit stages: authenticate (token, liveness),
 * authorize (endpoint → capability, model → scope, stored-state policy), reserve (the
 * worst case against the grant's caps, or refuse), mutate (the output bound, the
 * person's key, rebuilt headers), forward (stream back), settle (the real usage, the
 * usage record).
 */
export function createRequestHandler(deps: RequestHandlerDeps) {
  return async function handle(
    ctx: Context,
    facts: RequestFacts,
    requestId: string,
    flight: Flight,
  ): Promise<void> {
    const claims = await deps.verifyToken(extractToken(ctx.req.headers));
    facts.clientId = claims.clientId;
    facts.grantId = claims.grantId;
    // Before liveness: a revocation from now on ends this request wherever it is.
    flight.identify(claims.grantId, claims.jti);
    await deps.checkLiveness(claims);

    const origin = ctx.get('origin');
    if (origin && !(await deps.allowedOrigins(claims.clientId)).has(origin)) {
      throw new ProxyError('origin_not_allowed', `this app may not be called from ${origin}`);
    }
    if (origin) {
      for (const [name, value] of Object.entries(corsHeaders(origin))) ctx.res.setHeader(name, value);
    }

    const routed: RoutedRequest = routeRequest(ctx.method, ctx.url);
    facts.provider = routed.provider;
    facts.capability = routed.capability;
    checkClientHeaders(ctx.req.headers);

    let body = await readBody(ctx.req, deps.bodyLimit);
    facts.bytesIn = body.length;
    const parsed = await parseRequestBody(ctx.get('content-type') || undefined, body);
    checkDecidedFields(routed.provider, routed.upstreamPath, parsed.json);
    facts.model = authorizeModel(claims.scopes, claims.grants, routed, parsed.model);
    const format = usageFormatOf(routed.provider, routed.upstreamPath);
    const apiKey = await deps.resolveKey(claims.sub, routed.provider);
    const json = parsed.kind === 'json' ? parsed.json : undefined;
    const admission: Admission = await deps.budget.admit({
      requestId,
      grantId: claims.grantId,
      note: {
        clientId: claims.clientId,
        accountId: claims.sub,
        provider: routed.provider,
        model: facts.model ?? null,
        capability: routed.capability,
      },
      provider: routed.provider,
      upstreamPath: routed.upstreamPath,
      model: facts.model,
      json,
      bodyBytes: body.length,
    });
    let stripUsageChunk = false;
    if (json) {
      let changed = applyStoredStatePolicy(routed.provider, routed.upstreamPath, json);
      stripUsageChunk = requestStreamUsage(format, json);
      if (admission.inject) {
        setOutputBound(json, admission.inject.field, admission.inject.perChoice);
        ctx.res.setHeader('x-mandate-output-bound', String(admission.inject.perChoice));
        changed = true;
      }
      if (changed || stripUsageChunk) body = Buffer.from(JSON.stringify(json));
    }

    const listing = isListing(routed);
    ctx.respond = false;
    let tap: UsageTap | undefined;
    let status = 0;
    const record = async (
      upstreamMs: number | null,
      clientAborted: boolean,
      failed: boolean,
      answered = status !== 0,
      sent = true,
    ) => {
      // Only the upstream's final usage settles below the worst case (docs/limits.md).
      const usage = tap?.final() ? tap.usage() : undefined;
      const partialUsage = !usage && tap?.reported() ? tap.usage() : undefined;
      const charge = await admission.settle({ sent, answered, status, usage, partialUsage, clientAborted });
      // Never sent: released, and no usage record (nothing reached the provider).
      if (!sent) return;
      // The record holds what was charged: the final usage, or the worst case.
      const counted = charge.usage ?? zeroUsage();
      facts.inputTokens = counted.inputTokens;
      facts.outputTokens = counted.outputTokens;
      deps.recordUsage?.({
        id: requestId,
        grantId: claims.grantId,
        clientId: claims.clientId,
        accountId: claims.sub,
        provider: routed.provider,
        model: facts.model ?? null,
        capability: routed.capability,
        ...counted,
        costMicroUsd: charge.microUsd,
        status,
        upstreamMs,
        createdAt: (deps.clock ?? Date.now)(),
        clientAborted,
        upstreamFailed: failed,
        ledger: charge.ledger,
      });
    };
    let outcome: Awaited<ReturnType<Forwarder['forward']>>;
    try {
      outcome = await deps.forwarder.forward({
        req: ctx.req,
        res: ctx.res,
        target: deps.upstreams.target(routed.provider, routed.upstreamPath, routed.search),
        headers: deps.upstreams.headers(routed.provider, ctx.req.headers, apiKey, body.length),
        body,
        signal: flight.signal,
        async onResponse(upstream) {
          status = upstream.statusCode;
          if (await refuseRejectedKey(routed.provider, upstream, ctx.res, apiKey)) return;
          if (listing)
            await filterModelListing(
              upstream,
              ctx.res,
              listableModels(claims.grants, routed.provider),
              apiKey,
            );
          else {
            if (format && upstream.statusCode < 300) {
              const sse = String(upstream.headers['content-type'] ?? '').startsWith('text/event-stream');
              tap = createUsageTap(format, sse, sse && stripUsageChunk);
            }
            await pipeResponse(upstream, ctx.res, tap, apiKey);
          }
        },
      });
    } catch (err) {
      const answered = status !== 0;
      // What the client was answered.
      status = err instanceof ProxyError ? err.status : 500;
      await record(null, false, true, answered);
      throw err;
    }
    if (!outcome.sent) {
      // 499: the client closed the request (as nginx logs it); nothing went upstream.
      ctx.res.statusCode = 499;
      facts.clientAborted = true;
      await record(null, true, false, false, false);
      return;
    }
    facts.upstreamMs = Math.round(outcome.upstreamMs * 10) / 10;
    facts.clientAborted = outcome.clientAborted;
    facts.bytesOut = outcome.bytesOut;
    if (outcome.upstreamFailed) facts.upstreamFailed = true;
    await record(Math.round(outcome.upstreamMs), outcome.clientAborted, outcome.upstreamFailed);
  };
}
