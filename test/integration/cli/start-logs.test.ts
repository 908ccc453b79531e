import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { expect } from 'chai';
import { freePort } from '../../support/free-port.ts';
import { type CliProcess, spawnCli } from '../../support/spawn-cli.ts';

const TOKEN = 'sk-proj-not-a-real-key-but-shaped-like-one-1234567890';
// The banner's last line: the whole banner has arrived.
const READY = /Anthropic SDK: +baseURL \S+\r?\n/;

/*
 * The log format is the process's, not the database's: these run on the embedded
 * SQLite default only, as a newcomer's `mandate start` does.
 */
describe('mandate start: logs a person can read on a terminal, JSON elsewhere', function () {
  this.timeout(30_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mandate-logs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts `mandate start` on fresh ports, makes one refused proxy request carrying a key-shaped token. */
  async function startAndRefuse(tty: boolean, extra: Record<string, string> = {}): Promise<CliProcess> {
    const proxyPort = await freePort();
    const cli = spawnCli(
      ['start'],
      {
        MANDATE_DATA_DIR: join(dir, randomBytes(4).toString('hex')),
        MANDATE_AS_PORT: String(await freePort()),
        MANDATE_PROXY_PORT: String(proxyPort),
        ...extra,
      },
      { tty },
    );
    await cli.waitFor(READY);
    const res = await fetch(`http://localhost:${proxyPort}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).to.equal(401);
    await res.arrayBuffer();
    return cli;
  }

  it('on a terminal: one readable line per event (time, level, service, fields), no JSON, no secret', async () => {
    const cli = await startAndRefuse(true);
    try {
      const line = (await cli.waitFor(/^.*granted=\S*false.*$/m))[0];
      // Plain text with colour codes around the parts; without them it reads as below.
      const plain = stripVTControlCharacters(line);
      expect(plain).to.match(
        /^\d\d:\d\d:\d\d\.\d{3} (INFO|WARN) +proxy +\S.*path=\/openai\/v1\/chat\/completions/,
      );
      expect(plain).to.include('status=401');
      expect(cli.stdout()).to.not.include('{"level"');
      expect(cli.stdout()).to.not.include(TOKEN);
    } finally {
      await cli.stop();
    }
  });

  it('piped (or MANDATE_LOG_FORMAT=json on a terminal): JSON lines, no secret', async () => {
    for (const [tty, env] of [
      [false, {}],
      [true, { MANDATE_LOG_FORMAT: 'json' }],
    ] as const) {
      const cli = await startAndRefuse(tty, env);
      try {
        const line = (await cli.waitFor(/^\{.*"granted":false.*\}\r?$/m))[0];
        const entry = JSON.parse(line) as Record<string, unknown>;
        expect(entry).to.include({
          service: 'mandate-proxy',
          status: 401,
          path: '/openai/v1/chat/completions',
        });
        expect(cli.stdout()).to.not.include(TOKEN);
      } finally {
        await cli.stop();
      }
    }
  });

  it('refuses an unknown MANDATE_LOG_FORMAT, naming it', async () => {
    const cli = spawnCli(['start'], {
      MANDATE_DATA_DIR: join(dir, 'bad'),
      MANDATE_AS_PORT: String(await freePort()),
      MANDATE_PROXY_PORT: String(await freePort()),
      MANDATE_LOG_FORMAT: 'fancy',
    });
    const { code } = await cli.exited;
    expect(code).to.equal(2);
    expect(cli.stderr()).to.include('MANDATE_LOG_FORMAT must be json or pretty');
  });
});
