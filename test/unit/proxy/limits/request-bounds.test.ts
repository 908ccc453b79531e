import { expect } from 'chai';
import { DEFAULT_PRICES } from '../../../../src/config/default-prices.ts';
import { boundRequest } from '../../../../src/proxy/endpoints/bound-request.ts';
import { findPrice, type ModelPrice } from '../../../../src/proxy/limits/price-table.ts';
import {
  ANTHROPIC_TOOL_PROMPT_TOKENS,
  DEFAULT_IMAGE_INPUT_TOKENS,
  PARTIAL_IMAGE_OUTPUT_TOKENS,
  type RequestBound,
  setOutputBound,
} from '../../../../src/proxy/limits/request-bounds.ts';
import type { Provider } from '../../../../src/scopes/index.ts';

const CHAT: ModelPrice = { input: 1, output: 2, contextWindow: 100_000, maxOutputTokens: 1000 };

/** Bounds a JSON request the way the proxy does: its bytes are those of the JSON text. */
function bound(
  provider: Provider,
  upstreamPath: string,
  json: Record<string, unknown> | undefined,
  ...rest: [price?: ModelPrice | undefined, model?: string | undefined]
): RequestBound {
  const price = rest.length > 0 ? rest[0] : CHAT;
  const model = rest.length > 1 ? rest[1] : 'm-1';
  const bodyBytes = json ? Buffer.byteLength(JSON.stringify(json)) : 0;
  return boundRequest({ provider, upstreamPath, json, bodyBytes, price, model });
}

const bytes = (json: unknown) => Buffer.byteLength(JSON.stringify(json));

function tokens(result: RequestBound) {
  if (result.kind !== 'tokens') throw new Error(`expected a token bound, got ${JSON.stringify(result)}`);
  return result;
}

function reason(result: RequestBound): string {
  if (result.kind !== 'unbounded') throw new Error(`expected unbounded, got ${JSON.stringify(result)}`);
  return result.reason;
}

const user = (content: unknown) => [{ role: 'user', content }];
const PNG = `data:image/png;base64,${'A'.repeat(200_000)}`;

describe('proxy/limits/request-bounds', () => {
  describe('input', () => {
    it("bounds text and its framing by the body's bytes", () => {
      const json = { model: 'm-1', messages: user('héllo ✓ wörld') };
      const result = tokens(bound('openai', '/v1/chat/completions', json));
      expect(result.inputTokens).to.equal(bytes(json));
    });

    it('counts each image part at the price of one image, not the bytes of its payload', () => {
      const price = { ...CHAT, contextWindow: 1_000_000, imageInputTokens: 1500 };
      const chat = {
        model: 'm-1',
        messages: user([
          { type: 'text', text: 'two pictures' },
          { type: 'image_url', image_url: { url: PNG, detail: 'high' } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
        ]),
      };
      const result = tokens(bound('openai', '/v1/chat/completions', chat, price));
      const payload = PNG.length + 'https://example.com/a.png'.length;
      expect(result.inputTokens).to.equal(bytes(chat) - payload + 2 * 1500);

      const responses = {
        model: 'm-1',
        input: [{ role: 'user', content: [{ type: 'input_image', image_url: PNG }] }],
      };
      expect(tokens(bound('openai', '/v1/responses', responses, price)).inputTokens).to.equal(
        bytes(responses) - PNG.length + 1500,
      );

      const data = 'A'.repeat(50_000);
      const messages = {
        model: 'm-1',
        max_tokens: 10,
        messages: [
          // Images anywhere count, also inside a tool result.
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data } }],
          },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 't',
                content: [{ type: 'image', source: { type: 'url', url: 'https://x.test/i.png' } }],
              },
            ],
          },
        ],
      };
      expect(tokens(bound('anthropic', '/v1/messages', messages, price)).inputTokens).to.equal(
        bytes(messages) - data.length - 'https://x.test/i.png'.length + 2 * 1500,
      );
    });

    it('uses the documented default for an image when the price has no image size', () => {
      const json = {
        model: 'm-1',
        messages: user([{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }]),
      };
      const price = { input: 1, output: 2, contextWindow: 10_000_000 };
      const result = tokens(bound('openai', '/v1/chat/completions', json, price));
      expect(result.inputTokens).to.equal(
        bytes(json) - 'https://x.test/a.png'.length + DEFAULT_IMAGE_INPUT_TOKENS,
      );
    });

    it('caps the input at the context window', () => {
      const json = { model: 'm-1', messages: user('x'.repeat(5000)) };
      expect(
        tokens(bound('openai', '/v1/chat/completions', json, { ...CHAT, contextWindow: 1000 })).inputTokens,
      ).to.equal(1000);
      const images = { model: 'm-1', messages: user([{ type: 'image_url', image_url: { url: PNG } }]) };
      expect(
        tokens(bound('openai', '/v1/chat/completions', images, { input: 1, output: 2, contextWindow: 4000 }))
          .inputTokens,
      ).to.equal(4000);
    });

    it('bounds files and documents by the context window, and refuses them without one', () => {
      const chatFile = {
        model: 'm-1',
        messages: user([{ type: 'file', file: { file_data: 'data:application/pdf;base64,AAAA' } }]),
      };
      const responsesFile = {
        model: 'm-1',
        input: [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://x.test/a.pdf' }] }],
      };
      const document = {
        model: 'm-1',
        max_tokens: 5,
        messages: user([
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'AAAA' } },
        ]),
      };
      expect(tokens(bound('openai', '/v1/chat/completions', chatFile)).inputTokens).to.equal(100_000);
      expect(tokens(bound('openai', '/v1/responses', responsesFile)).inputTokens).to.equal(100_000);
      expect(tokens(bound('anthropic', '/v1/messages', document)).inputTokens).to.equal(100_000);

      const noWindow = { input: 1, output: 2 };
      expect(reason(bound('openai', '/v1/chat/completions', chatFile, noWindow))).to.equal(
        'a file part can hold more tokens than its bytes, and model m-1 has no contextWindow to bound them',
      );
      expect(reason(bound('openai', '/v1/responses', responsesFile, noWindow))).to.include('input_file');
      expect(reason(bound('anthropic', '/v1/messages', document, noWindow))).to.include('document');
    });

    it('bounds a stored prompt by the context window', () => {
      const json = { model: 'm-1', prompt: { id: 'pmpt_1' }, input: 'hi' };
      expect(tokens(bound('openai', '/v1/responses', json)).inputTokens).to.equal(100_000);
      expect(reason(bound('openai', '/v1/responses', json, { input: 1, output: 2 }))).to.include(
        'stored prompt',
      );
    });

    it('adds the tool-use system prompt to Anthropic requests with tools', () => {
      const json = {
        model: 'm-1',
        max_tokens: 10,
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
        messages: user('hi'),
      };
      expect(tokens(bound('anthropic', '/v1/messages', json)).inputTokens).to.equal(
        bytes(json) + ANTHROPIC_TOOL_PROMPT_TOKENS,
      );
      // A custom tool may say so.
      const custom = { ...json, tools: [{ type: 'custom', name: 'f', input_schema: { type: 'object' } }] };
      expect(bound('anthropic', '/v1/messages', custom).kind).to.equal('tokens');
    });

    it('refuses audio input, which is not priced', () => {
      const json = {
        model: 'm-1',
        messages: user([{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }]),
      };
      expect(reason(bound('openai', '/v1/chat/completions', json))).to.equal('audio input is not priced');
    });

    it('survives a deeply nested body', () => {
      let deep: unknown = { type: 'file' };
      for (let i = 0; i < 100_000; i++) deep = [deep];
      const json = { model: 'm-1', messages: user(deep) };
      const result = boundRequest({
        provider: 'openai',
        upstreamPath: '/v1/chat/completions',
        json,
        bodyBytes: 200_100,
        price: { input: 1, output: 2 },
        model: 'm-1',
      });
      // Nothing that deep is a valid request: the bytes still bound it.
      expect(tokens(result).inputTokens).to.equal(200_100);
    });
  });

  describe('OpenAI chat completions', () => {
    const chat = (extra: Record<string, unknown>) =>
      tokens(bound('openai', '/v1/chat/completions', { model: 'm-1', messages: user('hi'), ...extra }));

    it('uses n choices of max_completion_tokens ?? max_tokens, and names the field to set', () => {
      expect(chat({})).to.include({
        choices: 1,
        requestedOutputPerChoice: undefined,
        outputField: 'max_completion_tokens',
        maxOutputPerChoice: 1000,
      });
      expect(chat({ max_completion_tokens: 50, n: 3 })).to.include({
        choices: 3,
        requestedOutputPerChoice: 50,
        outputField: 'max_completion_tokens',
      });
      expect(chat({ max_tokens: 40 })).to.include({
        requestedOutputPerChoice: 40,
        outputField: 'max_tokens',
      });
      expect(chat({ max_tokens: null, max_completion_tokens: 30 })).to.include({
        requestedOutputPerChoice: 30,
        outputField: 'max_completion_tokens',
      });
      // Both set: the larger one (should the upstream not refuse it).
      expect(chat({ max_tokens: 80, max_completion_tokens: 30 })).to.include({
        requestedOutputPerChoice: 80,
        outputField: 'max_completion_tokens',
      });
    });

    it('leaves an invalid n to the upstream (one choice), and refuses a non-numeric bound', () => {
      expect(chat({ n: 0 }).choices).to.equal(1);
      expect(chat({ n: 2.5 }).choices).to.equal(1);
      expect(chat({ n: '3' }).choices).to.equal(1);
      expect(chat({ n: null }).choices).to.equal(1);
      expect(reason(bound('openai', '/v1/chat/completions', { model: 'm-1', max_tokens: '5' }))).to.equal(
        'max_tokens must be a number of tokens',
      );
      expect(
        reason(bound('openai', '/v1/chat/completions', { model: 'm-1', max_completion_tokens: -1 })),
      ).to.equal('max_completion_tokens must be a number of tokens');
    });

    it('refuses audio output, web search, predicted outputs and premium tiers', () => {
      const refused = (extra: Record<string, unknown>) =>
        reason(bound('openai', '/v1/chat/completions', { model: 'm-1', messages: user('hi'), ...extra }));
      expect(refused({ modalities: ['text', 'audio'] })).to.equal('audio output is not priced');
      expect(refused({ audio: { voice: 'alloy', format: 'wav' } })).to.equal('audio output is not priced');
      expect(refused({ web_search_options: {} })).to.include('web search');
      expect(refused({ prediction: { type: 'content', content: 'x' } })).to.include('predicted outputs');
      expect(refused({ service_tier: 'priority' })).to.include('service_tier "priority"');
      expect(refused({ service_tier: 'fast' })).to.include('service_tier "fast"');
      for (const tier of ['auto', 'default', 'flex', null]) {
        expect(chat({ service_tier: tier }).kind).to.equal('tokens');
      }
      expect(
        chat({ modalities: ['text'], tools: [{ type: 'function', function: { name: 'f' } }] }).kind,
      ).to.equal('tokens');
    });
  });

  describe('OpenAI responses', () => {
    it('uses one choice of max_output_tokens', () => {
      const result = tokens(
        bound('openai', '/v1/responses', { model: 'm-1', input: 'hi', max_output_tokens: 64 }),
      );
      expect(result).to.include({
        choices: 1,
        requestedOutputPerChoice: 64,
        outputField: 'max_output_tokens',
      });
      const none = tokens(bound('openai', '/v1/responses', { model: 'm-1', input: 'hi' }));
      expect(none).to.include({
        requestedOutputPerChoice: undefined,
        outputField: 'max_output_tokens',
        maxOutputPerChoice: 1000,
      });
    });

    it('refuses built-in tools, server-side compaction and premium tiers', () => {
      for (const type of [
        'web_search',
        'file_search',
        'code_interpreter',
        'image_generation',
        'mcp',
        'computer_use_preview',
      ]) {
        expect(
          reason(
            bound('openai', '/v1/responses', {
              model: 'm-1',
              input: 'hi',
              tools: [{ type: 'function', name: 'f' }, { type }],
            }),
          ),
        ).to.equal(`the built-in tool ${type} is billed per call and adds tokens Mandate cannot bound`);
      }
      const ok = {
        model: 'm-1',
        input: 'hi',
        tools: [
          { type: 'function', name: 'f' },
          { type: 'custom', name: 'g' },
        ],
      };
      expect(bound('openai', '/v1/responses', ok).kind).to.equal('tokens');
      expect(
        reason(
          bound('openai', '/v1/responses', {
            model: 'm-1',
            input: 'hi',
            context_management: [{ type: 'compaction' }],
          }),
        ),
      ).to.include('compaction');
      expect(
        reason(bound('openai', '/v1/responses', { model: 'm-1', input: 'hi', service_tier: 'priority' })),
      ).to.include('priority');
    });
  });

  describe('Anthropic messages', () => {
    it('uses one choice of max_tokens', () => {
      const result = tokens(
        bound('anthropic', '/v1/messages', { model: 'm-1', max_tokens: 256, messages: user('hi') }),
      );
      expect(result).to.include({
        choices: 1,
        requestedOutputPerChoice: 256,
        outputField: 'max_tokens',
        maxOutputPerChoice: 1000,
      });
      expect(
        tokens(bound('anthropic', '/v1/messages', { model: 'm-1', messages: user('hi') }))
          .requestedOutputPerChoice,
      ).to.equal(undefined);
    });

    it('refuses server tools, MCP servers, fast mode, US-only inference and compaction', () => {
      const refused = (extra: Record<string, unknown>) =>
        reason(
          bound('anthropic', '/v1/messages', { model: 'm-1', max_tokens: 5, messages: user('hi'), ...extra }),
        );
      expect(refused({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).to.equal(
        'the tool type web_search_20250305 is billed per use or adds tokens Mandate cannot bound',
      );
      expect(refused({ tools: [{ type: 'bash_20250124', name: 'bash' }] })).to.include('bash_20250124');
      expect(refused({ mcp_servers: [{ type: 'url', url: 'https://x.test', name: 'x' }] })).to.include('MCP');
      expect(refused({ speed: 'fast' })).to.include('speed "fast"');
      expect(refused({ inference_geo: 'us' })).to.include('inference_geo "us"');
      expect(refused({ context_management: { edits: [{ type: 'compact_20260112' }] } })).to.include(
        'compaction',
      );
      const fine = tokens(
        bound('anthropic', '/v1/messages', {
          model: 'm-1',
          max_tokens: 5,
          messages: user('hi'),
          speed: 'standard',
          inference_geo: 'global',
          service_tier: 'auto',
          context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
        }),
      );
      expect(fine.kind).to.equal('tokens');
    });
  });

  describe('embeddings', () => {
    it('bounds the input by the bytes, with no output and no context-window cap', () => {
      const json = { model: 'm-1', input: ['a'.repeat(300), 'b'.repeat(300)] };
      const result = bound('openai', '/v1/embeddings', json, { input: 0.02, contextWindow: 100 });
      expect(result).to.deep.equal({
        kind: 'tokens',
        inputTokens: bytes(json),
        choices: 1,
        requestedOutputPerChoice: 0,
        outputField: undefined,
        maxOutputPerChoice: 0,
      });
    });
  });

  describe('prices and models', () => {
    it('names the model without a price, and the missing token price', () => {
      expect(
        reason(bound('openai', '/v1/chat/completions', { model: 'gpt-9' }, undefined, 'gpt-9')),
      ).to.equal('no price for model gpt-9');
      expect(reason(bound('openai', '/v1/chat/completions', {}, undefined, undefined))).to.include(
        'no model',
      );
      expect(reason(bound('openai', '/v1/chat/completions', { model: 'm-1' }, { output: 1 }))).to.equal(
        'model m-1 has no input token price',
      );
      expect(reason(bound('openai', '/v1/chat/completions', { model: 'm-1' }, { input: 1 }))).to.equal(
        'model m-1 has no output token price',
      );
      expect(reason(bound('openai', '/v1/embeddings', { model: 'm-1' }, { perRequest: 1 }))).to.equal(
        'model m-1 has no input token price',
      );
      const search = findPrice(DEFAULT_PRICES, 'openai', 'gpt-4o-mini-search-preview');
      expect(
        reason(bound('openai', '/v1/chat/completions', { model: 'x' }, search, 'gpt-4o-mini-search-preview')),
      ).to.include('no input token price');
    });

    it('makes model listings, moderations and token counting free, priced or not', () => {
      const free = { kind: 'fixed', microUsd: 0 };
      expect(
        boundRequest({
          provider: 'openai',
          upstreamPath: '/v1/models',
          json: undefined,
          bodyBytes: 0,
          price: undefined,
          model: undefined,
        }),
      ).to.deep.equal(free);
      expect(bound('anthropic', '/v1/models/claude-x', undefined, undefined, undefined)).to.deep.equal(free);
      expect(
        bound('openai', '/v1/moderations', { model: 'omni-moderation-latest', input: 'x' }, undefined),
      ).to.deep.equal(free);
      expect(
        bound('anthropic', '/v1/messages/count_tokens', { model: 'm-1', messages: [] }, undefined),
      ).to.deep.equal(free);
    });
  });

  describe('images', () => {
    const IMAGES: ModelPrice = { perImage: { '1024x1024': 0.04, '1024x1792': 0.08, '1792x1024': 0.08 } };
    const generate = (json: Record<string, unknown>, price: ModelPrice = IMAGES) =>
      bound('openai', '/v1/images/generations', { model: 'img', prompt: 'a cat', ...json }, price, 'img');

    it('prices n images of the asked size, the largest for auto or none', () => {
      expect(generate({ size: '1024x1024' })).to.deep.equal({ kind: 'fixed', microUsd: 40_000 });
      expect(generate({ size: '1024x1792', n: 3 })).to.deep.equal({ kind: 'fixed', microUsd: 240_000 });
      expect(generate({ size: 'auto', n: 2 })).to.deep.equal({ kind: 'fixed', microUsd: 160_000 });
      expect(generate({})).to.deep.equal({ kind: 'fixed', microUsd: 80_000 });
      expect(generate({ n: 0 })).to.deep.equal({ kind: 'fixed', microUsd: 80_000 });
      expect(reason(generate({ size: '4096x4096' }))).to.equal('size "4096x4096" has no price for model img');
    });

    it('adds the prompt at the text rate and streamed partial images at the output rate', () => {
      const json = { model: 'img', prompt: 'a cat', size: '1024x1024', n: 2, partial_images: 3 };
      const result = bound(
        'openai',
        '/v1/images/generations',
        json,
        { ...IMAGES, input: 5, output: 40 },
        'img',
      );
      expect(result).to.deep.equal({
        kind: 'fixed',
        microUsd: 80_000 + bytes(json) * 5 + 2 * 3 * PARTIAL_IMAGE_OUTPUT_TOKENS * 40,
      });
    });

    it('rounds the shipped prices up to whole micro-dollars', () => {
      const price = findPrice(DEFAULT_PRICES, 'openai', 'dall-e-3');
      expect(generate({ size: '1024x1024' }, price)).to.deep.equal({ kind: 'fixed', microUsd: 80_000 });
      const gptImage = findPrice(DEFAULT_PRICES, 'openai', 'gpt-image-1') as ModelPrice;
      const json = { model: 'gpt-image-1', prompt: 'a cat' };
      const result = bound('openai', '/v1/images/generations', json, gptImage, 'gpt-image-1');
      expect(result).to.deep.equal({ kind: 'fixed', microUsd: 250_000 + bytes(json) * 5 });
    });

    it('uses the price per request for multipart edits and variations, else refuses them', () => {
      const multipart = (path: string, price: ModelPrice) =>
        boundRequest({
          provider: 'openai',
          upstreamPath: path,
          json: undefined,
          bodyBytes: 5000,
          price,
          model: 'img',
        });
      expect(reason(multipart('/v1/images/edits', IMAGES))).to.include('/v1/images/edits is not priced');
      expect(reason(multipart('/v1/images/variations', IMAGES))).to.include('not priced');
      expect(multipart('/v1/images/edits', { ...IMAGES, perRequest: 0.5 })).to.deep.equal({
        kind: 'fixed',
        microUsd: 500_000,
      });
      expect(reason(generate({}, { input: 1, output: 1 }))).to.equal('model img has no price per image');
    });
  });

  describe('audio and other endpoints', () => {
    it('uses the price per request, else says the endpoint is not priced', () => {
      const speech = { model: 'tts-1', input: 'hello', voice: 'alloy' };
      expect(reason(bound('openai', '/v1/audio/speech', speech, { input: 1, output: 1 }, 'tts-1'))).to.equal(
        '/v1/audio/speech is not priced for model tts-1',
      );
      expect(bound('openai', '/v1/audio/speech', speech, { perRequest: 0.0615 }, 'tts-1')).to.deep.equal({
        kind: 'fixed',
        microUsd: 61_500,
      });
      const transcription = boundRequest({
        provider: 'openai',
        upstreamPath: '/v1/audio/transcriptions',
        json: undefined,
        bodyBytes: 100_000,
        price: { perRequest: 0.1 },
        model: 'whisper-1',
      });
      expect(transcription).to.deep.equal({ kind: 'fixed', microUsd: 100_000 });
    });
  });

  describe('setOutputBound', () => {
    it('sets the named field in place', () => {
      const json: Record<string, unknown> = { model: 'm-1' };
      setOutputBound(json, 'max_output_tokens', 77);
      expect(json).to.deep.equal({ model: 'm-1', max_output_tokens: 77 });
      const anthropic: Record<string, unknown> = { max_tokens: 5000 };
      setOutputBound(anthropic, 'max_tokens', 100);
      expect(anthropic.max_tokens).to.equal(100);
    });

    it('lowers a deprecated max_tokens set next to max_completion_tokens', () => {
      const json: Record<string, unknown> = { max_completion_tokens: 500, max_tokens: 800 };
      setOutputBound(json, 'max_completion_tokens', 100);
      expect(json).to.deep.equal({ max_completion_tokens: 100, max_tokens: 100 });
    });

    it('refuses a bound that is not a whole number of tokens', () => {
      expect(() => setOutputBound({}, 'max_tokens', 1.5)).to.throw(RangeError);
      expect(() => setOutputBound({}, 'max_tokens', -1)).to.throw(RangeError);
    });
  });
});
