import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../support/free-port.ts';

/** Starts `mandate start` in `cwd`; resolves once both servers said they listen. */
async function start(cwd: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(process.cwd(), 'bin/mandate.ts'), 'start'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk;
      if (out.includes('Mandate authorization server on') && out.includes('Mandate proxy on')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.once('exit', (code) => reject(new Error(`mandate start exited (${code}): ${out}`)));
  });
  return child;
}

/*
 * The embedded install (`mandate start` on SQLite) opens the door by default: a newcomer's
 * MCP client finds dynamic registration and metadata-document support, and registers.
 * The environment can close it again.
 */
describe('mandate start: the embedded install lets a newcomer connect', function () {
  this.timeout(30_000);
  let dir: string;
  let child: ChildProcess | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mandate-start-'));
  });
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function env(extra: Record<string, string> = {}) {
    const asPort = await freePort();
    const proxyPort = await freePort();
    return {
      issuer: `http://127.0.0.1:${asPort}`,
      proxyUrl: `http://127.0.0.1:${proxyPort}`,
      vars: {
        MANDATE_DATA_DIR: join(dir, 'data'),
        MANDATE_ISSUER: `http://127.0.0.1:${asPort}`,
        MANDATE_AS_HOST: '127.0.0.1',
        MANDATE_AS_PORT: String(asPort),
        MANDATE_PROXY_URL: `http://127.0.0.1:${proxyPort}`,
        MANDATE_PROXY_HOST: '127.0.0.1',
        MANDATE_PROXY_PORT: String(proxyPort),
        ...extra,
      },
    };
  }

  it('advertises registration and metadata documents, and a registration succeeds', async () => {
    const e = await env();
    child = await start(dir, e.vars);
    const metadata = (await (
      await fetch(`${e.issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(metadata.registration_endpoint).to.equal(`${e.issuer}/reg`);
    expect(metadata.client_id_metadata_document_supported).to.equal(true);
    const prm = (await (await fetch(`${e.proxyUrl}/.well-known/oauth-protected-resource`)).json()) as {
      scopes_supported: string[];
    };
    expect(prm.scopes_supported).to.include('openai:*:chat');
    const registered = await fetch(`${e.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' }),
    });
    expect(registered.status).to.equal(201);
  });

  it('the environment closes it: MANDATE_REGISTRATION=off, MANDATE_CIMD_ALLOWED_HOSTS empty', async () => {
    const e = await env({ MANDATE_REGISTRATION: 'off', MANDATE_CIMD_ALLOWED_HOSTS: ',' });
    child = await start(dir, e.vars);
    const metadata = (await (
      await fetch(`${e.issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(metadata).not.to.have.property('registration_endpoint');
    expect(metadata).not.to.have.property('client_id_metadata_document_supported');
  });
});
