import type { default as Provider } from 'oidc-provider';
import { describeScope, parseScope } from '../../scopes/index.ts';

/** A grant's scopes for the pages: each in plain words, and as the token the app asked for. */
export function scopeViews(scopes: readonly string[]): Array<{ value: string; text: string }> {
  return scopes.map((value) => {
    const parsed = parseScope(value);
    return { value, text: parsed.ok ? describeScope(parsed.scope) : value };
  });
}

/** Looks up apps' display names (the registered client name, else the client id), each once per request. */
export function createClientNames(provider: Provider) {
  const names = new Map<string, string>();
  return async function clientName(clientId: string): Promise<string> {
    let name = names.get(clientId);
    if (name === undefined) {
      const client = await provider.Client.find(clientId);
      name = (client?.clientName as string | undefined) ?? clientId;
      names.set(clientId, name);
    }
    return name;
  };
}
