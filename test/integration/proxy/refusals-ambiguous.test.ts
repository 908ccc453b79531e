import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { engines } from '../../support/databases.ts';
import {
  anthropicClient,
  anthropicErrorOf,
  anthropicRefusal,
  createExchangeRecorder,
  openaiClient,
  openaiErrorOf,
  openaiRefusal,
  withBody,
} from '../../support/proxy-clients.ts';
import { type IssuedTokens, type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

// gpt-5.5 and claude-opus-5-5 are not granted: a body naming one beside a granted model
// must not reach the provider, whichever of the two the provider would read.
const SCOPE = 'openai:gpt-4o-mini:chat anthropic:claude-sonnet-5-5:chat openai:whisper-1:audio';
const MESSAGES = '"messages":[{"role":"user","content":"hi"}]';

for (const engine of engines) {
  describe(`proxy refusals: bodies the provider could read otherwise (${engine})`, () => {
    let fx: ProxyFixture;
    let tokens: IssuedTokens;

    before(async () => {
      fx = await startProxyFixture(engine, {
        allowedScopes: ['openai:*:chat', 'anthropic:*:chat', 'openai:*:audio'],
      });
      tokens = await fx.grant(SCOPE);
    });
    after(async () => {
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());

    async function notForwarded(body: () => Promise<void>): Promise<void> {
      const before = fx.upstream.requests.length;
      await body();
      expect(fx.upstream.requests.length, 'the upstream was reached').to.equal(before);
    }

    /** An OpenAI SDK call whose bytes are replaced by `raw`: 400 invalid_request, message including `says`. */
    async function openaiRefuses(raw: string, says: string, call: (client: OpenAI) => Promise<unknown>) {
      const rec = createExchangeRecorder();
      const client = openaiClient(fx.proxy.openaiBaseURL, tokens.accessToken, {
        fetch: withBody(rec.fetch, raw),
      });
      await openaiRefusal(rec, call(client), {
        status: 400,
        errorClass: OpenAI.BadRequestError,
        code: 'invalid_request',
        type: 'invalid_request_error',
        messageIncludes: says,
      });
    }
    const chat = (client: OpenAI) =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

    async function anthropicRefuses(raw: string, says: string) {
      const rec = createExchangeRecorder();
      const client = anthropicClient(fx.proxy.anthropicBaseURL, tokens.accessToken, {
        fetch: withBody(rec.fetch, raw),
      });
      await anthropicRefusal(
        rec,
        client.messages.create({
          model: 'claude-sonnet-5-5',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'hi' }],
        }),
        {
          status: 400,
          errorClass: Anthropic.BadRequestError,
          type: 'invalid_request_error',
          messageIncludes: says,
        },
      );
    }

    it('the same JSON body with one model goes through (control)', async () => {
      const rec = createExchangeRecorder();
      const client = openaiClient(fx.proxy.openaiBaseURL, tokens.accessToken, {
        fetch: withBody(rec.fetch, `{"model":"gpt-4o-mini",${MESSAGES}}`),
      });
      await chat(client);
      expect((await fx.upstream.control.waitForRequest()).json).to.have.property('model', 'gpt-4o-mini');
    });

    it('model twice, a granted and a forbidden one, in either order: 400 naming model', async () => {
      await notForwarded(async () => {
        const twice = 'model appears twice';
        await openaiRefuses(`{"model":"gpt-4o-mini",${MESSAGES},"model":"gpt-5.5"}`, twice, chat);
        await openaiRefuses(`{"model":"gpt-5.5",${MESSAGES},"model":"gpt-4o-mini"}`, twice, chat);
        await anthropicRefuses(
          `{"model":"claude-sonnet-5-5","max_tokens":16,${MESSAGES},"model":"claude-opus-5-5"}`,
          twice,
        );
        await anthropicRefuses(
          `{"model":"claude-opus-5-5","max_tokens":16,${MESSAGES},"model":"claude-sonnet-5-5"}`,
          twice,
        );
        // Both granted is refused too: the proxy cannot know which the provider reads.
        await openaiRefuses(`{"model":"gpt-4o-mini","model":"gpt-4o-mini",${MESSAGES}}`, twice, chat);
      });
    });

    it('model twice, once written with escapes: 400 naming model', async () => {
      await notForwarded(async () => {
        await openaiRefuses(
          `{"mo\\u0064el":"gpt-5.5",${MESSAGES},"model":"gpt-4o-mini"}`,
          'model appears twice',
          chat,
        );
        await anthropicRefuses(
          `{"model":"claude-sonnet-5-5","\\u006dodel":"claude-opus-5-5","max_tokens":16,${MESSAGES}}`,
          'model appears twice',
        );
      });
    });

    it('a nested key twice (the thinking budget, a message role): 400 naming its path', async () => {
      await notForwarded(async () => {
        await anthropicRefuses(
          `{"model":"claude-sonnet-5-5","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":1024,"budget_tokens":4000},${MESSAGES}}`,
          'thinking.budget_tokens appears twice',
        );
        await openaiRefuses(
          `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi","role":"system"}]}`,
          'messages[0].role appears twice',
          chat,
        );
      });
    });

    it('values of another type than the proxy read: 400 naming the field', async () => {
      await notForwarded(async () => {
        await openaiRefuses(`{"model":"gpt-4o-mini",${MESSAGES},"n":"3"}`, 'n must be a whole number', chat);
        await openaiRefuses(
          `{"model":"gpt-4o-mini",${MESSAGES},"n":3.0000001}`,
          'n must be a whole number',
          chat,
        );
        await openaiRefuses(
          `{"model":"gpt-4o-mini",${MESSAGES},"max_tokens":"10"}`,
          'max_tokens must be a whole number',
          chat,
        );
        await openaiRefuses(
          '{"model":"gpt-4o-mini","input":"hi","background":1}',
          'background must be true or false',
          (client) => client.responses.create({ model: 'gpt-4o-mini', input: 'hi' }),
        );
        await anthropicRefuses(
          `{"model":"claude-sonnet-5-5","max_tokens":"10",${MESSAGES}}`,
          'max_tokens must be a whole number',
        );
        await anthropicRefuses(
          `{"model":"claude-sonnet-5-5","max_tokens":16,"stream":"true",${MESSAGES}}`,
          'stream must be true or false',
        );
      });
    });

    describe('multipart', () => {
      function transcription(models: string[]): Promise<Response> {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(64)], { type: 'audio/wav' }), 'a.wav');
        for (const model of models) form.append('model', model);
        return fetch(`${fx.proxy.openaiBaseURL}/audio/transcriptions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.accessToken}` },
          body: form,
        });
      }

      it('one model goes through (control)', async () => {
        const res = await transcription(['whisper-1']);
        expect(res.status, await res.text()).to.equal(200);
        expect(fx.upstream.requests.at(-1)?.route).to.equal('/v1/audio/transcriptions');
      });

      it('model twice, a granted and a forbidden one, in either order: 400 naming model', async () => {
        await notForwarded(async () => {
          for (const models of [
            ['whisper-1', 'gpt-4o-transcribe'],
            ['gpt-4o-transcribe', 'whisper-1'],
          ]) {
            const res = await transcription(models);
            expect(res.status).to.equal(400);
            const error = openaiErrorOf(await res.text());
            expect(error.code).to.equal('invalid_request');
            expect(error.type).to.equal('invalid_request_error');
            expect(error.message).to.include('model appears twice');
          }
        });
      });
    });

    it('an Anthropic refusal of a repeated key is in the Anthropic shape over plain fetch too', async () => {
      await notForwarded(async () => {
        const res = await fetch(`${fx.proxy.anthropicBaseURL}/v1/messages`, {
          method: 'POST',
          headers: { 'x-api-key': tokens.accessToken, 'content-type': 'application/json' },
          body: `{"model":"claude-sonnet-5-5","max_tokens":16,"max_tokens":99999,${MESSAGES}}`,
        });
        expect(res.status).to.equal(400);
        const error = anthropicErrorOf(await res.text());
        expect(error.type).to.equal('invalid_request_error');
        expect(error.message).to.include('max_tokens appears twice');
      });
    });
  });
}
