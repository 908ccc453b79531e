import { expect } from 'chai';
import { formatScope, MAX_SCOPE_LENGTH, parseScope } from '../../../src/scopes/index.ts';

/** RFC 6749 error-description charset: %x20-21 / %x23-5B / %x5D-7E. */
const ERROR_DESCRIPTION = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;

function reasonOf(value: string): string {
  const result = parseScope(value);
  if (result.ok) throw new Error(`expected '${value}' to be refused`);
  return result.reason;
}

describe('parseScope', () => {
  describe('valid scopes', () => {
    const cases: Array<[string, string, string, string]> = [
      ['openai:gpt-4o-mini:chat', 'openai', 'gpt-4o-mini', 'chat'],
      ['anthropic:*:chat', 'anthropic', '*', 'chat'],
      ['openai:text-embedding-3-small:embeddings', 'openai', 'text-embedding-3-small', 'embeddings'],
      ['openai:ft:gpt-4o-mini:org::abc123:chat', 'openai', 'ft:gpt-4o-mini:org::abc123', 'chat'],
      ['openai:gpt-image-1:images', 'openai', 'gpt-image-1', 'images'],
      ['openai:whisper-1:audio', 'openai', 'whisper-1', 'audio'],
      ['openai:omni-moderation-latest:moderations', 'openai', 'omni-moderation-latest', 'moderations'],
      ['openai:*:models', 'openai', '*', 'models'],
      ['anthropic:claude-sonnet-4-5:models', 'anthropic', 'claude-sonnet-4-5', 'models'],
      ['openai:GPT-4o:chat', 'openai', 'GPT-4o', 'chat'],
    ];
    for (const [value, provider, model, capability] of cases) {
      it(`parses ${value}`, () => {
        expect(parseScope(value)).to.deep.equal({ ok: true, scope: { provider, model, capability } });
      });
    }

    it('round-trips through formatScope', () => {
      for (const [value] of cases) {
        const result = parseScope(value);
        if (!result.ok) throw new Error(result.reason);
        expect(formatScope(result.scope)).to.equal(value);
      }
    });

    it('accepts a scope of exactly the maximum length', () => {
      const model = 'm'.repeat(MAX_SCOPE_LENGTH - 'openai::chat'.length);
      expect(parseScope(`openai:${model}:chat`).ok).to.equal(true);
    });
  });

  describe('clear reasons', () => {
    const cases: Array<[string, string]> = [
      ['', 'scope is empty'],
      ['foo:gpt-4o:chat', "unknown provider 'foo'"],
      ['anthropic:claude-sonnet-4-5:embeddings', "capability 'embeddings' is not offered for anthropic"],
      ['anthropic:*:images', "capability 'images' is not offered for anthropic"],
      ['openai:gpt-4o:x', "unknown capability 'x'"],
      ['openai::chat', 'missing model'],
      [':gpt-4o:chat', 'missing provider'],
      ['openai:gpt-4o:', 'missing capability'],
      ['::', 'missing provider'],
      ['openai', "scope 'openai' is not of the form provider:model:capability"],
      ['openai:chat', "scope 'openai:chat' is not of the form provider:model:capability"],
      ['openai:*:*', 'the capability cannot be a wildcard'],
      ['*:gpt-4o:chat', 'the provider cannot be a wildcard'],
      ['*:*:*', 'the provider cannot be a wildcard'],
      ['openai:gpt-*:chat', "model 'gpt-*' is not allowed"],
      ['openai:**:chat', "model '**' is not allowed"],
      ['openai:*:gpt-4o:chat', "model '*:gpt-4o' is not allowed"],
      ['openai::gpt-4o:chat', "model ':gpt-4o' must not start or end with ':'"],
      ['openai:gpt-4o::chat', "model 'gpt-4o:' must not start or end with ':'"],
      ['openai:::chat', "model ':' must not start or end with ':'"],
      ['OpenAI:gpt-4o:chat', "unknown provider 'OpenAI'"],
      ['openai:gpt-4o:Chat', "unknown capability 'Chat'"],
      ['openid', "scope 'openid' is not of the form provider:model:capability"],
    ];
    for (const [value, expected] of cases) {
      it(`refuses '${value}' with "${expected}"`, () => {
        expect(reasonOf(value)).to.include(expected);
      });
    }

    it('lists what the provider offers when the capability is wrong', () => {
      expect(reasonOf('anthropic:*:audio')).to.include('anthropic offers: chat, models');
    });
  });

  describe('hostile input', () => {
    const hostile = [
      'openai:gpt-4o:chat ',
      ' openai:gpt-4o:chat',
      'openai:gpt 4o:chat',
      'openai:gpt-4o:chat openai:*:chat',
      'openai:"gpt-4o":chat',
      'openai:gpt\\4o:chat',
      'openai:gpt-4o:chat\n',
      'openai:gpt-4o:chat\r\nX-Injected: 1',
      'openai:gpt-4o:chat\t',
      'openai:gpt\u00004o:chat',
      'openai:gpt\u007f4o:chat',
      'openai:gpt-4ö:chat',
      'openai:gpt-4o:chat\u200b',
      'ｏpenai:gpt-4o:chat',
      'openai:gpt-4o:chat😀',
    ];
    for (const value of hostile) {
      it(`refuses ${JSON.stringify(value)} as not a scope token`, () => {
        expect(reasonOf(value)).to.match(/^scope contains U\+[0-9A-F]{4,}, which is not allowed/);
      });
    }

    const prototypeKeys = [
      '__proto__:gpt-4o:chat',
      'constructor:gpt-4o:chat',
      'toString:gpt-4o:chat',
      'openai:gpt-4o:__proto__',
      'openai:gpt-4o:constructor',
      'openai:gpt-4o:hasOwnProperty',
      'anthropic:gpt-4o:toString',
    ];
    for (const value of prototypeKeys) {
      it(`refuses object-prototype names in ${value}`, () => {
        expect(parseScope(value).ok).to.equal(false);
      });
    }

    it('refuses scopes longer than the maximum', () => {
      const model = 'm'.repeat(MAX_SCOPE_LENGTH);
      expect(reasonOf(`openai:${model}:chat`)).to.equal(
        `scope is longer than ${MAX_SCOPE_LENGTH} characters`,
      );
    });

    it('refuses values that are not strings', () => {
      expect(parseScope(undefined as unknown as string).ok).to.equal(false);
      expect(parseScope(42 as unknown as string).ok).to.equal(false);
    });

    it('gives reasons that are valid OAuth error_description text, whatever the input', () => {
      const inputs = [
        ...hostile,
        ...prototypeKeys,
        '',
        '"',
        '\\',
        'openai:"*":chat',
        'x'.repeat(1000),
        'a:b:c',
      ];
      for (const value of inputs) {
        const result = parseScope(value);
        if (!result.ok) expect(result.reason).to.match(ERROR_DESCRIPTION);
      }
    });
  });
});
