import { spawn } from 'node:child_process';

/** Opens `url` in the person's browser (`mandate demo --open`); says so if it cannot. */
export function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(command, args as string[], { detached: true, stdio: 'ignore' });
  child.on('error', () =>
    console.error(`[demo] could not start ${command}: open the address above yourself`),
  );
  child.unref();
}
