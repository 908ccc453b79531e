import { isProvider, providerDisplayName } from '../scopes/index.ts';
import type { GrantLimits } from '../storage/grant-store.ts';
import type { GrantEvent } from '../storage/index.ts';
import { describeActor } from './describe-actor.ts';
import { describeLimits, formatCount, formatUsd, formatUtc } from './format-usage.ts';

type LimitKey = Exclude<keyof GrantLimits, 'limitPeriod' | 'providers'>;

const LIMIT_NAMES: Readonly<Record<LimitKey, string>> = {
  maxRequests: 'most requests',
  maxTokens: 'most tokens',
  maxSpendMicroUsd: 'most spending',
  requestsPerMinute: 'requests per minute',
};

const CAP_NAMES: Readonly<Record<string, string>> = {
  max_requests: 'request cap',
  max_tokens: 'token cap',
  max_spend_usd: 'spending cap',
  requests_per_minute: 'per-minute limit',
};

const REVOKED_BY: Readonly<Record<string, string>> = {
  account_page: 'on the account page',
  cli: 'by the operator',
  refresh_token_revoked: 'by the app (it revoked its refresh token)',
  refresh_token_reuse: 'by Mandate: a refresh token was used twice, which suggests it was stolen',
  code_reuse: 'by Mandate: an authorization code was used twice',
  reauthorized: 'because the app was allowed again: the new terms replace these',
  client_deleted: 'by the app (it deleted its registration)',
  client_disabled: 'by the operator, who disabled the app',
  parent_revoked: 'because the access it was carved from ended',
};

const BY: Readonly<Record<string, string>> = {
  account_page: 'on the account page',
  cli: 'by the operator',
  raise_request: 'by the person, at the app’s request',
};

export const GRANT_EVENT_TITLES: Readonly<Record<GrantEvent['kind'], string>> = {
  approved: 'Approved',
  narrowed: 'Limits lowered',
  raised: 'Limits raised',
  reauthorized: 'Re-authorized',
  revoked: 'Revoked',
  expired: 'Expired',
  cap_reached: 'Cap reached',
  delegated: 'Sub-agent',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function limitValue(key: LimitKey, value: unknown): string {
  if (typeof value !== 'number') return 'none';
  return key === 'maxSpendMicroUsd' ? formatUsd(value) : formatCount(value);
}

function isLimits(v: unknown): v is GrantLimits {
  return isObject(v) && (v.limitPeriod === 'lifetime' || v.limitPeriod === 'month');
}

/** Scopes, limits and expiry of an event's detail in words ("access to …; at most …; until …"). */
function describeTerms(d: Record<string, unknown>): string {
  const parts: string[] = [];
  if (Array.isArray(d.scopes)) parts.push(`access to ${d.scopes.join(' ')}`);
  if (isLimits(d.limits)) parts.push(describeLimits(d.limits));
  if (typeof d.expiresAt === 'number') parts.push(`until ${formatUtc(d.expiresAt)}`);
  return parts.join('; ');
}

/** What a grant event says, in one sentence for the account page and the CLI (no secrets are ever in it). */
export function describeGrantEvent(event: GrantEvent): string {
  const d = event.detail;
  switch (event.kind) {
    case 'approved':
    case 'reauthorized': {
      const terms = describeTerms(d);
      const verb = event.kind === 'approved' ? 'Allowed' : 'Allowed again, replacing the earlier terms';
      const now = terms ? `${verb}: ${terms}.` : `${verb}.`;
      if (event.kind === 'approved' || !Array.isArray(d.replaced)) return now;
      const before = d.replaced
        .filter(isObject)
        .map((r) => describeTerms(r))
        .filter(Boolean);
      return before.length > 0 ? `${now} Before: ${before.join('. And: ')}.` : now;
    }
    case 'narrowed':
    case 'raised': {
      const from = isObject(d.from) ? d.from : {};
      const to = isObject(d.to) ? d.to : {};
      const changes = (Object.keys(LIMIT_NAMES) as LimitKey[])
        .filter((k) => k in to)
        .map((k) => `${LIMIT_NAMES[k]} ${limitValue(k, from[k])} → ${limitValue(k, to[k])}`);
      // Each provider's own caps changed (detail.providers.<provider>.from/to).
      const providers = isObject(d.providers) ? d.providers : {};
      for (const [provider, change] of Object.entries(providers)) {
        if (!isObject(change) || !isProvider(provider)) continue;
        const pFrom = isObject(change.from) ? change.from : {};
        const pTo = isObject(change.to) ? change.to : {};
        for (const k of Object.keys(LIMIT_NAMES) as LimitKey[])
          if (k in pTo)
            changes.push(
              `${providerDisplayName(provider)} ${LIMIT_NAMES[k]} ${limitValue(k, pFrom[k])} → ${limitValue(k, pTo[k])}`,
            );
      }
      const by = typeof d.by === 'string' && BY[d.by] ? ` ${BY[d.by]}` : '';
      const verb = event.kind === 'narrowed' ? 'lowered' : 'raised';
      return `Limits ${verb}${by}: ${changes.join(', ') || 'no change'}.`;
    }
    case 'revoked': {
      const reason = typeof d.reason === 'string' ? (REVOKED_BY[d.reason] ?? '') : '';
      return `Access revoked${reason ? ` ${reason}` : ''}.`;
    }
    case 'expired':
      return typeof d.expiresAt === 'number'
        ? `Access ended at its expiry, ${formatUtc(d.expiresAt)}.`
        : 'Access ended at its expiry.';
    case 'cap_reached': {
      const cap = typeof d.limit === 'string' ? (CAP_NAMES[d.limit] ?? d.limit) : 'a cap';
      // A provider's own cap (detail.scope) names the provider and refuses only its requests.
      const provider = typeof d.scope === 'string' && isProvider(d.scope) ? d.scope : undefined;
      const period = typeof d.period === 'string' && d.period !== 'lifetime' ? ` for ${d.period}` : '';
      const refused = provider ? `further ${providerDisplayName(provider)} requests` : 'further requests';
      return `Reached its ${provider ? `${providerDisplayName(provider)} ` : ''}${cap}${period}: ${refused} are refused${period ? ' until it resets' : ''}.`;
    }
    case 'delegated': {
      const actor = describeActor(d.act) || 'unnamed';
      const terms = describeTerms(d);
      const what =
        typeof d.child === 'string'
          ? `Handed part of its access to sub-agent ${actor}`
          : `Carved out for sub-agent ${actor}`;
      return terms ? `${what}: ${terms}.` : `${what}.`;
    }
    default:
      return GRANT_EVENT_TITLES[event.kind as GrantEvent['kind']] ?? String(event.kind);
  }
}
