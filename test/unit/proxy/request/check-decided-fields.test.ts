import { expect } from 'chai';
import { matchEndpoint } from '../../../../src/proxy/endpoints/index.ts';
import { ProxyError } from '../../../../src/proxy/errors/proxy-error.ts';
import { checkDecidedFields } from '../../../../src/proxy/request/check-decided-fields.ts';

/** The rules the endpoint table applies to a POST to this path: the provider's, then the endpoint's. */
function check(provider: Provider, path: string, json: Record<string, unknown> | undefined): void {
  const { provider: spec, spec: endpoint } = matchEndpoint('POST', `/${provider}${path}`);
  checkDecidedFields(json, [...spec.decidedFields, ...endpoint.decidedFields]);
}

type Provider = 'openai' | 'anthropic';

function refusal(provider: Provider, path: string, json: Record<string, unknown>): ProxyError {
  try {
    check(provider, path, json);
  } catch (err) {
    expect(err).to.be.instanceOf(ProxyError);
    expect((err as ProxyError).code).to.equal('invalid_request');
    expect((err as ProxyError).status).to.equal(400);
    return err as ProxyError;
  }
  expect.fail(`${JSON.stringify(json)} was accepted`);
}
const passes = (provider: Provider, path: string, json: Record<string, unknown>) =>
  expect(() => check(provider, path, json), JSON.stringify(json)).not.to.throw();

const CHAT = '/v1/chat/completions';
const MESSAGES = '/v1/messages';

describe('checkDecidedFields: what the proxy decides on has the type it read', () => {
  it('passes ordinary requests, an absent body and null fields', () => {
    check('openai', CHAT, undefined);
    passes('openai', CHAT, {
      model: 'gpt-4o-mini',
      messages: [],
      n: 2,
      max_completion_tokens: 100,
      max_tokens: 100,
      stream: true,
      stream_options: { include_usage: true },
      store: false,
      tools: [{ type: 'function', function: { name: 'f' } }],
      service_tier: 'auto',
      modalities: ['text'],
    });
    passes('openai', '/v1/responses', {
      model: 'gpt-4o-mini',
      input: 'hi',
      max_output_tokens: 1,
      background: false,
      context_management: [],
    });
    passes('openai', '/v1/images/generations', {
      model: 'gpt-image-1',
      prompt: 'a cat',
      n: 10,
      size: '1024x1024',
      quality: 'high',
      partial_images: 0,
      stream: false,
    });
    passes('anthropic', MESSAGES, {
      model: 'claude-sonnet-5-5',
      max_tokens: 1024,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tools: [{ name: 'f', input_schema: {} }],
      speed: 'standard',
      inference_geo: 'global',
      mcp_servers: [],
      context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
    });
    passes('openai', CHAT, {
      n: null,
      max_tokens: null,
      stream: null,
      store: null,
      stream_options: null,
      tools: null,
    });
    // A whole number written with a fraction is that number in JSON.
    passes('openai', CHAT, JSON.parse('{"n": 3.0, "max_tokens": 1e2}'));
  });

  it('refuses n that is not a safe whole number of at least 1, naming it', () => {
    for (const n of ['3', 3.0000001, 0, -1, 2 ** 53, true, [3], { n: 3 }, Number.NaN]) {
      expect(refusal('openai', CHAT, { n }).message).to.match(
        /^n must be a whole number of at least 1, not /,
      );
    }
    expect(refusal('openai', CHAT, { n: '3' }).message).to.equal(
      'n must be a whole number of at least 1, not "3"',
    );
    expect(refusal('openai', CHAT, { n: 3.0000001 }).message).to.include('not 3.0000001');
    expect(refusal('openai', '/v1/images/generations', { n: '4' }).message).to.match(/^n must/);
  });

  it('refuses an output bound that is not a safe whole number of at least 1', () => {
    for (const field of ['max_tokens', 'max_completion_tokens', 'max_output_tokens']) {
      for (const value of ['10', 10.5, 0, -5, 1e300, false]) {
        expect(refusal('openai', CHAT, { [field]: value }).message).to.match(
          new RegExp(`^${field} must be a whole number of at least 1`),
        );
      }
    }
    expect(refusal('anthropic', MESSAGES, { max_tokens: '10' }).message).to.include('max_tokens');
    expect(
      refusal('anthropic', MESSAGES, { thinking: { type: 'enabled', budget_tokens: '2048' } }).message,
    ).to.match(/^thinking\.budget_tokens must be a whole number of at least 1/);
    expect(refusal('anthropic', MESSAGES, { thinking: 'enabled' }).message).to.match(
      /^thinking must be an object/,
    );
    expect(refusal('anthropic', MESSAGES, { thinking: { type: 1 } }).message).to.match(/^thinking\.type/);
    expect(refusal('openai', '/v1/images/generations', { partial_images: '2' }).message).to.match(
      /^partial_images must be a whole number of at least 0/,
    );
  });

  it('refuses stream, store and background that are not booleans', () => {
    for (const field of ['stream', 'store', 'background']) {
      for (const value of ['true', 1, 0, 'false', [], {}]) {
        expect(refusal('openai', '/v1/responses', { [field]: value }).message).to.match(
          new RegExp(`^${field} must be true or false`),
        );
      }
    }
    expect(refusal('anthropic', MESSAGES, { stream: 'true' }).message).to.equal(
      'stream must be true or false, not "true"',
    );
    expect(refusal('openai', CHAT, { stream_options: 'include_usage' }).message).to.match(
      /^stream_options must be an object/,
    );
    expect(refusal('openai', CHAT, { stream_options: [] }).message).to.match(
      /^stream_options must be an object/,
    );
    expect(refusal('openai', CHAT, { stream_options: { include_usage: 'true' } }).message).to.match(
      /^stream_options\.include_usage must be true or false/,
    );
  });

  it('refuses a model that is not a string, and the fields the cost bound reads in another type', () => {
    expect(refusal('openai', CHAT, { model: ['gpt-4o-mini'] }).message).to.match(/^model must be a string/);
    expect(refusal('openai', CHAT, { tools: { type: 'web_search' } }).message).to.match(
      /^tools must be an array/,
    );
    expect(refusal('openai', CHAT, { tools: [{ type: ['web_search'] }] }).message).to.match(/^tools must/);
    expect(refusal('openai', CHAT, { tools: ['web_search'] }).message).to.match(/^tools must/);
    expect(refusal('openai', CHAT, { service_tier: ['priority'] }).message).to.match(/^service_tier/);
    expect(refusal('openai', CHAT, { modalities: 'audio' }).message).to.match(/^modalities must be an array/);
    expect(
      refusal('openai', '/v1/responses', { context_management: { type: 'compaction' } }).message,
    ).to.match(/^context_management must be an array/);
    expect(refusal('openai', '/v1/images/generations', { size: 1024 }).message).to.match(
      /^size must be a string/,
    );
    expect(refusal('openai', '/v1/images/generations', { quality: ['high'] }).message).to.match(/^quality/);
    expect(refusal('anthropic', MESSAGES, { speed: ['fast'] }).message).to.match(/^speed/);
    expect(refusal('anthropic', MESSAGES, { inference_geo: 1 }).message).to.match(/^inference_geo/);
    expect(refusal('anthropic', MESSAGES, { mcp_servers: { url: 'x' } }).message).to.match(/^mcp_servers/);
    expect(refusal('anthropic', MESSAGES, { context_management: [] }).message).to.match(
      /^context_management must be an object/,
    );
    expect(
      refusal('anthropic', MESSAGES, { context_management: { edits: { type: 'compact' } } }).message,
    ).to.match(/^context_management\.edits must be an array/);
  });

  it('shows a long string value by its type only', () => {
    expect(refusal('openai', CHAT, { n: 'a very long string that could be anything' }).message).to.equal(
      'n must be a whole number of at least 1, not a string',
    );
  });

  it('leaves provider-specific names alone on the other provider', () => {
    passes('openai', '/v1/audio/speech', { model: 'tts-1', input: 'hi', speed: 1.5 });
    passes('anthropic', MESSAGES, { context_management: { edits: [] }, modalities: 'whatever' });
    passes('openai', CHAT, { size: 3, quality: 1 });
  });
});
