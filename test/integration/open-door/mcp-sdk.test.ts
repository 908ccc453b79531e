import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { MemoryMcpOAuthProvider, mcpAuthorize, mcpClientByDocument } from '../../support/mcp-client.ts';
import { claimsOf } from '../../support/mint-token.ts';
import { openDoorFixtureHooks } from '../../support/open-door-fixture.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import type { ProxyFixture } from '../../support/proxy-fixture.ts';
import { signInToAccount } from '../../support/security-checks.ts';
import type { DocumentServer } from '../../support/test-tls.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const REDIRECT = 'http://127.0.0.1:9/mcp/callback';

/**
 * What a chat completion through the proxy answers with this token, or the status refusing
 * it; `origin` set: sent as a browser page on that origin sends it.
 */
async function chat(fx: ProxyFixture, token: string, model: string, origin?: string): Promise<Response> {
  return fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(origin ? { origin } : {}),
    },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }),
  });
}

/*
 * The official MCP TypeScript SDK as a newcomer: nothing registered by the operator. It
 * starts from an unauthenticated request to the proxy, finds the resource metadata and
 * the authorization server by itself, identifies itself (dynamic registration, or a
 * Client ID Metadata Document served over https), the person signs in and consents on
 * the hosted pages, and the token it gets serves a chat completion; on a 403 for another
 * model it steps up and keeps the first.
 */
for (const engine of engines) {
  describe(`open door: the MCP SDK connects without an operator (${engine})`, () => {
    let fx: ProxyFixture;
    let docs: DocumentServer;

    openDoorFixtureHooks(engine, (door) => {
      ({ fx, docs } = door);
    });

    /** The SDK's authorization from a refused response, the person approving: the token and the consent page they saw. */
    async function authorizeFrom(provider: MemoryMcpOAuthProvider, challenge: Response, untick?: string[]) {
      let consentPage = '';
      const token = await mcpAuthorize(provider, {
        serverUrl: fx.proxy.openaiBaseURL,
        challenge,
        username: fx.username,
        password: fx.password,
        ...(untick ? { untick } : {}),
        onConsentPage: (body) => {
          consentPage = body;
        },
      });
      return { token, consentPage };
    }

    async function connect(provider: MemoryMcpOAuthProvider, untick: string[] = []) {
      const refused = await chat(fx, 'none', 'gpt-4o-mini').then(() =>
        fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, { method: 'POST', body: '{}' }),
      );
      expect(refused.status).to.equal(401);
      return authorizeFrom(provider, refused, untick);
    }

    async function stepUp(provider: MemoryMcpOAuthProvider, token: string) {
      const forbidden = await chat(fx, token, 'gpt-4o');
      expect(forbidden.status).to.equal(403);
      // auth() refreshes when it holds a refresh token, and a refresh never widens a
      // grant: a client stepping up drops its tokens (keeping its client information).
      provider.saved = undefined;
      return authorizeFrom(provider, forbidden);
    }

    const UNTICK = ['openai:*:chat', 'openai:*:embeddings', 'openai:*:models', 'anthropic:*:models'];

    it('through dynamic registration: 401 → discovery → DCR → consent → token → chat; step-up keeps the first model', async () => {
      const provider = new MemoryMcpOAuthProvider(REDIRECT);
      const first = await connect(provider, UNTICK);
      expect(provider.info?.client_id).to.match(/^dcr_/);
      expect(first.consentPage).to.include('Test MCP client');
      expect(first.consentPage).to.include('Not reviewed by this server');
      const claims = claimsOf(first.token);
      expect(claims.aud).to.equal(fx.proxy.url);
      expect(claims.scope).to.equal('anthropic:*:chat');

      // Only anthropic was left ticked: an OpenAI model is refused, with the scope to ask for.
      const again = await stepUp(provider, first.token);
      expect(String(claimsOf(again.token).scope).split(' ')).to.have.members([
        'anthropic:*:chat',
        'openai:gpt-4o:chat',
      ]);
      expect(again.consentPage).to.include('already allowed');
      const served = await chat(fx, again.token, 'gpt-4o');
      expect(served.status).to.equal(200);
      const body = (await served.json()) as { choices: unknown[] };
      expect(body.choices).to.have.length.greaterThan(0);
      // The same registration was used both times.
      expect(await fx.as.database.db('clients').whereLike('client_id', 'dcr_%')).to.have.length(1);
    });

    it('through a Client ID Metadata Document over https: the URL is the client_id, fetched once', async () => {
      const { url, provider } = mcpClientByDocument(docs, REDIRECT);
      const first = await connect(
        provider,
        [...UNTICK, 'anthropic:*:chat'].filter((s) => s !== 'openai:*:chat'),
      );
      expect(provider.info?.client_id).to.equal(url);
      const claims = claimsOf(first.token);
      expect(claims.client_id).to.equal(url);
      expect(claims.scope).to.equal('openai:*:chat');
      // Labelled by its domain, plainly unreviewed, nothing loaded from it.
      expect(first.consentPage).to.include(`localhost:${docs.port}`);
      expect(first.consentPage).to.include('Not reviewed by this server');
      expect(first.consentPage).not.to.include('logo.png');
      expect(docs.hits('/logo.png')).to.equal(0);

      const served = await openaiClient(fx.proxy.openaiBaseURL, first.token).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(served.choices).to.have.length.greaterThan(0);
      // A browser app on the document's origin may call the proxy; another origin may not.
      const preflight = await fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
        method: 'OPTIONS',
        headers: { origin: docs.origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get('access-control-allow-origin')).to.equal(docs.origin);
      const fromApp = await chat(fx, first.token, 'gpt-4o-mini', docs.origin);
      expect(fromApp.status).to.equal(200);
      expect(fromApp.headers.get('access-control-allow-origin')).to.equal(docs.origin);
      const fromElsewhere = await chat(fx, first.token, 'gpt-4o-mini', 'https://evil.example');
      expect(fromElsewhere.status).to.equal(403);
      // Authorization and token requests both looked the client up: one fetch.
      expect(docs.hits('/mcp/client.json')).to.equal(1);
      // The person's account page names the app by its domain and fetches nothing.
      const ua = createUserAgent();
      await signInToAccount(ua, fx.as, fx.username, fx.password);
      const account = await ua.request(`${fx.as.issuer}/account`);
      expect(account.status).to.equal(200);
      expect(account.body).to.include(`localhost:${docs.port}`);
      expect(account.body).not.to.include('Docs MCP client');
      // Nothing stored for it: the document is the registration.
      expect(await fx.as.database.db('clients').where({ client_id: url })).to.deep.equal([]);
      // Refresh works as a public client.
      const refreshed = await fetch(`${fx.as.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: provider.saved?.refresh_token as string,
          client_id: url,
        }),
      });
      expect(refreshed.status).to.equal(200);
      expect(docs.hits('/mcp/client.json')).to.equal(1);
    });
  });
}
