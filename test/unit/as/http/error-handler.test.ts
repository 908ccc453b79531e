import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { errors } from 'oidc-provider';
import { AsError } from '../../../../src/as/http/as-error.ts';
import { createErrorHandler } from '../../../../src/as/http/error-handler.ts';
import { createLogger } from '../../../../src/shared/log/index.ts';
import { captureLogs } from '../../../support/log-capture.ts';

const SECRET = 'sk-proj-error-handler-0123456789abcdef';

/*
 * The one error handler of the AS's own routes, on a real Koa server: known refusals keep
 * their code and status, anything else is a generic 500 logged once through the
 * serializer; pages get HTML, /account/api/ gets JSON, other paths are not its business.
 */
describe('AS error handler', () => {
  let server: Server;
  let base: string;
  const logs = captureLogs();

  before(async () => {
    const app = new Koa();
    app.silent = true;
    app.use(createErrorHandler(createLogger({ service: 'test', destination: logs.destination })));
    app.use((ctx) => {
      if (ctx.path.endsWith('/refused')) throw new AsError('not_found', 404, 'no such connected app');
      if (ctx.path.endsWith('/expired'))
        throw new errors.SessionNotFound('interaction session id cookie not found');
      throw Object.assign(new Error(`database said password=hunter2hunter2 and ${SECRET}`), {
        row: { SECRET },
      });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((ok) => server.once('listening', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((ok) => server.close(ok)));
  beforeEach(() => logs.clear());

  it('an unexpected error on a page: 500, a generic page, one error line without the secret', async () => {
    const res = await fetch(`${base}/account/keys/boom`);
    expect(res.status).to.equal(500);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const body = await res.text();
    expect(body).to.include('Something went wrong');
    expect(body).to.not.include('hunter2');
    expect(body).to.not.include(SECRET);
    const [line, ...more] = logs.lines();
    expect(more).to.have.length(0);
    expect(line).to.deep.include({ level: 50, event: 'error', code: 'server_error', status: 500 });
    expect((line as { err: { message: string } }).err.message).to.equal(
      'database said password=[redacted] and [redacted]',
    );
    expect(logs.text()).to.not.include(SECRET);
    expect(logs.text()).to.not.include('hunter2');
  });

  it('under /account/api/: JSON with the stable code', async () => {
    const refused = await fetch(`${base}/account/api/grants/x/refused`);
    expect(refused.status).to.equal(404);
    expect(await refused.json()).to.deep.equal({
      error: 'not_found',
      error_description: 'no such connected app',
    });
    const failed = await fetch(`${base}/account/api/grants/x/boom`);
    expect(failed.status).to.equal(500);
    const body = (await failed.json()) as { error: string; error_description: string };
    expect(body.error).to.equal('server_error');
    expect(body.error_description).to.not.include('hunter2');
    expect(logs.lines().map((l) => l.level)).to.deep.equal([30, 50]);
  });

  it("oidc-provider's expired interaction is a 400 page with its code", async () => {
    const res = await fetch(`${base}/interaction/abc/expired`);
    expect(res.status).to.equal(400);
    expect(await res.text()).to.include('This sign-in link has expired');
    expect(logs.lines()[0]).to.deep.include({ event: 'refused', code: 'interaction_expired', status: 400 });
  });

  it("leaves other paths' errors to whoever is outside (oidc-provider answers its own)", async () => {
    const res = await fetch(`${base}/token/boom`);
    expect(res.status).to.equal(500);
    expect(await res.text()).to.equal('Internal Server Error');
    expect(logs.lines()).to.have.length(0);
  });
});
