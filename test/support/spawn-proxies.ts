import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { generateProviderKeyPair } from '../../src/shared/provider-key-crypto.ts';
import type { FakeUpstream } from './fake-upstream/index.ts';
import { freePort } from './free-port.ts';
import type { RunningAs } from './start-authorization-server.ts';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `mandate serve proxy` child process. */
export interface ProxyProcess {
  /** Where this process listens (its own port on 127.0.0.1). */
  url: string;
  /** The public proxy URL every process is configured with (the tokens' audience). */
  publicUrl: string;
  openaiBaseURL: string;
  anthropicBaseURL: string;
  pid: number;
  /** Every line the process wrote to stdout or stderr, in arrival order. */
  logs: string[];
  /** The lines it wrote to stderr only. */
  stderr: string[];
  /** Resolves when the process has exited, however that happened. */
  exited: Promise<ProcessExit>;
  /** Sends `signal` (default SIGTERM: a graceful stop) and resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<ProcessExit>;
}

export interface SpawnProxiesOptions {
  count: number;
  /** Extra MANDATE_* variables for every process (win over the harness's). */
  env?: Record<string, string>;
  /** How long each process may take to answer 200 on /readyz. Default 20 s. */
  readyTimeoutMs?: number;
  /**
   * `discard`: stdout (the request log) goes to /dev/null, as a file would take it, and
   * only stderr is kept in `logs`: the bench's processes log a line per request for as
   * long as it runs. Default `collect`.
   */
  stdout?: 'collect' | 'discard';
}

export interface SpawnedProxies {
  proxies: ProxyProcess[];
  /** One more process with the same settings (e.g. to replace a killed one). */
  spawn(env?: Record<string, string>): Promise<ProxyProcess>;
  /** SIGTERMs every live process, waits for them to exit, removes the temp files. */
  close(): Promise<void>;
}

const MANDATE = fileURLToPath(new URL('../../bin/mandate.ts', import.meta.url));

/*
 * Processes never outlive the test run: killed when the run exits (a failed test
 * that skipped `close()`), and, should the runner itself be killed, each child
 * stops gracefully when its stdin (a pipe from this process) reaches end of file.
 */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}
const WATCHDOG = `data:text/javascript,${encodeURIComponent(
  "process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM')); process.stdin.on('error', () => {}); process.stdin.resume();",
)}`;

function collectLines(stream: Readable, ...sinks: string[][]): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const sink of sinks) sink.push(line);
  });
  stream.on('end', () => {
    if (partial) for (const sink of sinks) sink.push(partial);
    partial = '';
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class EarlyExit extends Error {
  readonly addressInUse: boolean;
  constructor(message: string, addressInUse: boolean) {
    super(message);
    this.addressInUse = addressInUse;
  }
}

async function startOne(
  env: Record<string, string>,
  cwd: string,
  readyTimeoutMs: number,
  publicUrl: string,
  stdout: 'collect' | 'discard',
): Promise<ProxyProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', WATCHDOG, MANDATE, 'serve', 'proxy'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env, MANDATE_PROXY_PORT: String(port) },
    stdio: ['pipe', stdout === 'collect' ? 'pipe' : 'ignore', 'pipe'],
  });
  track(child);
  const logs: string[] = [];
  const stderr: string[] = [];
  if (child.stdout) collectLines(child.stdout, logs);
  collectLines(child.stderr as Readable, logs, stderr);
  const exited = new Promise<ProcessExit>((resolve) => {
    // 'close': the output streams are drained too, so `logs` is complete.
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
  spawnFailed.catch(() => undefined);
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };

  const deadline = Date.now() + readyTimeoutMs;
  let lastStatus = 'no answer';
  try {
    for (;;) {
      const early = await Promise.race([exited, spawnFailed, sleep(0).then(() => undefined)]);
      if (early) {
        throw new EarlyExit(
          `proxy process on port ${port} exited before it was ready (code ${early.code}, signal ${early.signal}); stderr:\n${stderr.join('\n')}`,
          stderr.some((line) => line.includes('EADDRINUSE')),
        );
      }
      try {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
        lastStatus = `status ${res.status}`;
      } catch (err) {
        lastStatus = (err as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `proxy process on port ${port} (pid ${child.pid}) not ready after ${readyTimeoutMs} ms (/readyz: ${lastStatus}); output:\n${logs.join('\n')}`,
        );
      }
      await sleep(25);
    }
  } catch (err) {
    await kill('SIGKILL');
    throw err;
  }
  return {
    url,
    publicUrl,
    openaiBaseURL: `${url}/openai/v1`,
    anthropicBaseURL: `${url}/anthropic`,
    pid: child.pid as number,
    logs,
    stderr,
    exited,
    kill,
  };
}

/**
 * Starts `count` real proxy processes with the product's CLI (`mandate serve proxy`),
 * as behind one load balancer: all over the authorization server's database, with its
 * issuer and its public proxy URL (the tokens' audience), each listening on its own
 * port on 127.0.0.1, holding the private key-encryption keys whose public half the
 * AS encrypts stored provider keys to, forwarding to the fake upstream, without
 * operator keys. Resolves once every process answers 200 on /readyz.
 */
export async function spawnProxies(
  as: RunningAs,
  upstream: Pick<FakeUpstream, 'url'>,
  options: SpawnProxiesOptions,
): Promise<SpawnedProxies> {
  const dir = mkdtempSync(join(tmpdir(), 'mandate-proxies-'));
  const keysFile = join(dir, 'proxy-keys.json');
  const privateJwks = as.providerKeyPrivateJwks ?? { keys: [await generateProviderKeyPair()] };
  writeFileSync(keysFile, JSON.stringify(privateJwks), { mode: 0o600 });
  chmodSync(keysFile, 0o600);
  const baseEnv: Record<string, string> = {
    MANDATE_DATABASE_URL: as.database.url,
    MANDATE_ISSUER: as.issuer,
    MANDATE_PROXY_URL: as.proxyUrl,
    MANDATE_PROXY_HOST: '127.0.0.1',
    MANDATE_OPENAI_BASE_URL: `${upstream.url}/openai`,
    MANDATE_ANTHROPIC_BASE_URL: `${upstream.url}/anthropic`,
    MANDATE_GOOGLE_BASE_URL: `${upstream.url}/google`,
    MANDATE_PROXY_KEYS_FILE: keysFile,
    // Required by the one configuration schema, unused by a proxy-only process.
    MANDATE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
    MANDATE_PROXY_CLIENT_ID: as.proxyClient.id,
    MANDATE_PROXY_CLIENT_SECRET: as.proxyClient.secret,
  };
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const started = new Set<ProxyProcess>();
  let n = 0;

  const spawnProxy = async (extra: Record<string, string> = {}): Promise<ProxyProcess> => {
    // Each process its own data folder: with SQLite the CLI writes generated local
    // secrets there, and none may race another process or land in the repository.
    const dataDir = join(dir, `proxy-${n++}`);
    mkdirSync(dataDir, { mode: 0o700 });
    const env = { ...baseEnv, MANDATE_DATA_DIR: dataDir, ...options.env, ...extra };
    for (let attempt = 1; ; attempt++) {
      try {
        const proxy = await startOne(env, dataDir, readyTimeoutMs, as.proxyUrl, options.stdout ?? 'collect');
        started.add(proxy);
        return proxy;
      } catch (err) {
        // The free port was taken between the probe and the listen: try another.
        if (!(err instanceof EarlyExit && err.addressInUse && attempt < 3)) throw err;
      }
    }
  };

  const close = async () => {
    await Promise.all([...started].map((p) => p.kill('SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  };

  const results = await Promise.allSettled(Array.from({ length: options.count }, () => spawnProxy()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  return {
    proxies: results.map((r) => (r as PromiseFulfilledResult<ProxyProcess>).value),
    spawn: spawnProxy,
    close,
  };
}
