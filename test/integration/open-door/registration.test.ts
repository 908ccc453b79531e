import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import { engines } from '../../support/databases.ts';
import { claimsOf } from '../../support/mint-token.ts';
import {
  authorize,
  consent,
  discover,
  exchange,
  oauthErrorOf,
  signInAndReachConsent,
  startAuthorization,
} from '../../support/oauth-flow.ts';
import { oauth4webapiCodeFlow } from '../../support/oauth4webapi-code.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const INITIAL_TOKEN = 'initial-access-token-for-the-tests-0123456789';
/** A registration response (or an error) as the wire carries it. */
type RegistrationBody = {
  client_id: string;
  client_secret: string;
  registration_access_token: string;
  registration_client_uri: string;
  error?: string;
  error_description?: string;
  [field: string]: unknown;
};
const insecure = { [oauth.allowInsecureRequests]: true } as const;

async function register(as: RunningAs, body: unknown, token?: string) {
  const res = await fetch(`${as.issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json().catch(() => ({}))) as RegistrationBody,
  };
}

async function manage(url: string, token: string, method = 'GET', body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: res.status,
    body: (await res.text().then((t) => (t ? JSON.parse(t) : {}))) as RegistrationBody,
  };
}

/*
 * Dynamic client registration (RFC 7591) and management (RFC 7592) under the operator's
 * policy: what an app may register, the secret stored only hashed, the registration
 * access token, and the refusals of `off` and `initial_access_token`.
 */
for (const engine of engines) {
  describe(`open door: dynamic client registration (${engine})`, () => {
    let as: RunningAs;

    before(async () => {
      as = await startAuthorizationServer(engine, {
        as: { openDoor: { registration: 'open', registrationRateLimit: { max: 100, windowSeconds: 3600 } } },
      });
      await as.addUser('alice', 'correct horse battery');
    });
    after(async () => {
      await as?.close();
    });

    it('oauth4webapi registers a public client and runs code + PKCE to a token for the proxy', async () => {
      const issuer = new URL(as.issuer);
      const server = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }),
      );
      expect(server.registration_endpoint).to.equal(`${as.issuer}/reg`);
      const client = await oauth.processDynamicClientRegistrationResponse(
        await oauth.dynamicClientRegistrationRequest(
          server,
          {
            client_name: 'Agent <b>X</b>',
            redirect_uris: [REDIRECT],
            token_endpoint_auth_method: 'none',
            scope: 'openai:*:chat',
          },
          insecure,
        ),
      );
      expect(client.client_id).to.match(/^dcr_/);
      expect(client).not.to.have.property('client_secret');
      expect(client.registration_access_token).to.be.a('string');

      const { url, redeem } = await oauth4webapiCodeFlow(server, client, {
        redirectUri: REDIRECT,
        scope: 'openai:gpt-4o-mini:chat',
        resource: as.proxyUrl,
      });
      const ua = createUserAgent();
      const opts = { redirectUri: REDIRECT, scope: '' };
      const page = await signInAndReachConsent(ua, url.toString(), opts);
      // The client-chosen name is escaped.
      expect(page.body).to.include('Agent &lt;b&gt;X&lt;/b&gt;');
      expect(page.body).not.to.include('<b>X</b>');
      const done = await consent(ua, page, opts);
      const tokens = await redeem(done.location as string);
      expect(claimsOf(tokens.access_token).aud).to.equal(as.proxyUrl);
      expect(claimsOf(tokens.access_token).client_id).to.equal(client.client_id);

      // It registered for openai:*:chat only: anthropic is not open to it.
      url.searchParams.set('scope', 'anthropic:*:chat');
      const refused = await fetch(url, { redirect: 'manual' });
      expect(new URL(refused.headers.get('location') as string).searchParams.get('error')).to.equal(
        'invalid_scope',
      );
    });

    it('a confidential client gets its secret once; only a hash is stored and reads never show it', async () => {
      const made = await register(as, {
        client_name: 'Server app',
        redirect_uris: ['https://app.example/cb'],
      });
      expect(made.status).to.equal(201);
      const { client_id, client_secret, registration_access_token, registration_client_uri } = made.body;
      expect(client_secret).to.be.a('string').with.length.greaterThan(40);
      expect(made.body.token_endpoint_auth_method).to.equal('client_secret_basic');

      const row = await as.database.db('clients').where({ client_id }).first();
      expect(row.secret_hash).to.match(/^sha256:/);
      expect(row.secret_hash).not.to.include(client_secret);
      expect(row.metadata).not.to.include(client_secret);
      expect(JSON.parse(row.metadata)).not.to.have.property('client_secret');

      const read = await manage(registration_client_uri, registration_access_token);
      expect(read.status).to.equal(200);
      expect(read.body.client_id).to.equal(client_id);
      expect(read.body).not.to.have.property('client_secret');
      expect(JSON.stringify(read.body)).not.to.include('sha256:');

      // The secret authenticates at the token endpoint (a real flow with client_secret_basic).
      const config = await discover(as, client_id, client_secret);
      const tokens = await exchange(
        await authorize(config, as, createUserAgent(), {
          redirectUri: 'https://app.example/cb',
          scope: 'openai:*:chat',
        }),
      );
      expect(claimsOf(tokens.access_token).client_id).to.equal(client_id);
      const wrong = await discover(as, client_id, 'not-the-secret');
      const wrongly = await authorize(wrong, as, createUserAgent(), {
        redirectUri: 'https://app.example/cb',
        scope: 'openai:*:chat',
      });
      expect(await oauthErrorOf(exchange(wrongly))).to.include({ error: 'invalid_client', status: 401 });
    });

    it('RFC 7592: read, update (secret checked, token rotated), delete (grants end with the client)', async () => {
      const made = await register(as, { client_name: 'Managed', redirect_uris: ['https://m.example/cb'] });
      const {
        client_id,
        client_secret,
        registration_access_token: rat,
        registration_client_uri: uri,
      } = made.body;

      const config = await discover(as, client_id, client_secret);
      const tokens = await exchange(
        await authorize(config, as, createUserAgent(), {
          redirectUri: 'https://m.example/cb',
          scope: 'openai:*:chat',
        }),
      );
      const grantId = claimsOf(tokens.access_token).grant_id as string;

      const wrongSecret = await manage(uri, rat, 'PUT', {
        client_id,
        client_secret: 'guess',
        redirect_uris: ['https://m.example/cb2'],
      });
      expect(wrongSecret.status).to.equal(400);
      expect(wrongSecret.body.error).to.equal('invalid_request');

      const badUri = await manage(uri, rat, 'PUT', { client_id, redirect_uris: ['http://m.example/cb'] });
      expect(badUri.status).to.equal(400);
      expect(badUri.body.error).to.equal('invalid_redirect_uri');

      const updated = await manage(uri, rat, 'PUT', {
        client_id,
        client_secret,
        client_name: 'Managed, renamed',
        redirect_uris: ['https://m.example/cb2'],
      });
      expect(updated.status).to.equal(200);
      expect(updated.body.client_name).to.equal('Managed, renamed');
      expect(updated.body.redirect_uris).to.deep.equal(['https://m.example/cb2']);
      expect(updated.body).not.to.have.property('client_secret');
      const rotated = updated.body.registration_access_token as string;
      expect(rotated).to.be.a('string').and.not.equal(rat);
      expect((await manage(uri, rat)).status).to.equal(401);
      // The secret survived the update, still hashed.
      const row = await as.database.db('clients').where({ client_id }).first();
      expect(row.secret_hash).to.match(/^sha256:/);
      expect(JSON.parse(row.metadata).client_name).to.equal('Managed, renamed');
      const again = await discover(as, client_id, client_secret);
      await exchange(
        await authorize(again, as, createUserAgent(), {
          redirectUri: 'https://m.example/cb2',
          scope: 'openai:*:chat',
        }),
      );

      const deleted = await manage(uri, rotated, 'DELETE');
      expect(deleted.status).to.equal(204);
      expect((await manage(uri, rotated)).status).to.equal(401);
      expect(await as.database.db('clients').where({ client_id }).first()).to.equal(undefined);
      const grant = await as.stores.grants.find(grantId);
      expect(grant?.revokedAt, 'the grant ended with its client').to.be.a('number');
      const live = await as.stores.grants.list({ clientId: client_id });
      expect(live).to.deep.equal([]);
    });

    it('a native app registered with a loopback redirect may use any port (RFC 8252 §7.3); a web app may not', async () => {
      const native = await register(as, {
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
      });
      const web = await register(as, {
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
      });
      const start = async (clientId: string, redirectUri: string) => {
        const config = await discover(as, clientId);
        const url = (await startAuthorization(config, as, { redirectUri, scope: 'openai:*:chat' })).url;
        const res = await fetch(url, { redirect: 'manual' });
        return { status: res.status, location: res.headers.get('location') ?? '' };
      };
      const nativeAnyPort = await start(native.body.client_id, 'http://127.0.0.1:51234/callback');
      expect(nativeAnyPort.status).to.equal(303);
      expect(nativeAnyPort.location).to.match(/\/interaction\//);
      const nativeOtherPath = await start(native.body.client_id, 'http://127.0.0.1:51234/other');
      expect(nativeOtherPath.status).to.equal(400);
      const webOtherPort = await start(web.body.client_id, 'http://127.0.0.1:51234/callback');
      expect(webOtherPort.status).to.equal(400);
    });

    it('refuses what an app may not register, with the RFC 7591 error codes', async () => {
      const cases: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ redirect_uris: ['http://app.example/cb'] }, 'invalid_redirect_uri', /loopback/],
        [{ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri', /javascript/],
        [{ redirect_uris: ['data:text/html,hi'] }, 'invalid_redirect_uri', /data/],
        [{ redirect_uris: ['https://app.example/cb#x'] }, 'invalid_redirect_uri', /fragment/],
        [{ redirect_uris: ['https://u:p@app.example/cb'] }, 'invalid_redirect_uri', /credentials/],
        [{ redirect_uris: ['myapp:/cb'] }, 'invalid_redirect_uri', /reverse-domain/],
        [{ redirect_uris: [] }, 'invalid_redirect_uri', /at least one/],
        [
          { redirect_uris: [REDIRECT], grant_types: ['client_credentials'] },
          'invalid_client_metadata',
          /grant_types/,
        ],
        [{ redirect_uris: [REDIRECT], grant_types: ['implicit'] }, 'invalid_client_metadata', /grant_types/],
        [
          { redirect_uris: [REDIRECT], response_types: ['token'] },
          'invalid_client_metadata',
          /response_types/,
        ],
        [
          { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt' },
          'invalid_client_metadata',
          /token_endpoint_auth_method/,
        ],
        [
          { redirect_uris: [REDIRECT], allowed_ai_scopes: 'openai:*:chat' },
          'invalid_client_metadata',
          /operator/,
        ],
        [{ redirect_uris: [REDIRECT], scope: 'openai:*:images' }, 'invalid_client_metadata', /not open/],
        [
          { redirect_uris: [REDIRECT], scope: 'openai:gpt*:chat' },
          'invalid_client_metadata',
          /invalid scope/,
        ],
        [
          { redirect_uris: [REDIRECT], jwks_uri: 'https://169.254.169.254/' },
          'invalid_client_metadata',
          /fetches nothing/,
        ],
        [
          { redirect_uris: [REDIRECT], sector_identifier_uri: 'https://x.example/' },
          'invalid_client_metadata',
          /fetches nothing/,
        ],
        [
          { redirect_uris: [REDIRECT], client_name: 'x'.repeat(500) },
          'invalid_client_metadata',
          /client_name/,
        ],
      ];
      const before = await as.database.db('clients').count({ n: '*' }).first();
      for (const [body, error, description] of cases) {
        const res = await register(as, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error, JSON.stringify(body)).to.equal(error);
        expect(res.body.error_description, JSON.stringify(body)).to.match(description);
      }
      const notJson = await fetch(`${as.issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{',
      });
      expect(notJson.status).to.equal(400);
      // oidc-provider's router folds case and drops a trailing slash: the checks hold there too.
      for (const path of ['/REG', '/reg/', '/Reg/']) {
        const around = await fetch(`${as.issuer}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: [REDIRECT], scope: 'openai:*:images' }),
        });
        const answer = (await around.json()) as { error?: string; error_description?: string };
        expect(around.status, path).to.equal(400);
        expect(answer.error, path).to.equal('invalid_client_metadata');
        expect(answer.error_description, path).to.match(/not open/);
      }
      const huge = await register(as, {
        redirect_uris: [REDIRECT],
        client_name: 'x',
        logo: 'y'.repeat(20_000),
      });
      expect(huge.status).to.equal(413);
      const after = await as.database.db('clients').count({ n: '*' }).first();
      expect(Number(after?.n)).to.equal(Number(before?.n));
      // Allowed forms: loopback http on any of the three names, https, a reverse-domain scheme.
      const web = await register(as, {
        redirect_uris: ['http://localhost:1/cb', 'http://[::1]:2/cb', 'https://a.example/cb'],
        token_endpoint_auth_method: 'none',
      });
      expect(web.status, JSON.stringify(web.body)).to.equal(201);
      const native = await register(as, {
        application_type: 'native',
        redirect_uris: ['com.example.app:/cb', 'http://127.0.0.1/cb'],
        token_endpoint_auth_method: 'none',
      });
      expect(native.status, JSON.stringify(native.body)).to.equal(201);
    });
  });

  describe(`open door: registration policy (${engine})`, () => {
    it('off: no registration endpoint is advertised and /reg is not there', async () => {
      const as = await startAuthorizationServer(engine);
      try {
        const metadata = (await (
          await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)
        ).json()) as Record<string, unknown>;
        expect(metadata).not.to.have.property('registration_endpoint');
        const res = await register(as, { redirect_uris: [REDIRECT] });
        expect(res.status).to.equal(404);
        expect(await as.database.db('clients').whereLike('client_id', 'dcr_%')).to.deep.equal([]);
      } finally {
        await as.close();
      }
    });

    it('initial_access_token: refused without the token or with another, accepted with it', async () => {
      const as = await startAuthorizationServer(engine, {
        as: { openDoor: { registration: 'initial_access_token', initialAccessToken: INITIAL_TOKEN } },
      });
      try {
        const none = await register(as, { redirect_uris: [REDIRECT] });
        expect(none.status).to.equal(401);
        expect(none.body.error).to.equal('invalid_token');
        const wrong = await register(as, { redirect_uris: [REDIRECT] }, `${INITIAL_TOKEN}x`);
        expect(wrong.status).to.equal(401);
        expect(await as.database.db('clients').whereLike('client_id', 'dcr_%')).to.deep.equal([]);
        const right = await register(
          as,
          { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' },
          INITIAL_TOKEN,
        );
        expect(right.status).to.equal(201);
        expect(right.body.client_id).to.match(/^dcr_/);
      } finally {
        await as.close();
      }
    });

    it('rate limited per address: the registration past the limit gets 429 and Retry-After, nothing stored', async () => {
      const as = await startAuthorizationServer(engine, {
        as: { openDoor: { registration: 'open', registrationRateLimit: { max: 3, windowSeconds: 600 } } },
      });
      try {
        const statuses: number[] = [];
        const burst = await Promise.all(
          Array.from({ length: 6 }, () =>
            register(as, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
          ),
        );
        for (const r of burst) statuses.push(r.status);
        expect(statuses.filter((s) => s === 201)).to.have.length(3);
        expect(statuses.filter((s) => s === 429)).to.have.length(3);
        const limited = burst.find((r) => r.status === 429);
        expect(Number(limited?.headers.get('retry-after'))).to.be.within(1, 600);
        expect(await as.database.db('clients').whereLike('client_id', 'dcr_%')).to.have.length(3);
      } finally {
        await as.close();
      }
    });
  });
}
