import { existsSync, readFileSync } from 'node:fs';
import { type ProviderKeyJwks, parseProviderKeyJwks } from '../shared/provider-key-crypto.ts';
import { UsageError } from './output.ts';
import { writeFileAtomic } from './write-file-atomic.ts';

/** Where the proxy's key-encryption keys live: the private set (proxies) and its public half (AS). */
export interface ProxyKeyFiles {
  /** `proxy.keysFile` (MANDATE_PROXY_KEYS_FILE). */
  privateFile: string;
  /** `as.providerKeyPublicKeysFile` (MANDATE_PROVIDER_KEY_PUBLIC_KEYS_FILE). */
  publicFile: string;
}

const json = (jwks: ProviderKeyJwks) => `${JSON.stringify(jwks, null, 2)}\n`;

/** Reads and checks one of the two files; a missing or bad file is a usage error naming it. */
export function readProxyKeyFile(path: string, half: 'private' | 'public'): ProviderKeyJwks {
  if (!existsSync(path)) {
    throw new UsageError(
      `${path} does not exist; create the proxy's key pair with mandate proxy-keys generate --out PRIVATE --public-out PUBLIC`,
    );
  }
  try {
    return parseProviderKeyJwks(readFileSync(path, 'utf8'), half, path);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The private set is a secret (0600); the public set is not (0644). Both written atomically. */
export function writeProxyKeyFile(path: string, jwks: ProviderKeyJwks, half: 'private' | 'public'): void {
  writeFileAtomic(path, json(jwks), half === 'private' ? 0o600 : 0o644);
}
