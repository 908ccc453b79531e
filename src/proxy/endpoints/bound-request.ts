import type { Provider } from '../../scopes/index.ts';
import type { ModelPrice } from '../limits/price-table.ts';
import { FREE_BOUND, type RequestBound, unpricedBound } from '../limits/request-bounds.ts';
import type { EndpointSpec } from './endpoint-spec.ts';
import { findEndpoint, PROVIDER_SPECS } from './index.ts';

/**
 * The upper bound of what one request can cost (`limits/request-bounds.ts`), by the
 * reader its endpoint spec names. Pure: no I/O.
 */
export function boundRequest(args: {
  provider: Provider;
  upstreamPath: string;
  json: Record<string, unknown> | undefined;
  bodyBytes: number;
  price: ModelPrice | undefined;
  model: string | undefined;
  /** The endpoint the request was matched to; unset: looked up among the built-ins. */
  spec?: EndpointSpec | undefined;
}): RequestBound {
  const { provider, upstreamPath: path, price, model } = args;
  const builtin = Object.hasOwn(PROVIDER_SPECS, provider) ? PROVIDER_SPECS[provider] : undefined;
  const spec = args.spec ?? (builtin && findEndpoint(builtin, path)?.spec);
  if (!spec) return { kind: 'unbounded', reason: `${path} is not an endpoint Mandate forwards` };
  if (spec.cost.bound === 'free') return FREE_BOUND;
  if (!price) return unpricedBound(model);
  return spec.cost.bound({
    json: args.json ?? {},
    hasJson: args.json !== undefined,
    bodyBytes: Math.max(0, args.bodyBytes),
    price,
    name: model ?? '(unnamed)',
    path,
    outputField: spec.cost.outputField,
  });
}
