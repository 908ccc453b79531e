import type { Reply } from './outgoing.ts';
import type { RecordedRequest, Settings } from './types.ts';

/** What a route handler gets: the recorded request and everything needed to answer it. */
export type RouteContext = {
  record: RecordedRequest;
  /** The JSON body when it is an object, else `{}`. */
  body: Record<string, unknown>;
  settings: Settings;
  /** Unix seconds at handling time. */
  created: number;
  /** `req_fake000042`, also sent as the provider's request-id header. */
  requestId: string;
  /** Model ids the provider lists. */
  models: string[];
};

export type Route = (context: RouteContext) => Reply | Promise<Reply>;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
