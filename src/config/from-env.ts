import { ConfigError } from './config-error.ts';
import { setPath } from './deep-merge.ts';
import { envMap } from './env-map.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Turns environment variables into a partial configuration. A secret may instead be
 * read from the file named by `<NAME>_FILE`.
 */
export function configFromEnv(env: Env, readFile: (path: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const { env: name, path, kind, secret } of envMap) {
    let raw = env[name];
    const fileVar = `${name}_FILE`;
    if (secret && env[fileVar]) {
      if (raw !== undefined) problems.push(`${name} and ${fileVar} are both set; use one`);
      try {
        raw = readFile(env[fileVar] as string).trim();
      } catch (err) {
        problems.push(
          `${fileVar}: cannot read ${env[fileVar]} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
        continue;
      }
    }
    if (raw === undefined || raw === '') continue;
    switch (kind) {
      case 'string':
        setPath(out, path, raw);
        break;
      case 'int': {
        const n = Number(raw);
        if (!Number.isInteger(n)) problems.push(`${name} must be a whole number`);
        else setPath(out, path, n);
        break;
      }
      case 'number': {
        const n = Number(raw);
        if (!/^-?\d+(\.\d+)?$/.test(raw)) problems.push(`${name} must be a number`);
        else setPath(out, path, n);
        break;
      }
      case 'bool':
        if (raw !== 'true' && raw !== 'false') problems.push(`${name} must be true or false`);
        else setPath(out, path, raw === 'true');
        break;
      case 'list':
        setPath(
          out,
          path,
          raw
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        );
        break;
    }
  }
  if (problems.length > 0) throw new ConfigError(`Invalid environment:\n  ${problems.join('\n  ')}`);
  return out;
}
