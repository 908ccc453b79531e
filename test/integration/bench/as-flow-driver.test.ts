/**
 * The AS bench's flow driver (bench/as-flow-driver.ts) completes a flow and a refresh on
 * SQLite, and the bench-only adapter override keeps oidc-provider's models out of the
 * database while apps, accounts and Mandate's grants stay in it. Only the driver and the
 * construction path are checked here; the bench itself is not part of the suite.
 */
import { expect } from 'chai';
import MemoryAdapter, { setStorage } from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { discoverTarget, FLOW_SCOPE, refreshOnce, runFlow } from '../../../bench/as-flow-driver.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent } from '../../support/user-agent.ts';

async function flowAndRefresh(as: RunningAs) {
  await as.addUser('bench', 'correct horse battery staple');
  const app = await as.addClient({ allowedScopes: [FLOW_SCOPE] });
  const target = await discoverTarget(as.issuer, as.proxyUrl);
  const party = { ...app, username: 'bench', password: 'correct horse battery staple' };
  const tokens = await runFlow(target, party, createUserAgent());
  const rotated = await refreshOnce(target, app.clientId, tokens.refresh_token as string);
  expect(rotated).to.be.a('string').and.not.equal(tokens.refresh_token);
  // Rotation: the old refresh token is spent.
  let reused: unknown;
  await refreshOnce(target, app.clientId, tokens.refresh_token as string).catch((err) => {
    reused = err;
  });
  expect((reused as { error?: string } | undefined)?.error).to.equal('invalid_grant');
  const grants = await as.database.db('grants').where({ client_id: app.clientId });
  return { grants, payloads: await as.database.db('oidc_payloads').count({ n: '*' }) };
}

describe('AS bench flow driver (sqlite)', () => {
  let as: RunningAs | undefined;
  afterEach(async () => {
    await as?.close();
    as = undefined;
  });

  it('completes authorize → sign-in → consent → token and a refresh, stored in the database', async () => {
    as = await startAuthorizationServer('sqlite');
    const { grants, payloads } = await flowAndRefresh(as);
    expect(grants).to.have.length(1);
    expect(Number(payloads[0]?.n)).to.be.greaterThan(0);
  });

  it("with the bench's adapter override, oidc-provider's models stay out of the database", async () => {
    setStorage(new LRU({ maxSize: 10_000 }));
    as = await startAuthorizationServer('sqlite', {}, undefined, {
      adapter: (model) => new MemoryAdapter(model),
    });
    const { grants, payloads } = await flowAndRefresh(as);
    // The app came from the clients table and Mandate's grant was recorded there too.
    expect(grants).to.have.length(1);
    expect(Number(payloads[0]?.n)).to.equal(0);
  });
});
