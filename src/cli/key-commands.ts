import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { generateSigningKey, parseSigningJwks } from '../as/keys/signing-keys.ts';
import { UsageError } from './output.ts';

/**
 * `mandate keys generate --out FILE`: a new private signing JWKS for production.
 * `mandate keys rotate --out FILE`: puts a new key first (it signs from the next start)
 * and keeps the others so tokens they signed still verify until they expire.
 */
export async function generateKeys(
  out: Writable,
  file: string | undefined,
  { rotate }: { rotate: boolean },
): Promise<void> {
  if (!file) throw new UsageError(`usage: mandate keys ${rotate ? 'rotate' : 'generate'} --out FILE`);
  const key = await generateSigningKey();
  let keys = [key];
  if (rotate) {
    if (!existsSync(file)) throw new UsageError(`${file} does not exist; use mandate keys generate`);
    keys = [key, ...parseSigningJwks(readFileSync(file, 'utf8'), file).keys];
  } else if (existsSync(file)) {
    throw new UsageError(`${file} exists; use mandate keys rotate to add a key`);
  }
  writeFileSync(file, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  out.write(
    `${rotate ? 'added' : 'wrote'} signing key ${key.kid} to ${file} (${keys.length} key${keys.length > 1 ? 's' : ''})\n`,
  );
}
