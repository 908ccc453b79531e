import { expect } from 'chai';
import {
  BUILTIN_PROVIDERS,
  CAPABILITIES,
  capabilitiesFor,
  isCapability,
  isCapabilityOffered,
  isProvider,
  providerDisplayName,
  providerIds,
} from '../../../src/scopes/index.ts';

describe('capability table', () => {
  it('lists the providers', () => {
    expect(BUILTIN_PROVIDERS).to.deep.equal(['openai', 'anthropic', 'google']);
    expect(providerIds()).to.deep.equal(['openai', 'anthropic', 'google']);
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
    const openai = capabilitiesFor('openai') as string[];
    expect(Object.isFrozen(openai)).to.equal(true);
    expect(() => openai.push('files')).to.throw(TypeError);
    expect(Object.isFrozen(BUILTIN_PROVIDERS)).to.equal(true);
    expect(Object.isFrozen(providerIds())).to.equal(true);
    expect(Object.isFrozen(CAPABILITIES)).to.equal(true);
  });
});
