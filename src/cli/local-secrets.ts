import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateSigningKey } from '../as/keys/signing-keys.ts';
import { ConfigError } from '../config/index.ts';
import {
  generateProviderKeyPair,
  parseProviderKeyJwks,
  publicJwksOf,
} from '../shared/provider-key-crypto.ts';
import type { ProxyKeyFiles } from './proxy-key-files.ts';

export interface LocalSecrets {
  cookieKeys: string[];
  proxyClientSecret: string;
}

function writeFile(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
}

const writePrivate = (path: string, text: string) => writeFile(path, text, 0o600);
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * The proxy's key-encryption key pair: the private set (proxies only) and its public
 * half (what the authorization server encrypts people's provider keys to). A public
 * file without its private one is not replaced: keys stored under it would be lost.
 */
async function ensureProxyKeyPair({ privateFile, publicFile }: ProxyKeyFiles): Promise<void> {
  if (!existsSync(privateFile)) {
    if (existsSync(publicFile)) {
      throw new ConfigError(
        `proxy.keysFile (MANDATE_PROXY_KEYS_FILE): ${privateFile} is missing but its public half ${publicFile} exists; restore ${privateFile}, or delete ${publicFile} to start over (stored provider keys must then be entered again)`,
      );
    }
    const jwks = { keys: [await generateProviderKeyPair()] };
    writePrivate(privateFile, json(jwks));
    writeFile(publicFile, json(publicJwksOf(jwks)), 0o644);
  } else if (!existsSync(publicFile)) {
    let jwks: ReturnType<typeof parseProviderKeyJwks>;
    try {
      jwks = parseProviderKeyJwks(readFileSync(privateFile, 'utf8'), 'private', privateFile);
    } catch (err) {
      throw new ConfigError(`proxy.keysFile (MANDATE_PROXY_KEYS_FILE): ${(err as Error).message}`);
    }
    writeFile(publicFile, json(publicJwksOf(jwks)), 0o644);
  }
}

/**
 * The embedded single-machine install keeps its generated secrets in the data folder,
 * made once and reused on every start, so sessions and tokens survive restarts: the
 * cookie key and proxy client secret, the signing key and, when `proxyKeys` is given,
 * the proxy's key-encryption key pair.
 */
export async function ensureLocalSecrets(
  dataDir: string,
  signingKeysFile: string,
  proxyKeys?: ProxyKeyFiles,
): Promise<LocalSecrets> {
  const path = join(dataDir, 'secrets.json');
  if (!existsSync(path)) {
    const secrets: LocalSecrets = {
      cookieKeys: [randomBytes(32).toString('base64url')],
      proxyClientSecret: randomBytes(32).toString('base64url'),
    };
    writePrivate(path, json(secrets));
  }
  if (!existsSync(signingKeysFile)) {
    writePrivate(signingKeysFile, json({ keys: [await generateSigningKey()] }));
  }
  if (proxyKeys) await ensureProxyKeyPair(proxyKeys);
  return JSON.parse(readFileSync(path, 'utf8')) as LocalSecrets;
}
