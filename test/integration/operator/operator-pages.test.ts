import { expect } from 'chai';
import OpenAI from 'openai';
import * as oidc from 'openid-client';
import { hashPassword } from '../../../src/shared/password.ts';
import { engines } from '../../support/databases.ts';
import { claimsOf } from '../../support/mint-token.ts';
import { discover, oauthErrorOf, startAuthorization } from '../../support/oauth-flow.ts';
import { openaiClient, rejectionOf } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { signInToAccount } from '../../support/security-checks.ts';
import {
  createUserAgent,
  csrfOf,
  formAction,
  linkTo,
  seeOther,
  type UserAgent,
} from '../../support/user-agent.ts';

const PASSWORD = 'correct horse battery';
const SCOPE = 'openai:gpt-4o-mini:chat';
const messages = [{ role: 'user' as const, content: 'hello' }];

/*
 * The operator's pages over HTTP against a real AS and proxy: only an operator sees
 * them (everyone else gets what an unknown URL gets), Disable needs a confirmation and
 * the CSRF token, and a disabled app can neither authorize nor get tokens, while the
 * tokens it holds stop working at the proxy.
 */
for (const engine of engines) {
  describe(`operator pages (${engine})`, () => {
    let fx: ProxyFixture;
    let olga: UserAgent;
    let bob: UserAgent;

    before(async () => {
      fx = await startProxyFixture(engine, { as: { openDoor: { registration: 'open' } } });
      await fx.as.stores.accounts.create('olga', await hashPassword(PASSWORD), { operator: true });
      await fx.as.addUser('bob', PASSWORD);
      olga = createUserAgent();
      bob = createUserAgent();
      expect((await signInToAccount(olga, fx.as, 'olga', PASSWORD)).status).to.equal(303);
      expect((await signInToAccount(bob, fx.as, 'bob', PASSWORD)).status).to.equal(303);
    });
    after(() => fx?.close());

    const url = (path: string) => `${fx.as.issuer}${path}`;

    it('gives anyone but an operator exactly what an unknown URL gets, for every /operator URL', async () => {
      const clientId = encodeURIComponent(fx.client.clientId);
      const paths = [
        '/operator',
        '/operator/apps',
        '/operator/people',
        '/operator/grants?all=1',
        '/operator/audit',
        `/operator/apps/${clientId}/disable`,
        '/operator/nothing-here',
      ];
      const planted = createUserAgent();
      // A session cookie the server never signed: a made-up id and signature.
      const sessionName = [...olga.jar.keys()].find((k) => k.endsWith('_session'));
      expect(sessionName, 'the session cookie').to.be.a('string');
      planted.jar.set(sessionName as string, 'forged-session-id');
      planted.jar.set(`${sessionName}.sig`, 'forged-signature');
      // Bob's own cookie, signed and valid, names a session of a person without the role.
      for (const [who, ua] of [
        ['signed out', createUserAgent()],
        ['bob', bob],
        ['planted cookie', planted],
      ] as const) {
        const unknown = await ua.request(url('/no-such-page'));
        expect(unknown.status).to.equal(404);
        for (const path of paths) {
          const hop = await ua.request(url(path));
          expect(hop.status, `${who} ${path}`).to.equal(404);
          expect(hop.body, `${who} ${path}`).to.equal(unknown.body);
          expect(hop.body).not.to.match(/Operator|Disable/);
        }
      }
      // Bob's POST with his own valid CSRF token: the same 404, and nothing is disabled.
      const home = await bob.request(url('/account'));
      const posted = await bob.request(url(`/operator/apps/${clientId}/disable`), {
        form: { csrf: csrfOf(home.body) },
      });
      expect(posted.status).to.equal(404);
      expect(await fx.as.stores.disabledClients.isDisabled(fx.client.clientId)).to.equal(false);
    });

    it('links to the operator pages from the account home only for operators', async () => {
      const mine = await olga.request(url('/account'));
      expect(linkTo(mine.body, mine.url, '/operator/apps')).to.equal(url('/operator/apps'));
      const his = await bob.request(url('/account'));
      expect(his.body).not.to.include('/operator');
    });

    it('shows apps, people, grants with the CLI figures, and the audit trail to an operator', async () => {
      const issued = await fx.grant(SCOPE);
      const grantId = claimsOf(issued.accessToken).grant_id as string;
      await openaiClient(fx.proxy.openaiBaseURL, issued.accessToken).chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
      });
      await fx.proxy.usage.flush();

      const apps = await olga.request(url('/operator/apps'));
      expect(apps.status).to.equal(200);
      expect(apps.headers.get('cache-control')).to.equal('no-store');
      expect(apps.body).to.include('Writer').and.include(fx.client.clientId);
      expect(apps.body).to.include('Registered by the operator');

      const people = await olga.request(url('/operator/people'));
      expect(people.body).to.include('alice').and.include('bob').and.include('olga');
      // alice: one live grant, one request so far.
      const aliceRow = /<th scope="row">alice<\/th>([\s\S]*?)<\/tr>/.exec(people.body)?.[1] ?? '';
      const cells = [...aliceRow.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);
      expect(cells.slice(1, 4), 'live grants, all grants, requests').to.deep.equal(['1', '1', '1']);

      const grants = await olga.request(url('/operator/grants'));
      expect(grants.body).to.include(grantId).and.include('live');
      // The figures `mandate usage` prints for the same grant.
      expect(grants.body).to.include('<td>1 (no cap)</td>');

      const audit = await olga.request(url('/operator/audit'));
      expect(audit.body).to.include('Approved').and.include(grantId).and.include('Writer for alice');
    });

    it('pages the audit trail newest first, and ignores a malformed cursor', async () => {
      const first = await olga.request(url('/operator/audit'));
      const older = /href="\/operator\/audit\?before=(\d+)"/.exec(first.body);
      const total = Number((await fx.as.database.db('grant_events').count({ n: '*' }).first())?.n);
      expect(Boolean(older)).to.equal(total > 50);
      for (const bad of ['abc', '-1', '0', '1e3', "1' or 1=1"]) {
        const hop = await olga.request(url(`/operator/audit?before=${encodeURIComponent(bad)}`));
        expect(hop.status).to.equal(200);
        expect(hop.body).to.include('Audit trail');
      }
      const none = await olga.request(url('/operator/audit?before=1'));
      expect(none.body).to.include('No events recorded.').and.include('Newest events');
    });

    it('refuses a Disable without this browser’s CSRF token (403), and disables nothing', async () => {
      const confirm = await olga.request(
        url(`/operator/apps/${encodeURIComponent(fx.client.clientId)}/disable`),
      );
      const action = formAction(confirm.body, confirm.url, '/disable');
      for (const csrf of ['', 'x'.repeat(43), csrfOf((await bob.request(url('/account'))).body)]) {
        const hop = await olga.request(action, { form: { csrf } });
        expect(hop.status).to.equal(403);
      }
      const noForm = await olga.request(action, { method: 'POST' });
      expect(noForm.status).to.be.oneOf([403, 415]);
      expect(await fx.as.stores.disabledClients.isDisabled(fx.client.clientId)).to.equal(false);
    });

    it('disables an app after a confirmation: no authorization, no token or refresh, its live tokens refused at the proxy; Enable lets it ask again', async () => {
      const issued = await fx.grant(SCOPE);
      const grantId = claimsOf(issued.accessToken).grant_id as string;
      const ai = openaiClient(fx.proxy.openaiBaseURL, issued.accessToken);
      await ai.chat.completions.create({ model: 'gpt-4o-mini', messages });

      const apps = await olga.request(url('/operator/apps'));
      const confirm = await olga.request(linkTo(apps.body, apps.url, '/disable'));
      expect(confirm.status).to.equal(200);
      expect(confirm.body).to.include('Disable Writer?');
      expect(await fx.as.stores.disabledClients.isDisabled(fx.client.clientId)).to.equal(false);
      const seqBefore = await fx.as.stores.revocations.lastSeq();

      const posted = await olga.request(formAction(confirm.body, confirm.url, '/disable'), {
        form: { csrf: csrfOf(confirm.body) },
      });
      const shown = await seeOther(olga, posted);
      expect(shown.body).to.include('Writer is disabled');
      expect(shown.body).to.include('Disabled since');
      await fx.proxy.revocationDelivered(grantId);

      // The reload after the POST is a GET of the list: nothing is posted or revoked again.
      const seqAfter = await fx.as.stores.revocations.lastSeq();
      expect(seqAfter).to.be.above(seqBefore);
      const reloaded = await olga.request(posted.location as string);
      expect(reloaded.status).to.equal(200);
      expect(reloaded.body).to.include('Writer is disabled');
      expect(await fx.as.stores.revocations.lastSeq()).to.equal(seqAfter);

      const grant = await fx.as.stores.grants.find(grantId);
      expect(grant?.revokedReason).to.equal('client_disabled');

      // The live grant's access token: refused at the proxy.
      const err = (await rejectionOf(ai.chat.completions.create({ model: 'gpt-4o-mini', messages }))) as {
        status?: number;
      };
      expect(err).to.be.instanceOf(OpenAI.AuthenticationError);
      expect(err.status).to.equal(401);
      // Its refresh token: invalid_client.
      expect((await oauthErrorOf(oidc.refreshTokenGrant(fx.oidc, issued.refreshToken))).error).to.equal(
        'invalid_client',
      );
      // A new authorization: an error page at the AS, never a redirect to the app.
      const { url: start } = await startAuthorization(fx.oidc, fx.as, {
        redirectUri: fx.client.redirectUri,
        scope: SCOPE,
      });
      const refused = await createUserAgent().request(start.toString());
      expect(refused.status).to.equal(400);
      expect(refused.location).to.equal(undefined);
      // The audit trail says why the grant ended.
      const audit = await olga.request(url('/operator/audit'));
      expect(audit.body).to.include('Access revoked by the operator, who disabled the app.');
      // The confirmation of an app already disabled goes back to the list.
      const again = await olga.request(confirm.url);
      expect(again.status).to.equal(303);

      // Enable: a plain POST (with the token), then the app may ask again; the old grant stays revoked.
      const list = await olga.request(url('/operator/apps'));
      const enabled = await seeOther(
        olga,
        await olga.request(formAction(list.body, list.url, '/enable'), { form: { csrf: csrfOf(list.body) } }),
      );
      expect(enabled.body).to.include('Writer is enabled again');
      expect(await fx.as.stores.disabledClients.isDisabled(fx.client.clientId)).to.equal(false);
      const fresh = await fx.grant(SCOPE);
      await openaiClient(fx.proxy.openaiBaseURL, fresh.accessToken).chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
      });
      expect((await fx.as.stores.grants.find(grantId))?.revokedAt).to.not.equal(null);
    });

    it('disables a self-registered app (RFC 7591) the same way', async () => {
      const res = await fetch(url('/reg'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Self Made',
          redirect_uris: [fx.client.redirectUri],
          token_endpoint_auth_method: 'none',
        }),
      });
      expect(res.status).to.equal(201);
      const { client_id: clientId } = (await res.json()) as { client_id: string };
      const apps = await olga.request(url('/operator/apps'));
      expect(apps.body).to.include('Self Made').and.include('Registered itself');
      const confirm = await olga.request(url(`/operator/apps/${encodeURIComponent(clientId)}/disable`));
      await seeOther(
        olga,
        await olga.request(formAction(confirm.body, confirm.url, '/disable'), {
          form: { csrf: csrfOf(confirm.body) },
        }),
      );
      const config = await discover(fx.as, clientId);
      const { url: start } = await startAuthorization(config, fx.as, {
        redirectUri: fx.client.redirectUri,
        scope: SCOPE,
      });
      expect((await createUserAgent().request(start.toString())).status).to.equal(400);
    });
  });
}
