import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import {
  createProviderKeyDecrypter,
  encryptProviderKey,
  generateProviderKeyPair,
  ProviderKeyError,
  type ProviderKeyJwks,
  publicJwksOf,
} from '../shared/provider-key-crypto.ts';
import type { ProviderKeyStore } from '../storage/index.ts';
import { UsageError } from './output.ts';
import { type ProxyKeyFiles, readProxyKeyFile, writeProxyKeyFile } from './proxy-key-files.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * `mandate proxy-keys generate --out PRIVATE --public-out PUBLIC`: the proxy's first
 * key-encryption key pair, for production (the embedded install makes its own).
 */
export async function generateProxyKeys(
  out: Writable,
  { privateFile, publicFile }: Partial<ProxyKeyFiles>,
): Promise<void> {
  if (!privateFile || !publicFile)
    throw new UsageError('usage: mandate proxy-keys generate --out PRIVATE_FILE --public-out PUBLIC_FILE');
  for (const file of [privateFile, publicFile])
    if (existsSync(file)) throw new UsageError(`${file} exists; use mandate key rotate to add a key`);
  const jwks = { keys: [await generateProviderKeyPair()] };
  writeProxyKeyFile(privateFile, jwks, 'private');
  writeProxyKeyFile(publicFile, publicJwksOf(jwks), 'public');
  out.write(
    `wrote proxy key ${jwks.keys[0]?.kid}: private key set ${privateFile} (proxies only), public key set ${publicFile} (authorization servers)\n`,
  );
}

/**
 * Re-encrypts every stored key that is not under the public set's first key: decrypt
 * with the private set (by kid, checking it belongs to its row), encrypt to the current
 * public key, and swap it in only if the row still holds what was read. Plaintexts
 * stay in memory; nothing about them is printed.
 */
export async function rewrapStoredKeys(
  store: ProviderKeyStore,
  out: Writable,
  privateJwks: ProviderKeyJwks,
  publicJwks: ProviderKeyJwks,
): Promise<{ rewrapped: number; changed: number; failed: number }> {
  const kid = publicJwks.keys[0]?.kid as string;
  const decrypter = await createProviderKeyDecrypter(privateJwks);
  if (!decrypter.kids.includes(kid))
    throw new UsageError(
      `the private key set does not hold the current public key ${kid}; the proxies could not read keys encrypted to it`,
    );
  const counts = { rewrapped: 0, changed: 0, failed: 0 };
  let after: { accountId: string; provider: string } | undefined;
  for (;;) {
    const page = await store.listByKidNot(kid, { ...(after ? { after } : {}), limit: 100 });
    for (const row of page) {
      const binding = { accountId: row.accountId, provider: row.provider };
      try {
        const plaintext = await decrypter.decrypt(row.ciphertext, binding);
        const next = await encryptProviderKey(plaintext, publicJwks, binding);
        if (await store.rewrap(row.accountId, row.provider, row, next)) counts.rewrapped++;
        else counts.changed++;
      } catch (err) {
        if (!(err instanceof ProviderKeyError)) throw err;
        counts.failed++;
        out.write(`cannot re-wrap the ${row.provider} key of account ${row.accountId}: ${err.code}\n`);
      }
    }
    const last = page.at(-1);
    if (!last || page.length < 100) break;
    after = { accountId: last.accountId, provider: last.provider };
  }
  out.write(
    `re-wrapped ${plural(counts.rewrapped, 'stored key')} to proxy key ${kid}; ${counts.changed} changed meanwhile, ${counts.failed} failed\n`,
  );
  const byKid = await store.countByKid();
  const left = Object.entries(byKid).filter(([k]) => k !== kid);
  if (left.length === 0) {
    out.write(
      `every stored key is encrypted to ${kid}; older proxy keys can be removed from the private key set\n`,
    );
  } else {
    out.write(
      `still under older proxy keys: ${left.map(([k, n]) => `${k} (${n})`).join(', ')}; run mandate key rewrap again once every authorization server has the new public key\n`,
    );
  }
  if (counts.failed > 0)
    throw new UsageError(
      `${plural(counts.failed, 'stored key')} could not be re-wrapped and stay as they were`,
    );
  return counts;
}

/**
 * `mandate key rotate [--stage]`.
 * - `--stage`: puts a new key pair first in the private set only. Load that file in every
 *   proxy process before going on: they then decrypt keys under the old and the new kid.
 * - without: publishes the private set's first key (the staged one, or a new one made now
 *   and put first) as the first key of the public set, then re-wraps every stored key to it.
 */
export async function rotateProxyKeys(
  store: ProviderKeyStore,
  out: Writable,
  { privateFile, publicFile, stage }: ProxyKeyFiles & { stage: boolean },
): Promise<void> {
  let privateJwks = readProxyKeyFile(privateFile, 'private');
  const publicJwks = existsSync(publicFile) ? readProxyKeyFile(publicFile, 'public') : undefined;
  const first = privateJwks.keys[0]?.kid;
  const staged = publicJwks !== undefined && publicJwks.keys[0]?.kid !== first;
  if (stage || !staged) {
    if (stage && staged)
      throw new UsageError(`proxy key ${first} is already staged; run mandate key rotate to publish it`);
    const key = await generateProviderKeyPair();
    privateJwks = { keys: [key, ...privateJwks.keys] };
    writeProxyKeyFile(privateFile, privateJwks, 'private');
    out.write(
      `added proxy key ${key.kid} first in ${privateFile} (${plural(privateJwks.keys.length, 'key')})\n`,
    );
    if (stage) {
      out.write(
        `staged: load ${privateFile} in every proxy process, then run mandate key rotate to publish the key and re-wrap\n`,
      );
      return;
    }
  } else {
    out.write(`publishing staged proxy key ${first}\n`);
  }
  const nextPublic = publicJwksOf(privateJwks);
  writeProxyKeyFile(publicFile, nextPublic, 'public');
  out.write(
    `wrote ${publicFile}: authorization servers encrypt to ${nextPublic.keys[0]?.kid} once restarted\n`,
  );
  await rewrapStoredKeys(store, out, privateJwks, nextPublic);
}

/** `mandate key rewrap`: re-wraps whatever is not yet under the public set's first key. */
export async function rewrapProxyKeys(
  store: ProviderKeyStore,
  out: Writable,
  files: ProxyKeyFiles,
): Promise<void> {
  await rewrapStoredKeys(
    store,
    out,
    readProxyKeyFile(files.privateFile, 'private'),
    readProxyKeyFile(files.publicFile, 'public'),
  );
}
