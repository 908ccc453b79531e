/**
 * Records every `oidc-provider WARNING` / `NOTICE` line printed while a suite runs: a
 * correctly configured provider prints none, also at run time (a default it wants
 * changed prints one the first time it is used).
 */
export function captureProviderNotices() {
  const seen: string[] = [];
  const original = { info: console.info, warn: console.warn };
  const wrap =
    (fn: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      if (text.includes('oidc-provider WARNING') || text.includes('oidc-provider NOTICE')) seen.push(text);
      fn(...args);
    };
  console.info = wrap(original.info);
  console.warn = wrap(original.warn);
  return {
    seen,
    restore() {
      console.info = original.info;
      console.warn = original.warn;
    },
  };
}
