import type { default as Provider } from 'oidc-provider';
import { describeScope, parseScope } from '../../scopes/index.ts';
import { clientDomain } from '../open-door/client-kind.ts';

/** A grant's scopes for the pages: each in plain words, and as the token the app asked for. */
export function scopeViews(scopes: readonly string[]): Array<{ value: string; text: string }> {
  return scopes.map((value) => {
    const parsed = parseScope(value);
    return { value, text: parsed.ok ? describeScope(parsed.scope) : value };
  });
}

/**
 * Looks up apps' display names (the registered client name, else the client id), each
 * once per request. An app known by its metadata document is named by its domain: the
 * account pages never make the AS fetch anything, and the name an unreviewed document
 * claims is not shown where the person manages access.
 */
export function createClientNames(provider: Provider) {
  const names = new Map<string, string>();
  return async function clientName(clientId: string): Promise<string> {
    let name = names.get(clientId);
    if (name === undefined) {
      const domain = clientDomain(clientId);
      const client = domain === undefined ? await provider.Client.find(clientId) : undefined;
      name = domain ?? (client?.clientName as string | undefined) ?? clientId;
      names.set(clientId, name);
    }
    return name;
  };
}
