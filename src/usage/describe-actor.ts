const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * An RFC 8693 `act` claim in words, the acting sub-agent first and then whom it acts
 * for: "coder, for planner". Empty for none.
 */
export function describeActor(act: unknown): string {
  const names: string[] = [];
  for (let a = act; isObject(a) && names.length < 16; a = a.act)
    names.push(String(a.sub ?? a.client_id ?? 'unnamed'));
  return names.length > 1 ? `${names[0]}, for ${names.slice(1).join(', for ')}` : (names[0] ?? '');
}
