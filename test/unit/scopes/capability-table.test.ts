import { expect } from 'chai';
import {
  CAPABILITIES,
  CAPABILITY_TABLE,
  capabilitiesFor,
  isCapability,
  isCapabilityOffered,
  isProvider,
  PROVIDERS,
  providerDisplayName,
} from '../../../src/scopes/index.ts';

describe('capability table', () => {
  it('lists the providers', () => {
    expect(PROVIDERS).to.deep.equal(['openai', 'anthropic', 'google']);
    expect(providerDisplayName('openai')).to.equal('OpenAI');
    expect(providerDisplayName('anthropic')).to.equal('Anthropic');
    expect(providerDisplayName('google')).to.equal('Google Gemini');
    expect(isProvider('openai')).to.equal(true);
    expect(isProvider('constructor')).to.equal(false);
    expect(isProvider('')).to.equal(false);
  });

  it('offers the capabilities of each provider', () => {
    expect(capabilitiesFor('openai')).to.deep.equal([
      'chat',
      'embeddings',
      'images',
      'audio',
      'moderations',
      'models',
    ]);
    expect(capabilitiesFor('anthropic')).to.deep.equal(['chat', 'models']);
    expect(capabilitiesFor('google')).to.deep.equal(['chat', 'embeddings', 'models']);
    expect(CAPABILITIES).to.deep.equal(['chat', 'embeddings', 'images', 'audio', 'moderations', 'models']);
  });

  it('checks capabilities without trusting the object prototype', () => {
    expect(isCapability('chat')).to.equal(true);
    expect(isCapability('toString')).to.equal(false);
    expect(isCapabilityOffered('anthropic', 'chat')).to.equal(true);
    expect(isCapabilityOffered('anthropic', 'embeddings')).to.equal(false);
    expect(isCapabilityOffered('anthropic', '__proto__')).to.equal(false);
    expect(isCapabilityOffered('openai', 'hasOwnProperty')).to.equal(false);
  });

  it('cannot be changed at run time', () => {
    const table = CAPABILITY_TABLE as unknown as Record<string, string[]>;
    expect(Object.isFrozen(table)).to.equal(true);
    expect(Object.isFrozen(table.openai)).to.equal(true);
    expect(() => table.openai?.push('files')).to.throw(TypeError);
    expect(Object.isFrozen(PROVIDERS)).to.equal(true);
    expect(Object.isFrozen(CAPABILITIES)).to.equal(true);
  });
});
