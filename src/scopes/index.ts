export type {
  AiAccessDetail,
  AiAccessLimits,
  LimitKey,
  LimitPeriod,
  ParseDetailResult,
} from './ai-access-details.ts';
export {
  AI_ACCESS_TYPE,
  checkLimitValue,
  LIMIT_KEYS,
  LIMIT_PERIODS,
  MAX_SPEND_USD,
  parseAiAccessDetail,
  parseAiAccessDetails,
  usdToMicro,
} from './ai-access-details.ts';
export type { Capability } from './capability-table.ts';
export {
  CAPABILITIES,
  capabilitiesFor,
  isCapability,
  isCapabilityOffered,
} from './capability-table.ts';
export { describeCapability } from './describe-capability.ts';
export { describeScope } from './describe-scope.ts';
export { findMissingScope } from './find-missing-scope.ts';
export { formatScope } from './format-scope.ts';
export { isAiScope, isOidcScope, OIDC_SCOPES } from './oidc-scopes.ts';
export { MAX_SCOPE_LENGTH, parseScope } from './parse-scope.ts';
export type { Provider, ProviderInfo, ProviderRegistry } from './providers.ts';
export {
  BUILTIN_PROVIDERS,
  createProviderRegistry,
  isProvider,
  providerDisplayName,
  providerIds,
  providerRegistry,
  useProviderRegistry,
} from './providers.ts';
export type { ParseScopeResult, Scope } from './scope.ts';
export { ANY_MODEL } from './scope.ts';
export { modelCovers, scopeCovers } from './scope-covers.ts';
export { isScopeToken } from './scope-token.ts';
export { scopesAllow } from './scopes-allow.ts';
export { splitScopeParam } from './split-scope-param.ts';
