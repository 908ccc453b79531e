import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MANDATE = fileURLToPath(new URL('../../bin/mandate.ts', import.meta.url));

/** A long-running `mandate …` child process whose output the test reads as it comes. */
export interface CliProcess {
  child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects if the process exits first. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Resolves when the process has exited and its output is read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (unless it already left) and wait for the exit. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface SpawnCliOptions {
  cwd?: string;
  /** Run on a pseudo-terminal (util-linux `script`), as a person's shell would: stdout is a TTY. */
  tty?: boolean;
}

const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/** Spawns `mandate ARGS` with only PATH and `env`, from `cwd` (the repository by default). */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
  options: SpawnCliOptions = {},
): CliProcess {
  const argv = [process.execPath, MANDATE, ...args];
  const [command, ...rest] = options.tty
    ? ['script', '--quiet', '--flush', '--return', '--command', argv.map(quote).join(' '), '/dev/null']
    : argv;
  const child = spawn(command as string, rest, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  live.add(child);
  let out = '';
  let err = '';
  let closed = false;
  const watchers = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of watchers) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      live.delete(child);
      closed = true;
      for (const w of watchers) w();
      resolve({ code, signal });
    }),
  );
  const waitFor = (pattern: RegExp, ms = 20_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no ${pattern} after ${ms} ms:\n${out}\n${err}`)), ms);
      const done = (e: Error | undefined, match?: RegExpExecArray) => {
        clearTimeout(timer);
        watchers.delete(check);
        if (e) reject(e);
        else resolve(match as RegExpExecArray);
      };
      const check = () => {
        const match = pattern.exec(out);
        if (match) done(undefined, match);
        else if (closed)
          done(
            new Error(`exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${out}\n${err}`),
          );
      };
      watchers.add(check);
      check();
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
