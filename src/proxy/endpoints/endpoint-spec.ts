import type { Capability, Provider } from '../../scopes/index.ts';
import type { BoundReader, OutputField } from '../limits/request-bounds.ts';
import type { FieldRules } from '../request/check-decided-fields.ts';
import type { UsageReader } from '../usage/usage-reader.ts';

type Json = Record<string, unknown>;

/**
 * A refusal of a JSON body (given the model checked against the scopes): throws a
 * ProxyError, or returns. Runs before anything is reserved.
 */
export type BodyRefusal = (json: Json, model: string) => void;

/** A rewrite of a JSON body before forwarding; returns whether it changed the body. Never refuses. */
export type BodyRewrite = (json: Json) => boolean;

/**
 * What the request body is: JSON (its `model` field), a multipart form (its `model`
 * part), either, or nothing (the model, if any, is in the path). Another kind is 400.
 */
export type BodyKind = 'json' | 'form' | 'json-or-form' | 'none';

/**
 * One upstream endpoint, everything the proxy does with it: the one answer to "what
 * happens to POST /v1/responses".
 */
export interface EndpointSpec {
  readonly method: 'GET' | 'POST';
  /**
   * Relative to the provider's base URL, under `/v1/` (or `/{version}/`, one of the
   * provider's `apiVersions`); `{model}` is a segment holding a model id, or the start of
   * one followed by a literal method (`{model}:generateContent`).
   */
  readonly path: string;
  /** What the token's scope must grant for this endpoint. */
  readonly capability: Capability;
  readonly body: BodyKind;
  /**
   * Where the model is read: the body (`model`), the path (`{model}`), or nowhere (a
   * listing, allowed by any `models` scope and filtered to the models they name).
   */
  readonly model: 'body' | 'path' | 'listing';
  /** The upstream picks a default model when the body names none: checked as model `*`. */
  readonly modelOptional: boolean;
  /** Type rules for the fields decided on, beyond the provider's. */
  readonly decidedFields: readonly FieldRules[];
  /** Refusals of the body, beyond the provider's (stored state, background runs). */
  readonly refusals: readonly BodyRefusal[];
  /**
   * What a request can cost at most (`request-bounds.ts`), or free; and the field an
   * output bound is set in when the budget injects one.
   */
  readonly cost: { readonly bound: BoundReader | 'free'; readonly outputField?: OutputField };
  /** Rewrites of the body before forwarding (`store` forced off). */
  readonly rewrites: readonly BodyRewrite[];
  /**
   * Chat streams: asks for the usage chunk in the request when the client did not, and
   * says so (true: the tap strips that chunk from the answer again).
   */
  readonly streamUsage: ((json: Record<string, unknown>) => boolean) | undefined;
  /** How the answer reports its token usage, read by the provider's reader (none: zeros are recorded). */
  readonly usage: UsageReader | undefined;
}

/** What an upstream needs from the configuration to be called. */
export interface UpstreamSettings {
  baseUrls: Record<Provider, string>;
  openai: { organization?: string | undefined; project?: string | undefined };
  anthropicBetaAllowlist: readonly string[];
}

/** One provider: where it lives, how the key goes on a request, how its errors look, its endpoints. */
export interface ProviderSpec {
  readonly id: Provider;
  /** The proxy path prefix (`/openai`): `/openai/v1/…` is forwarded to the base URL + `/v1/…`. */
  readonly prefix: string;
  /** The API versions a path may start with (a spec's `{version}` segment); `v1` when unset. */
  readonly apiVersions?: readonly string[];
  /**
   * The header the provider's SDK sends its API key in, read as the access token besides
   * `Authorization: Bearer` and `x-api-key` (Gemini's `x-goog-api-key`) on this provider's paths.
   */
  readonly tokenHeader?: string;
  /**
   * Request headers only this provider reads, passed to it unchanged beside the ones every
   * provider gets (`forward/client-headers.ts`), dropped for the others (Anthropic's
   * `anthropic-version`).
   */
  readonly passedHeaders?: readonly string[];
  /**
   * Further headers its SDK sends from a browser, allowed in a CORS preflight (checked or
   * rewritten by `keyHeaders`, never passed as they came: `anthropic-beta`, Gemini's
   * `x-goog-api-client`).
   */
  readonly corsHeaders?: readonly string[];
  /**
   * Refuses a query string the endpoint does not take (throws a ProxyError); unset: the
   * query is passed on as it came.
   */
  readonly checkQuery?: (spec: EndpointSpec, params: URLSearchParams) => void;
  /**
   * A model listing (parsed JSON) with only the models `allowed` says; unset: the
   * OpenAI/Anthropic shape (`data[].id`, `first_id`, `last_id`).
   */
  readonly filterListing?: (listing: Record<string, unknown>, allowed: (model: string) => boolean) => unknown;
  /**
   * The base URL ends with the API version (`https://api.groq.com/openai/v1`, what an
   * OpenAI-compatible provider documents as the SDK's `baseURL`): the path's `/v1` is not
   * repeated upstream. Unset: base URL + the whole path.
   */
  readonly versionInBaseUrl?: boolean;
  /** The configuration key of its base URL (`proxy.upstreams.<id>`). */
  readonly baseUrl: (settings: UpstreamSettings) => string;
  /**
   * Puts the person's key and the provider's required headers on the upstream request
   * (`out` holds the client headers that pass).
   */
  readonly keyHeaders: (
    out: Record<string, string>,
    incoming: Record<string, string | string[] | undefined>,
    apiKey: string,
    settings: UpstreamSettings,
  ) => void;
  /**
   * A reason in an upstream 400 body that means the person's key was refused (Google
   * answers a bad key with 400 `API_KEY_INVALID`); unset: only a 401 or a 403 about the
   * key is.
   */
  readonly badKeyReasonIn400?: string;
  /** A refusal in the provider's own error shape, so its SDK raises its usual exception. */
  readonly errorBody: (status: number, code: string, message: string) => unknown;
  /** Type rules every endpoint of the provider checks. */
  readonly decidedFields: readonly FieldRules[];
  /** Refusals every JSON body of the provider gets. */
  readonly refusals: readonly BodyRefusal[];
  /**
   * Path prefixes of endpoints that read or change data stored on the person's account:
   * none is in the table, so all are refused anyway; naming them lets the refusal say why.
   */
  readonly storedStatePaths: readonly string[];
  readonly endpoints: readonly EndpointSpec[];
}

/** A spec with the defaults: no extra rules, refusals or rewrites, usage not read. */
export function defineEndpoint(
  spec: Pick<EndpointSpec, 'method' | 'path' | 'capability' | 'body' | 'model' | 'cost'> &
    Partial<EndpointSpec>,
): EndpointSpec {
  return Object.freeze({
    modelOptional: false,
    decidedFields: [],
    refusals: [],
    rewrites: [],
    streamUsage: undefined,
    usage: undefined,
    ...spec,
  });
}
