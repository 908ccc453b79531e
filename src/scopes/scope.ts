import type { Capability } from './capability-table.ts';
import type { Provider } from './providers.ts';

/** The model value that stands for every model of a provider. */
export const ANY_MODEL = '*';

/** A parsed AI scope `provider:model:capability`; `model` may be `*` (any model). */
export type Scope = {
  readonly provider: Provider;
  readonly model: string;
  readonly capability: Capability;
};

export type ParseScopeResult =
  | { readonly ok: true; readonly scope: Scope }
  | { readonly ok: false; readonly reason: string };
