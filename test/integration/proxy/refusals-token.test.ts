import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import OpenAI from 'openai';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import {
  claimsOf,
  hmacToken,
  publicKeyAsSecrets,
  signAccessToken,
  unsecuredToken,
} from '../../support/mint-token.ts';
import {
  anthropicClient,
  anthropicErrorOf,
  anthropicRefusal,
  createExchangeRecorder,
  expectInvalidTokenChallenge,
  type FetchLike,
  openaiClient,
  openaiRefusal,
  withoutCredentials,
} from '../../support/proxy-clients.ts';
import { type IssuedTokens, type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

const SCOPE = 'openai:gpt-4o-mini:chat anthropic:claude-sonnet-5-5:chat';

for (const engine of engines) {
  describe(`proxy refusals: the access token (${engine})`, () => {
    let fx: ProxyFixture;
    let tokens: IssuedTokens;
    let claims: Record<string, unknown>;

    before(async () => {
      fx = await startProxyFixture(engine);
      tokens = await fx.grant(SCOPE);
      claims = claimsOf(tokens.accessToken);
    });
    after(async () => {
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());

    const chat = (openai: OpenAI) =>
      openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
      });
    const message = (anthropic: Anthropic) =>
      anthropic.messages.create({
        model: 'claude-sonnet-5-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hello' }],
      });

    /** Both SDKs succeed with this token (the control for every refusal below). */
    async function expectAccepted(token: string): Promise<void> {
      const completion = await chat(openaiClient(fx.proxy.openaiBaseURL, token));
      expect(completion.choices[0]?.message.content).to.be.a('string');
      const reply = await message(anthropicClient(fx.proxy.anthropicBaseURL, token));
      expect(reply.content[0]?.type).to.equal('text');
    }

    /**
     * Both SDKs get a 401 in their provider's shape, with the RFC 6750 challenge naming
     * the RFC 9728 metadata, and the upstream is never reached.
     */
    async function expectRefused(
      token: string,
      expected: { code?: string; messageIncludes?: string; wrapFetch?: (f: FetchLike) => FetchLike } = {},
    ): Promise<void> {
      const upstreamBefore = fx.upstream.requests.length;
      const wrap = expected.wrapFetch ?? ((f: FetchLike) => f);

      const openaiRec = createExchangeRecorder();
      const o = await openaiRefusal(
        openaiRec,
        chat(openaiClient(fx.proxy.openaiBaseURL, token, { fetch: wrap(openaiRec.fetch) })),
        {
          status: 401,
          errorClass: OpenAI.AuthenticationError,
          code: expected.code ?? 'invalid_token',
          type: 'invalid_request_error',
          ...(expected.messageIncludes ? { messageIncludes: expected.messageIncludes } : {}),
        },
      );
      const challengeError = expected.code === 'missing_token' ? null : 'invalid_token';
      expectInvalidTokenChallenge(o.exchange.headers, fx.proxy.url, challengeError);
      if (expected.wrapFetch) expect(o.exchange.requestHeaders.get('authorization')).to.equal(null);

      const anthropicRec = createExchangeRecorder();
      const a = await anthropicRefusal(
        anthropicRec,
        message(anthropicClient(fx.proxy.anthropicBaseURL, token, { fetch: wrap(anthropicRec.fetch) })),
        {
          status: 401,
          errorClass: Anthropic.AuthenticationError,
          type: 'authentication_error',
          ...(expected.messageIncludes ? { messageIncludes: expected.messageIncludes } : {}),
        },
      );
      expectInvalidTokenChallenge(a.exchange.headers, fx.proxy.url, challengeError);
      if (expected.wrapFetch) {
        expect(a.exchange.requestHeaders.get('authorization')).to.equal(null);
        expect(a.exchange.requestHeaders.get('x-api-key')).to.equal(null);
      }

      expect(fx.upstream.requests.length, 'the upstream was reached').to.equal(upstreamBefore);
    }

    it('accepts the issued token, and one minted with the real signing key and the same claims (controls)', async () => {
      await expectAccepted(tokens.accessToken);
      await expectAccepted(await signAccessToken(fx.as.signingKey, claims));
    });

    it('no token: 401 with a bare Bearer challenge (RFC 6750 §3.1), both SDKs raise AuthenticationError', async () => {
      await expectRefused('unused', {
        code: 'missing_token',
        messageIncludes: 'no access token',
        wrapFetch: withoutCredentials,
      });
    });

    it('the token in x-api-key (how older Anthropic clients send it): accepted, and garbage there is a 401', async () => {
      const send = (apiKey: string) =>
        fetch(`${fx.proxy.anthropicBaseURL}/v1/messages`, {
          method: 'POST',
          headers: {
            'x-api-key': apiKey,
            'content-type': 'application/json',
            'anthropic-version': '2023-06-01',
          },
          body: JSON.stringify({
            model: 'claude-sonnet-5-5',
            max_tokens: 16,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
      const ok = await send(tokens.accessToken);
      expect(ok.status).to.equal(200);
      const refused = await send('not-a-jwt');
      expect(refused.status).to.equal(401);
      expect(anthropicErrorOf(await refused.text()).type).to.equal('authentication_error');
      expectInvalidTokenChallenge(refused.headers, fx.proxy.url);
    });

    it('garbage tokens: 401', async () => {
      await expectRefused('not-a-jwt', { messageIncludes: 'malformed' });
      await expectRefused('eyJhbGciOiJFUzI1NiJ9.e30.c2lnbmF0dXJl');
      await expectRefused(`${tokens.accessToken.slice(0, -4)}AAAA`, { messageIncludes: 'signature' });
    });

    it('a JWT with alg "none": 401', async () => {
      await expectRefused(unsecuredToken(claims));
      await expectRefused(unsecuredToken(claims, { alg: 'None' }));
    });

    it('an HS256 token whose MAC secret is the authorization server public key: 401', async () => {
      const jwksUri = fx.oidc.serverMetadata().jwks_uri as string;
      const jwks = (await (await fetch(jwksUri)).json()) as { keys: JWK[] };
      const publicJwk = jwks.keys.find((k) => k.kid === fx.as.signingKey.kid) as JWK;
      expect(publicJwk, 'the AS publishes its signing key').to.not.equal(undefined);
      expect(publicJwk).to.not.have.property('d');
      for (const { name, secret } of publicKeyAsSecrets(publicJwk)) {
        const forged = hmacToken(secret, claims, { kid: publicJwk.kid });
        try {
          await expectRefused(forged);
        } catch (err) {
          throw new Error(`HS256 with ${name} as the secret: ${(err as Error).message}`);
        }
      }
    });

    it('an ES256 token signed by another key, even under the real kid: 401', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const stranger = { ...(await exportJWK(privateKey)), kid: fx.as.signingKey.kid as string };
      await expectRefused(await signAccessToken(stranger, claims), { messageIncludes: 'signature' });
    });

    it('wrong audience: 401', async () => {
      const key = fx.as.signingKey;
      await expectRefused(await signAccessToken(key, { ...claims, aud: 'https://other-proxy.example' }), {
        messageIncludes: 'aud',
      });
      await expectRefused(await signAccessToken(key, { ...claims, aud: fx.as.issuer }), {
        messageIncludes: 'aud',
      });
      const { aud: _aud, ...noAud } = claims;
      await expectRefused(await signAccessToken(key, noAud));
    });

    it('wrong issuer: 401', async () => {
      await expectRefused(
        await signAccessToken(fx.as.signingKey, { ...claims, iss: 'https://evil.example' }),
        {
          messageIncludes: 'iss',
        },
      );
    });

    it('wrong type (not at+jwt): 401', async () => {
      await expectRefused(await signAccessToken(fx.as.signingKey, claims, { typ: 'JWT' }), {
        messageIncludes: 'typ',
      });
      await expectRefused(await signAccessToken(fx.as.signingKey, claims, { typ: undefined }), {
        messageIncludes: 'typ',
      });
    });

    it('expired: 401', async () => {
      const now = Math.floor(Date.now() / 1000);
      await expectRefused(
        await signAccessToken(fx.as.signingKey, { ...claims, iat: now - 7200, exp: now - 3600 }),
        {
          messageIncludes: 'expired',
        },
      );
    });

    it('a token without the grant id: 401', async () => {
      const { grant_id: _grantId, ...noGrant } = claims;
      await expectRefused(await signAccessToken(fx.as.signingKey, noGrant));
    });

    // A DPoP-bound token (cnf.jkt) sent as Bearer: open-door/dpop-proxy.test.ts (a DPoP challenge).
    it('a malformed cnf claim: 401', async () => {
      await expectRefused(
        await signAccessToken(fx.as.signingKey, { ...claims, cnf: { 'x5t#S256': 'abc' } }),
        {
          messageIncludes: 'lacks a Mandate claim',
        },
      );
    });

    it("revoked grant (RFC 7009 on the refresh token): refused once the proxy's revocation feed delivers it", async () => {
      const issued = await fx.grant(SCOPE);
      await expectAccepted(issued.accessToken);
      await oidc.tokenRevocation(fx.oidc, issued.refreshToken, { token_type_hint: 'refresh_token' });
      // Revocation reaches the proxy through its feed (NOTIFY on PostgreSQL, a poll on SQLite).
      await fx.proxy.revocationDelivered(claimsOf(issued.accessToken).grant_id as string);
      await expectRefused(issued.accessToken, { messageIncludes: 'revoked' });
    });

    it('revoked access token (RFC 7009 on the JWT): refused once delivered, while the grant lives on', async () => {
      const issued = await fx.grant(SCOPE);
      await expectAccepted(issued.accessToken);
      await oidc.tokenRevocation(fx.oidc, issued.accessToken, { token_type_hint: 'access_token' });
      await fx.proxy.revocationDelivered(claimsOf(issued.accessToken).jti as string);
      await expectRefused(issued.accessToken, { messageIncludes: 'revoked' });
      const refreshed = await oidc.refreshTokenGrant(fx.oidc, issued.refreshToken);
      expect(refreshed.access_token).to.not.equal(issued.accessToken);
      await expectAccepted(refreshed.access_token);
    });
  });
}
