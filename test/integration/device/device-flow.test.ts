import { expect } from 'chai';
import * as oidc from 'openid-client';
import { POLL_INTERVAL_MS } from '../../../src/as/provider/device-polling.ts';
import { engines } from '../../support/databases.ts';
import { approveDevice, enterUserCode, pollOnce, startDevice } from '../../support/device-flow.ts';
import { discover } from '../../support/oauth-flow.ts';
import { captureProviderNotices } from '../../support/provider-notices.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent, formAction } from '../../support/user-agent.ts';

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
const SCOPE = 'openai:gpt-4o-mini:chat';

for (const engine of engines) {
  describe(`device authorization grant, RFC 8628 (${engine})`, () => {
    let as: RunningAs;
    let notices: ReturnType<typeof captureProviderNotices>;

    before(async () => {
      notices = captureProviderNotices();
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', 'correct horse battery');
    });
    after(async () => {
      notices.restore();
      await as.close();
    });

    async function deviceApp() {
      const app = await as.addClient({ name: 'Terminal Agent', deviceFlow: true });
      return { app, config: await discover(as, app.clientId) };
    }

    it('metadata advertises the device authorization endpoint and grant', async () => {
      const meta = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()) as Record<
        string,
        unknown
      >;
      expect(meta.device_authorization_endpoint).to.equal(`${as.issuer}/device/auth`);
      expect(meta.grant_types_supported).to.include(DEVICE_CODE);
    });

    it('approve on the hosted page, then the CLI polls: tokens for the consented scope; the device code is single use', async () => {
      const { app, config } = await deviceApp();
      const start = await startDevice(config, as, SCOPE);
      expect(start.user_code).to.match(/^[A-Z]{4}-[A-Z]{4}$/);
      expect(start.verification_uri).to.equal(`${as.issuer}/device`);

      const ua = createUserAgent();
      const page = await approveDevice(ua, start.verification_uri, start.user_code, { scope: SCOPE });
      expect(page.status).to.equal(200);
      expect(page.body).to.include('Device connected');

      const done = await pollOnce(as, app.clientId, start.device_code);
      expect(done.tokens?.access_token).to.be.a('string');
      expect(done.tokens?.scope).to.equal(SCOPE);
      // Polled again after the interval (RFC 8628 §3.5): the code was used.
      await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
      const again = await pollOnce(as, app.clientId, start.device_code);
      expect(again.error).to.equal('invalid_grant');
      // And the user code cannot be used a second time.
      const reused = await enterUserCode(createUserAgent(), start.verification_uri, start.user_code);
      expect(reused.body).to.include('not valid or has expired');
    });

    it('deny on the consent page: the CLI gets access_denied', async () => {
      const { app, config } = await deviceApp();
      const start = await startDevice(config, as, SCOPE);
      const page = await approveDevice(createUserAgent(), start.verification_uri, start.user_code, {
        scope: SCOPE,
        decision: 'deny',
      });
      expect(page.status).to.be.lessThan(500);
      const polled = await pollOnce(as, app.clientId, start.device_code);
      expect(polled.error).to.equal('access_denied');
    });

    it('Cancel on the code confirmation: a page saying nothing was allowed (no error), and the CLI gets access_denied', async () => {
      const { app, config } = await deviceApp();
      const start = await startDevice(config, as, SCOPE);
      const ua = createUserAgent();
      const confirm = await enterUserCode(ua, start.verification_uri, start.user_code);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
      const cancelled = await ua.request(formAction(confirm.body, confirm.url, '/device'), {
        form: { xsrf, user_code: start.user_code, confirm: 'yes', abort: 'yes' },
      });
      expect(cancelled.status).to.equal(200);
      expect(cancelled.body).to.include('<h1>Device not connected</h1>');
      expect(cancelled.body).to.include('nothing was allowed');
      expect(cancelled.body).not.to.include('error-summary');
      expect((await pollOnce(as, app.clientId, start.device_code)).error).to.equal('access_denied');
    });

    it('polling faster than the interval: authorization_pending, then slow_down', async () => {
      const { app, config } = await deviceApp();
      const start = await startDevice(config, as, SCOPE);
      expect((await pollOnce(as, app.clientId, start.device_code)).error).to.equal('authorization_pending');
      expect((await pollOnce(as, app.clientId, start.device_code)).error).to.equal('slow_down');
    });

    it('a wrong user code: the page says so, in the error summary', async () => {
      const page = await enterUserCode(createUserAgent(), `${as.issuer}/device`, 'BCDF-GHJK');
      expect(page.status).to.equal(200);
      expect(page.body).to.include('id="error-summary"');
      expect(page.body).to.include('not valid or has expired');
    });

    it('a client not registered for the device grant is refused at the device endpoint', async () => {
      const app = await as.addClient({ name: 'Web only' });
      const config = await discover(as, app.clientId);
      const err = await oidc.initiateDeviceAuthorization(config, { scope: SCOPE }).catch((e) => e);
      expect((err as { error?: string }).error).to.equal('invalid_request');
    });
  });

  describe(`device authorization grant: expiry (${engine})`, () => {
    let as: RunningAs;
    let notices: ReturnType<typeof captureProviderNotices>;

    before(async () => {
      notices = captureProviderNotices();
      as = await startAuthorizationServer(engine, { as: { deviceCodeTtl: 2 } });
    });
    after(async () => {
      notices.restore();
      await as.close();
    });

    it('after deviceCodeTtl: expired_token, and the user code is refused', async () => {
      const app = await as.addClient({ name: 'Terminal Agent', deviceFlow: true });
      const start = await startDevice(await discover(as, app.clientId), as, SCOPE);
      expect(start.expires_in).to.be.at.most(2);
      await new Promise((r) => setTimeout(r, 2500));
      expect((await pollOnce(as, app.clientId, start.device_code)).error).to.equal('expired_token');
      const page = await enterUserCode(createUserAgent(), start.verification_uri, start.user_code);
      expect(page.body).to.include('not valid or has expired');
    });
  });

  describe(`device authorization grant: wrong user codes are limited (${engine})`, () => {
    let as: RunningAs;
    let notices: ReturnType<typeof captureProviderNotices>;

    before(async () => {
      notices = captureProviderNotices();
      as = await startAuthorizationServer(engine, {
        as: { loginThrottle: { maxFailures: 3, windowSeconds: 900 } },
      });
    });
    after(async () => {
      notices.restore();
      await as.close();
    });

    it('past loginThrottle.maxFailures wrong codes from one address: 429 with Retry-After, even for a live code; a live code typed before gives its attempt back', async () => {
      const app = await as.addClient({ name: 'Terminal Agent', deviceFlow: true });
      const start = await startDevice(await discover(as, app.clientId), as, SCOPE);
      const type = (code: string) => enterUserCode(createUserAgent(), start.verification_uri, code);
      for (const _ of [1, 2]) expect((await type('BCDF-GHJK')).status).to.equal(200);
      const confirm = await type(start.user_code);
      expect(confirm.body).to.include('name="confirm"');
      const third = await type('BCDF-GHJK');
      expect(third.status).to.equal(200);
      expect(third.body).to.include('not valid or has expired');

      const refused = await type('BCDF-GHJK');
      expect(refused.status).to.equal(429);
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 900);
      expect(refused.body).to.include('Too many codes tried');
      const live = await type(start.user_code);
      expect(live.status).to.equal(429);
      expect(live.body).not.to.include('name="confirm"');
    });
  });
}
