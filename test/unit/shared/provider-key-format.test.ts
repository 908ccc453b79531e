import { expect } from 'chai';
import { checkProviderKey, providerKeyPrefix } from '../../../src/shared/provider-key-format.ts';

const OPENAI = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789_-XYZ9';
const ANTHROPIC = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-AbCd';
const GOOGLE = 'AIzaSyAbcdefghijklmnopqrstuvwxyz0-1_Q8';

describe('shared/provider-key-format', () => {
  it('accepts real-looking keys, trimmed, and keeps their last four characters', () => {
    expect(checkProviderKey('openai', `  ${OPENAI}\n`)).to.deep.equal({
      ok: true,
      key: OPENAI,
      last4: 'XYZ9',
    });
    expect(checkProviderKey('anthropic', `\t${ANTHROPIC} `)).to.deep.equal({
      ok: true,
      key: ANTHROPIC,
      last4: 'AbCd',
    });
    expect(providerKeyPrefix('openai')).to.equal('sk-');
    expect(providerKeyPrefix('anthropic')).to.equal('sk-ant-');
    expect(checkProviderKey('google', ` ${GOOGLE} `)).to.deep.equal({ ok: true, key: GOOGLE, last4: '1_Q8' });
    expect(providerKeyPrefix('google')).to.equal('AIza');
  });

  it('refuses wrong prefixes, other providers’ keys, odd characters and silly lengths, never quoting the key', () => {
    const cases: Array<['openai' | 'anthropic' | 'google', string, RegExp]> = [
      ['google', OPENAI, /Google Gemini API keys start with AIza/],
      ['google', 'AIza short', /only letters, digits/],
      ['openai', GOOGLE, /OpenAI API keys start with sk-/],
      ['openai', '', /Paste your OpenAI API key/],
      ['openai', '   ', /Paste your OpenAI API key/],
      ['openai', 'pk-abcdefghijklmnopqrstuvwxyz', /OpenAI API keys start with sk-/],
      ['openai', ANTHROPIC, /looks like an Anthropic key/],
      ['anthropic', OPENAI, /Anthropic API keys start with sk-ant-/],
      ['openai', 'sk-abc def ghi jkl mno pqr', /only letters, digits/],
      ['openai', 'sk-abcdefghijklmnop\r\nX-Evil: 1', /only letters, digits/],
      ['openai', 'sk-short', /too short/],
      ['anthropic', `sk-ant-${'a'.repeat(600)}`, /too long/],
    ];
    for (const [provider, raw, message] of cases) {
      const result = checkProviderKey(provider, raw);
      expect(result.ok, raw).to.equal(false);
      if (result.ok) continue;
      expect(result.error).to.match(message);
      if (raw.trim().length > 3) expect(result.error).to.not.include(raw.trim());
    }
  });
});
