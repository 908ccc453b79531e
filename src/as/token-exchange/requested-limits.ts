import { errors } from 'oidc-provider';
import { type AiAccessLimits, type Provider, parseAiAccessDetails } from '../../scopes/index.ts';

/**
 * The caps a child asks for, per provider: RFC 9396 `ai_access` details, strictly
 * checked, each for a provider the child has a scope for; only `limits` count, and a
 * child's count over its whole life (no `period: month`).
 */
export function requestedLimits(raw: unknown, providers: ReadonlySet<string>) {
  const out: Partial<Record<Provider, AiAccessLimits>> = {};
  if (raw === undefined) return out;
  let input: unknown;
  try {
    input = JSON.parse(String(raw));
  } catch {
    throw new errors.InvalidAuthorizationDetails('authorization_details must be JSON');
  }
  const parsed = parseAiAccessDetails(input);
  if (!parsed.ok) throw new errors.InvalidAuthorizationDetails(parsed.reason);
  for (const detail of parsed.details) {
    if (!providers.has(detail.provider))
      throw new errors.InvalidAuthorizationDetails(
        `authorization details for ${detail.provider} need at least one ${detail.provider} scope`,
      );
    if (detail.limits?.period === 'month')
      throw new errors.InvalidAuthorizationDetails("a child's limits count over its whole life: omit period");
    out[detail.provider] = detail.limits ?? {};
  }
  return out;
}
