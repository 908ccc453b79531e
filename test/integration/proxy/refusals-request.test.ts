import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { engines } from '../../support/databases.ts';
import {
  anthropicClient,
  anthropicErrorOf,
  anthropicRefusal,
  createExchangeRecorder,
  expectInsufficientScopeChallenge,
  openaiClient,
  openaiErrorOf,
  openaiRefusal,
  withBody,
} from '../../support/proxy-clients.ts';
import { type IssuedTokens, type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

const SCOPE = 'openai:gpt-4o-mini:chat anthropic:claude-sonnet-5-5:chat';
const OPENAI_ONLY = 'openai:gpt-4o-mini:chat';
const APP_ORIGIN = 'https://app.example';
const OTHER_APP_ORIGIN = 'https://other-app.example';
const STRANGER_ORIGIN = 'https://evil.example';

const user = (content: string) => [{ role: 'user' as const, content }];

for (const engine of engines) {
  describe(`proxy refusals: what the request asks for (${engine})`, () => {
    let fx: ProxyFixture;
    let tokens: IssuedTokens;
    let openaiOnly: IssuedTokens;

    before(async () => {
      fx = await startProxyFixture(engine, {
        redirectUris: ['http://127.0.0.1:9/callback', `${APP_ORIGIN}/callback`],
      });
      await fx.as.addClient({ name: 'Another app', redirectUris: [`${OTHER_APP_ORIGIN}/callback`] });
      tokens = await fx.grant(SCOPE);
      // Another app: allowing the same app again would replace the grant behind `tokens`.
      openaiOnly = await (await fx.addApp('Reader')).grant(OPENAI_ONLY);
    });
    after(async () => {
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());

    /** Runs `body`, then checks none of its requests reached the upstream. */
    async function notForwarded(body: () => Promise<void>): Promise<void> {
      const before = fx.upstream.requests.length;
      await body();
      expect(fx.upstream.requests.length, 'the upstream was reached').to.equal(before);
    }

    function openaiWith(token: string, options: Parameters<typeof openaiClient>[2] = {}) {
      const rec = createExchangeRecorder();
      return { rec, client: openaiClient(fx.proxy.openaiBaseURL, token, { fetch: rec.fetch, ...options }) };
    }
    function anthropicWith(token: string, options: Parameters<typeof anthropicClient>[2] = {}) {
      const rec = createExchangeRecorder();
      return {
        rec,
        client: anthropicClient(fx.proxy.anthropicBaseURL, token, { fetch: rec.fetch, ...options }),
      };
    }

    describe('scopes', () => {
      it('a model that was not granted: 403 insufficient_scope naming the scope', async () => {
        await notForwarded(async () => {
          const o = openaiWith(tokens.accessToken);
          const refused = await openaiRefusal(
            o.rec,
            o.client.chat.completions.create({ model: 'gpt-5.5', messages: user('hi') }),
            {
              status: 403,
              errorClass: OpenAI.PermissionDeniedError,
              code: 'insufficient_scope',
              type: 'permission_error',
              messageIncludes: 'openai:gpt-5.5:chat',
            },
          );
          expectInsufficientScopeChallenge(refused.exchange.headers, fx.proxy.url, 'openai:gpt-5.5:chat');

          const a = anthropicWith(tokens.accessToken);
          const refusedA = await anthropicRefusal(
            a.rec,
            a.client.messages.create({ model: 'claude-opus-5-5', max_tokens: 16, messages: user('hi') }),
            {
              status: 403,
              errorClass: Anthropic.PermissionDeniedError,
              type: 'permission_error',
              messageIncludes: 'anthropic:claude-opus-5-5:chat',
            },
          );
          expectInsufficientScopeChallenge(
            refusedA.exchange.headers,
            fx.proxy.url,
            'anthropic:claude-opus-5-5:chat',
          );
        });
      });

      it('a capability that was not granted (embeddings, model listing with a chat-only token): 403', async () => {
        await notForwarded(async () => {
          const o = openaiWith(tokens.accessToken);
          const embeddings = await openaiRefusal(
            o.rec,
            o.client.embeddings.create({ model: 'text-embedding-3-small', input: 'a b c' }),
            {
              status: 403,
              errorClass: OpenAI.PermissionDeniedError,
              code: 'insufficient_scope',
              type: 'permission_error',
              messageIncludes: 'openai:text-embedding-3-small:embeddings',
            },
          );
          expectInsufficientScopeChallenge(
            embeddings.exchange.headers,
            fx.proxy.url,
            'openai:text-embedding-3-small:embeddings',
          );
          const listing = await openaiRefusal(o.rec, o.client.models.list(), {
            status: 403,
            errorClass: OpenAI.PermissionDeniedError,
            code: 'insufficient_scope',
          });
          expectInsufficientScopeChallenge(listing.exchange.headers, fx.proxy.url, 'openai:*:models');

          const a = anthropicWith(tokens.accessToken);
          const listingA = await anthropicRefusal(a.rec, a.client.models.list(), {
            status: 403,
            errorClass: Anthropic.PermissionDeniedError,
            type: 'permission_error',
          });
          expectInsufficientScopeChallenge(listingA.exchange.headers, fx.proxy.url, 'anthropic:*:models');
        });
      });

      it('a provider that was not granted (Anthropic with an OpenAI-only token): 403', async () => {
        await notForwarded(async () => {
          const a = anthropicWith(openaiOnly.accessToken);
          const refused = await anthropicRefusal(
            a.rec,
            a.client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: user('hi') }),
            {
              status: 403,
              errorClass: Anthropic.PermissionDeniedError,
              type: 'permission_error',
              messageIncludes: 'anthropic:claude-sonnet-5-5:chat',
            },
          );
          expectInsufficientScopeChallenge(
            refused.exchange.headers,
            fx.proxy.url,
            'anthropic:claude-sonnet-5-5:chat',
          );
        });
        // The same token works where it was granted (control).
        const ok = await openaiClient(fx.proxy.openaiBaseURL, openaiOnly.accessToken).chat.completions.create(
          {
            model: 'gpt-4o-mini',
            messages: user('hi'),
          },
        );
        expect(ok.choices).to.have.length.greaterThan(0);
      });
    });

    describe('endpoints', () => {
      it('an unknown path: 404 in the provider shape', async () => {
        await notForwarded(async () => {
          const o = openaiWith(tokens.accessToken);
          await openaiRefusal(o.rec, o.client.get('/nonexistent'), {
            status: 404,
            errorClass: OpenAI.NotFoundError,
            code: 'unknown_endpoint',
            type: 'invalid_request_error',
          });
          // Legacy completions: a real OpenAI endpoint, but not in the capability table.
          await openaiRefusal(o.rec, o.client.completions.create({ model: 'gpt-4o-mini', prompt: 'hi' }), {
            status: 404,
            errorClass: OpenAI.NotFoundError,
            code: 'unknown_endpoint',
          });
          const a = anthropicWith(tokens.accessToken);
          await anthropicRefusal(a.rec, a.client.get('/v1/nonexistent'), {
            status: 404,
            errorClass: Anthropic.NotFoundError,
            type: 'not_found_error',
          });
          for (const path of ['/nope', '/openai/v2/chat/completions', '/azure/v1/chat/completions']) {
            const res = await fetch(`${fx.proxy.url}${path}`, {
              method: 'POST',
              headers: { authorization: `Bearer ${tokens.accessToken}`, 'content-type': 'application/json' },
              body: JSON.stringify({ model: 'gpt-4o-mini', messages: user('hi') }),
            });
            expect(res.status, path).to.equal(404);
            expect(openaiErrorOf(await res.text()).code, path).to.equal('unknown_endpoint');
          }
        });
      });

      it('endpoints reaching data stored upstream: 403 saying why', async () => {
        await notForwarded(async () => {
          const o = openaiWith(tokens.accessToken);
          const calls: Array<[string, () => Promise<unknown>]> = [
            ['GET /v1/files', () => o.client.files.list()],
            ['GET /v1/responses/resp_123', () => o.client.responses.retrieve('resp_123')],
            ['DELETE /v1/models/x', () => o.client.models.delete('x')],
            ['GET /v1/chat/completions', () => o.client.chat.completions.list()],
            ['GET /v1/vector_stores', () => o.client.vectorStores.list()],
          ];
          for (const [what, call] of calls) {
            const refused = await openaiRefusal(o.rec, call(), {
              status: 403,
              errorClass: OpenAI.PermissionDeniedError,
              code: 'endpoint_denied',
              type: 'permission_error',
              messageIncludes: "data stored on the person's account",
            });
            expect(refused.error.message, what).to.include(what.split(' ')[1] as string);
            expect(refused.exchange.headers.get('www-authenticate'), what).to.equal(null);
          }
          const a = anthropicWith(tokens.accessToken);
          await anthropicRefusal(
            a.rec,
            a.client.messages.batches.create({
              requests: [
                {
                  custom_id: 'one',
                  params: { model: 'claude-sonnet-5-5', max_tokens: 16, messages: user('hi') },
                },
              ],
            }),
            {
              status: 403,
              errorClass: Anthropic.PermissionDeniedError,
              type: 'permission_error',
              messageIncludes: "data stored on the person's account",
            },
          );
          await anthropicRefusal(a.rec, a.client.messages.batches.list(), {
            status: 403,
            errorClass: Anthropic.PermissionDeniedError,
            messageIncludes: "data stored on the person's account",
          });
        });
      });
    });

    describe('headers and bodies', () => {
      it('a client-sent OpenAI-Organization or OpenAI-Project header: 400', async () => {
        await notForwarded(async () => {
          for (const options of [{ organization: 'org-someone-else' }, { project: 'proj_someone_else' }]) {
            const o = openaiWith(tokens.accessToken, options);
            await openaiRefusal(
              o.rec,
              o.client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('hi') }),
              {
                status: 400,
                errorClass: OpenAI.BadRequestError,
                code: 'header_not_allowed',
                type: 'invalid_request_error',
              },
            );
          }
        });
      });

      it('invalid JSON: 400', async () => {
        await notForwarded(async () => {
          const o = openaiWith(tokens.accessToken);
          const broken = openaiClient(fx.proxy.openaiBaseURL, tokens.accessToken, {
            fetch: withBody(o.rec.fetch, '{"model": "gpt-4o-mini", "messages": ['),
          });
          await openaiRefusal(
            o.rec,
            broken.chat.completions.create({ model: 'gpt-4o-mini', messages: user('hi') }),
            {
              status: 400,
              errorClass: OpenAI.BadRequestError,
              code: 'invalid_json',
              type: 'invalid_request_error',
            },
          );
          const notObject = openaiClient(fx.proxy.openaiBaseURL, tokens.accessToken, {
            fetch: withBody(o.rec.fetch, '["gpt-4o-mini"]'),
          });
          await openaiRefusal(
            o.rec,
            notObject.chat.completions.create({ model: 'gpt-4o-mini', messages: user('hi') }),
            {
              status: 400,
              errorClass: OpenAI.BadRequestError,
              code: 'invalid_json',
            },
          );
          const a = anthropicWith(tokens.accessToken);
          const brokenA = anthropicClient(fx.proxy.anthropicBaseURL, tokens.accessToken, {
            fetch: withBody(a.rec.fetch, '{"model": "claude-sonnet-5-5",'),
          });
          await anthropicRefusal(
            a.rec,
            brokenA.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: user('hi') }),
            { status: 400, errorClass: Anthropic.BadRequestError, type: 'invalid_request_error' },
          );
        });
      });

      it('a request naming no model: 400', async () => {
        await notForwarded(async () => {
          const o = openaiWith(tokens.accessToken);
          await openaiRefusal(o.rec, o.client.chat.completions.create({ messages: user('hi') } as never), {
            status: 400,
            errorClass: OpenAI.BadRequestError,
            code: 'missing_model',
            type: 'invalid_request_error',
          });
          const a = anthropicWith(tokens.accessToken);
          await anthropicRefusal(
            a.rec,
            a.client.messages.create({ max_tokens: 16, messages: user('hi') } as never),
            {
              status: 400,
              errorClass: Anthropic.BadRequestError,
              type: 'invalid_request_error',
            },
          );
        });
      });

      it('a request referencing stored state (previous_response_id, file_search, a file source, background): 403', async () => {
        await notForwarded(async () => {
          const o = openaiWith(tokens.accessToken);
          const cases: Array<[string, () => Promise<unknown>]> = [
            [
              'previous_response_id',
              () =>
                o.client.responses.create({
                  model: 'gpt-4o-mini',
                  input: 'hi',
                  previous_response_id: 'resp_123',
                }),
            ],
            [
              'file_search',
              () =>
                o.client.responses.create({
                  model: 'gpt-4o-mini',
                  input: 'hi',
                  tools: [{ type: 'file_search', vector_store_ids: ['vs_123'] }],
                }),
            ],
            [
              'background',
              () => o.client.responses.create({ model: 'gpt-4o-mini', input: 'hi', background: true }),
            ],
          ];
          for (const [what, call] of cases) {
            await openaiRefusal(o.rec, call(), {
              status: 403,
              errorClass: OpenAI.PermissionDeniedError,
              code: 'stored_state_denied',
              type: 'permission_error',
              messageIncludes: what,
            });
          }
          const a = anthropicWith(tokens.accessToken);
          await anthropicRefusal(
            a.rec,
            a.client.messages.create({
              model: 'claude-sonnet-5-5',
              max_tokens: 16,
              messages: [
                {
                  role: 'user',
                  content: [
                    { type: 'document', source: { type: 'file', file_id: 'file_123' } },
                    { type: 'text', text: 'summarize' },
                  ],
                },
              ],
            } as never),
            { status: 403, errorClass: Anthropic.PermissionDeniedError, type: 'permission_error' },
          );
        });
      });

      it('the token twice, different in Authorization and x-api-key: 400', async () => {
        await notForwarded(async () => {
          const res = await fetch(`${fx.proxy.anthropicBaseURL}/v1/messages`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${tokens.accessToken}`,
              'x-api-key': openaiOnly.accessToken,
              'content-type': 'application/json',
              'anthropic-version': '2023-06-01',
            },
            body: JSON.stringify({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: user('hi') }),
          });
          expect(res.status).to.equal(400);
          expect(anthropicErrorOf(await res.text()).type).to.equal('invalid_request_error');
        });
      });
    });

    describe('CORS', () => {
      const preflight = (origin: string) =>
        fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization, content-type',
          },
        });

      it('a preflight from a registered origin: 204 with the allow headers', async () => {
        const res = await preflight(APP_ORIGIN);
        expect(res.status).to.equal(204);
        expect(res.headers.get('access-control-allow-origin')).to.equal(APP_ORIGIN);
        const methods = (res.headers.get('access-control-allow-methods') ?? '').split(/,\s*/);
        expect(methods).to.include('POST');
        const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/,\s*/);
        expect(allowed).to.include.members(['authorization', 'content-type', 'x-api-key']);
        // @google/genai in a browser sends its API key (the token) and its client tag.
        expect(allowed).to.include.members(['x-goog-api-key', 'x-goog-api-client']);
        // The Anthropic SDK's own headers, and a DPoP proof.
        expect(allowed).to.include.members([
          'anthropic-version',
          'anthropic-dangerous-direct-browser-access',
          'anthropic-beta',
          'dpop',
        ]);
        expect(new Set(allowed).size).to.equal(allowed.length);
        expect(res.headers.get('vary') ?? '').to.match(/origin/i);
      });

      it('a preflight from an origin no app registered: 403 without allow headers', async () => {
        const res = await preflight(STRANGER_ORIGIN);
        expect(res.status).to.equal(403);
        expect(res.headers.get('access-control-allow-origin')).to.equal(null);
        expect(res.headers.get('access-control-allow-headers')).to.equal(null);
      });

      it("a request from one of the app's redirect-URI origins gets access-control-allow-origin", async () => {
        const rec = createExchangeRecorder();
        const client = openaiClient(fx.proxy.openaiBaseURL, tokens.accessToken, {
          fetch: rec.fetch,
          defaultHeaders: { origin: APP_ORIGIN },
        });
        const completion = await client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: user('hi'),
        });
        expect(completion.choices).to.have.length.greaterThan(0);
        expect(rec.last().requestHeaders.get('origin')).to.equal(APP_ORIGIN);
        expect(rec.last().headers.get('access-control-allow-origin')).to.equal(APP_ORIGIN);
      });

      it("a request from an origin that is not the app's: 403, even when another app registered it", async () => {
        await notForwarded(async () => {
          for (const origin of [STRANGER_ORIGIN, OTHER_APP_ORIGIN]) {
            const o = openaiWith(tokens.accessToken, { defaultHeaders: { origin } });
            const refused = await openaiRefusal(
              o.rec,
              o.client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('hi') }),
              {
                status: 403,
                errorClass: OpenAI.PermissionDeniedError,
                code: 'origin_not_allowed',
                type: 'permission_error',
                messageIncludes: origin,
              },
            );
            expect(refused.exchange.headers.get('access-control-allow-origin'), origin).to.equal(null);
          }
          const a = anthropicWith(tokens.accessToken, { defaultHeaders: { origin: STRANGER_ORIGIN } });
          await anthropicRefusal(
            a.rec,
            a.client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: user('hi') }),
            { status: 403, errorClass: Anthropic.PermissionDeniedError, type: 'permission_error' },
          );
        });
      });
    });

    describe('with a 2 KiB body limit', () => {
      before(() => fx.restartProxy({ bodyLimitBytes: 2048 }));

      it('a body under the limit goes through (control)', async () => {
        const completion = await openaiClient(
          fx.proxy.openaiBaseURL,
          tokens.accessToken,
        ).chat.completions.create({
          model: 'gpt-4o-mini',
          messages: user('x'.repeat(1500)),
        });
        expect(completion.choices).to.have.length.greaterThan(0);
      });

      it('an oversize body: 413, declared or streamed', async () => {
        await notForwarded(async () => {
          const o = openaiWith(tokens.accessToken);
          const refused = await openaiRefusal(
            o.rec,
            o.client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('x'.repeat(4000)) }),
            {
              status: 413,
              errorClass: OpenAI.APIError,
              code: 'body_too_large',
              type: 'invalid_request_error',
            },
          );
          expect(refused.err).to.not.be.instanceOf(OpenAI.InternalServerError);
          expect(refused.err).to.not.be.instanceOf(OpenAI.BadRequestError);

          const a = anthropicWith(tokens.accessToken);
          await anthropicRefusal(
            a.rec,
            a.client.messages.create({
              model: 'claude-sonnet-5-5',
              max_tokens: 16,
              messages: user('x'.repeat(4000)),
            }),
            { status: 413, errorClass: Anthropic.ContentTooLargeError, type: 'request_too_large' },
          );

          // No Content-Length: the limit holds for a chunked body too.
          const chunk = new TextEncoder().encode(
            JSON.stringify({ model: 'gpt-4o-mini', messages: user('y') }),
          );
          const padding = new TextEncoder().encode(' '.repeat(1024));
          const body = new ReadableStream<Uint8Array>({
            start(controller) {
              for (let i = 0; i < 4; i++) controller.enqueue(padding);
              controller.enqueue(chunk);
              controller.close();
            },
          });
          const res = await fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tokens.accessToken}`, 'content-type': 'application/json' },
            body,
            duplex: 'half',
          } as RequestInit);
          expect(res.status).to.equal(413);
          expect(openaiErrorOf(await res.text()).code).to.equal('body_too_large');
        });
      });
    });
  });
}
