import type { Context } from 'koa';
import type { TokenClaims } from '../auth/verify-token.ts';
import type { EndpointMatch, EndpointSpec, EndpointTable } from '../endpoints/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import type { ResolveKey } from '../keys/key-resolver.ts';
import { checkClientHeaders } from '../request/check-client-headers.ts';
import { checkDecidedFields } from '../request/check-decided-fields.ts';
import { authorizeModel } from '../request/model-scope.ts';
import { type ParsedBody, parseRequestBody } from '../request/parse-request-body.ts';
import { readBody } from '../request/read-body.ts';
import type { RequestFacts } from './request-facts.ts';

export interface AuthorizeDeps {
  /** The providers and endpoints this proxy forwards to. */
  endpoints: EndpointTable;
  bodyLimit: number;
  resolveKey: ResolveKey;
}

/** A request that passed every check: what the later stages act on. */
export interface Authorized {
  claims: TokenClaims;
  endpoint: EndpointMatch;
  /** The model checked against the scopes (`*` for a listing or a default model). */
  model: string;
  /** The body as received. */
  body: Buffer;
  /** The parsed JSON body, when it is JSON (the mutate stage rewrites it in place). */
  json: Record<string, unknown> | undefined;
  /** The person's key (or the operator's) for the provider. */
  apiKey: string;
}

/** The body must be of the kind the endpoint takes (a form to a JSON endpoint would skip every JSON check). */
function checkBodyKind(spec: EndpointSpec, parsed: ParsedBody): void {
  if (parsed.kind === 'none' || spec.body === 'json-or-form') return;
  if (spec.body === 'json' && parsed.kind !== 'json')
    throw new ProxyError('invalid_request', 'expected application/json, not a multipart form');
  if (spec.body === 'form' && parsed.kind !== 'multipart')
    throw new ProxyError('invalid_request', 'expected multipart/form-data, not JSON');
}

/**
 * Stage 2: every refusal of the request itself, before anything is reserved: the
 * endpoint (from the table), its query (where the provider checks it), headers the app may not set, the body (size, parse,
 * duplicate and type-confused decided fields), the model against the scopes, the
 * provider's and the endpoint's refusals (stored state), and the person's key.
 */
export function createAuthorize(deps: AuthorizeDeps) {
  return async function authorize(
    ctx: Context,
    claims: TokenClaims,
    facts: RequestFacts,
  ): Promise<Authorized> {
    const endpoint = deps.endpoints.matchEndpoint(ctx.method, ctx.url);
    const { provider, spec } = endpoint;
    facts.provider = provider.id;
    facts.capability = spec.capability;
    provider.checkQuery?.(spec, new URLSearchParams(endpoint.search));
    checkClientHeaders(ctx.req.headers);

    const body = await readBody(ctx.req, deps.bodyLimit);
    facts.bytesIn = body.length;
    if (spec.body === 'none' && body.length > 0)
      throw new ProxyError('invalid_request', `${spec.method} ${spec.path} takes no request body`);
    const parsed = await parseRequestBody(ctx.get('content-type') || undefined, body);
    checkBodyKind(spec, parsed);
    const json = parsed.kind === 'json' ? parsed.json : undefined;
    if (json) {
      checkDecidedFields(json, provider.decidedFields);
      checkDecidedFields(json, spec.decidedFields);
    }
    const model = authorizeModel(claims.scopes, claims.grants, endpoint, parsed.model);
    facts.model = model;
    if (json) {
      for (const refuse of provider.refusals) refuse(json, model);
      for (const refuse of spec.refusals) refuse(json, model);
    }
    const apiKey = await deps.resolveKey(claims.sub, provider.id);
    return { claims, endpoint, model, body, json, apiKey };
  };
}
