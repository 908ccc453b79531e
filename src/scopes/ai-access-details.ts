import { isCapabilityOffered } from './capability-table.ts';
import { isProvider, type Provider, providerIds } from './providers.ts';

/**
 * RFC 9396 authorization details of type `ai_access`: which provider an app wants, and
 * the limits it asks the person to accept. Scopes stay the authority on what a token may
 * call; `models` and `capabilities` only describe the request, `limits` bound its use.
 */
export const AI_ACCESS_TYPE = 'ai_access';

/** The refusal of an unknown provider, naming the ones there are (`openai, anthropic or google`). */
const providerReason = (ids = providerIds()) =>
  `provider must be ${ids.slice(0, -1).join(', ')} or ${ids.at(-1)}`;

export const LIMIT_PERIODS = Object.freeze(['lifetime', 'month'] as const);
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];

/** The numeric limits, in the order the consent page shows them. */
export const LIMIT_KEYS = Object.freeze([
  'max_requests',
  'max_tokens',
  'max_spend_usd',
  'requests_per_minute',
] as const);
export type LimitKey = (typeof LIMIT_KEYS)[number];

export type AiAccessLimits = Partial<Record<LimitKey, number>> & { period?: LimitPeriod };

export interface AiAccessDetail {
  type: typeof AI_ACCESS_TYPE;
  provider: Provider;
  models?: string[];
  capabilities?: string[];
  limits?: AiAccessLimits;
}

export type ParseDetailResult = { ok: true; detail: AiAccessDetail } | { ok: false; reason: string };

const DETAIL_KEYS = new Set(['type', 'provider', 'models', 'capabilities', 'limits']);
const LIMITS_KEYS = new Set<string>([...LIMIT_KEYS, 'period']);
const MAX_MODEL_LENGTH = 200;
const MAX_LIST = 50;
/** Model ids use the characters of an RFC 6749 scope token, since scopes carry them too. */
const MODEL_CHARS = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** One million dollars: far above any sane cap, and well inside safe integers in micro-USD. */
export const MAX_SPEND_USD = 1_000_000;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Whether `value` is allowed for limit `key`: positive integers, or a positive USD amount (to the micro-dollar). */
export function checkLimitValue(key: LimitKey, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `limits.${key} must be a number`;
  if (key === 'max_spend_usd') {
    if (value <= 0) return `limits.${key} must be greater than 0`;
    if (value > MAX_SPEND_USD) return `limits.${key} must be at most ${MAX_SPEND_USD}`;
    if (Math.abs(value * 1e6 - Math.round(value * 1e6)) > 1e-6)
      return `limits.${key} must have at most 6 decimal places`;
    return undefined;
  }
  if (!Number.isSafeInteger(value)) return `limits.${key} must be an integer`;
  if (value < 1) return `limits.${key} must be at least 1`;
  return undefined;
}

function stringList(
  name: string,
  value: unknown,
  check: (s: string) => string | undefined,
): string[] | string {
  if (!Array.isArray(value) || value.length === 0) return `${name} must be a non-empty array of strings`;
  if (value.length > MAX_LIST) return `${name} may list at most ${MAX_LIST} entries`;
  for (const item of value) {
    if (typeof item !== 'string' || item.length === 0) return `${name} must be a non-empty array of strings`;
    const problem = check(item);
    if (problem) return problem;
  }
  if (new Set(value).size !== value.length) return `${name} must not repeat an entry`;
  return value as string[];
}

/** Strict check of one `ai_access` detail: unknown fields and out-of-range values are refused. */
export function parseAiAccessDetail(input: unknown): ParseDetailResult {
  if (!isPlainObject(input)) return { ok: false, reason: 'an authorization detail must be a JSON object' };
  for (const key of Object.keys(input)) {
    if (!DETAIL_KEYS.has(key)) return { ok: false, reason: `unknown field ${key}` };
  }
  if (input.type !== AI_ACCESS_TYPE) return { ok: false, reason: `type must be ${AI_ACCESS_TYPE}` };
  const provider = input.provider;
  if (typeof provider !== 'string' || !isProvider(provider)) {
    return { ok: false, reason: providerReason() };
  }
  const detail: AiAccessDetail = { type: AI_ACCESS_TYPE, provider };

  if (input.models !== undefined) {
    const models = stringList('models', input.models, (m) =>
      m.length > MAX_MODEL_LENGTH || !MODEL_CHARS.test(m) ? `invalid model ${m}` : undefined,
    );
    if (typeof models === 'string') return { ok: false, reason: models };
    detail.models = [...models];
  }
  if (input.capabilities !== undefined) {
    const caps = stringList('capabilities', input.capabilities, (c) =>
      isCapabilityOffered(provider, c) ? undefined : `unknown capability ${c} for ${provider}`,
    );
    if (typeof caps === 'string') return { ok: false, reason: caps };
    detail.capabilities = [...caps];
  }
  if (input.limits !== undefined) {
    const limits = input.limits;
    if (!isPlainObject(limits)) return { ok: false, reason: 'limits must be a JSON object' };
    const out: AiAccessLimits = {};
    for (const [key, value] of Object.entries(limits)) {
      if (!LIMITS_KEYS.has(key)) return { ok: false, reason: `unknown field limits.${key}` };
      if (key === 'period') {
        if (value !== 'lifetime' && value !== 'month')
          return { ok: false, reason: 'limits.period must be lifetime or month' };
        out.period = value;
        continue;
      }
      const problem = checkLimitValue(key as LimitKey, value);
      if (problem) return { ok: false, reason: problem };
      out[key as LimitKey] = value as number;
    }
    detail.limits = out;
  }
  return { ok: true, detail };
}

/** Checks a whole `authorization_details` array of `ai_access` entries: at most one per provider. */
export function parseAiAccessDetails(
  input: unknown,
): { ok: true; details: AiAccessDetail[] } | { ok: false; reason: string } {
  if (!Array.isArray(input)) return { ok: false, reason: 'authorization_details must be a JSON array' };
  const details: AiAccessDetail[] = [];
  for (const [i, item] of input.entries()) {
    const parsed = parseAiAccessDetail(item);
    if (!parsed.ok) return { ok: false, reason: `${parsed.reason} (authorization details index ${i})` };
    if (details.some((d) => d.provider === parsed.detail.provider)) {
      return {
        ok: false,
        reason: `only one ai_access detail per provider (${parsed.detail.provider} repeated)`,
      };
    }
    details.push(parsed.detail);
  }
  return { ok: true, details };
}

/** USD to integer micro-USD, as stored. */
export const usdToMicro = (usd: number): number => Math.round(usd * 1e6);
