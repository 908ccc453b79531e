import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateSigningKey } from '../as/keys/signing-keys.ts';

export interface LocalSecrets {
  cookieKeys: string[];
  proxyClientSecret: string;
}

function writePrivate(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * The embedded single-machine install keeps its generated secrets in the data folder,
 * made once and reused on every start, so sessions and tokens survive restarts.
 */
export async function ensureLocalSecrets(dataDir: string, signingKeysFile: string): Promise<LocalSecrets> {
  const path = join(dataDir, 'secrets.json');
  if (!existsSync(path)) {
    const secrets: LocalSecrets = {
      cookieKeys: [randomBytes(32).toString('base64url')],
      proxyClientSecret: randomBytes(32).toString('base64url'),
    };
    writePrivate(path, `${JSON.stringify(secrets, null, 2)}\n`);
  }
  if (!existsSync(signingKeysFile)) {
    writePrivate(signingKeysFile, `${JSON.stringify({ keys: [await generateSigningKey()] }, null, 2)}\n`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as LocalSecrets;
}
