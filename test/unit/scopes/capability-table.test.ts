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
  resolveCapability,
} from '../../../src/scopes/index.ts';

describe('capability table', () => {
  it('lists the providers', () => {
    expect(PROVIDERS).to.deep.equal(['openai', 'anthropic']);
    expect(providerDisplayName('openai')).to.equal('OpenAI');
    expect(providerDisplayName('anthropic')).to.equal('Anthropic');
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

  it('only uses GET and POST, only under /v1/', () => {
    for (const caps of Object.values(CAPABILITY_TABLE)) {
      for (const routes of Object.values(caps)) {
        for (const route of routes) {
          expect(['GET', 'POST']).to.include(route.method);
          expect(route.path).to.match(/^\/v1\/[a-z_/{}]+$/);
        }
      }
    }
  });

  it('resolves every route it lists to its own capability', () => {
    for (const provider of PROVIDERS) {
      const caps: Record<string, readonly { method: string; path: string }[]> = CAPABILITY_TABLE[provider];
      for (const [capability, routes] of Object.entries(caps)) {
        for (const route of routes) {
          const path = route.path.replace('{model}', 'some-model');
          expect(
            resolveCapability(provider, route.method, path)?.capability,
            `${route.method} ${path}`,
          ).to.equal(capability);
        }
      }
    }
  });

  it('cannot be changed at run time', () => {
    const table = CAPABILITY_TABLE as unknown as Record<string, Record<string, unknown[]>>;
    expect(Object.isFrozen(table)).to.equal(true);
    expect(Object.isFrozen(table.openai)).to.equal(true);
    expect(Object.isFrozen(table.openai?.chat)).to.equal(true);
    expect(Object.isFrozen(table.openai?.chat?.[0])).to.equal(true);
    expect(() => table.openai?.chat?.push({ method: 'GET', path: '/v1/files' })).to.throw(TypeError);
    expect(Object.isFrozen(PROVIDERS)).to.equal(true);
    expect(Object.isFrozen(CAPABILITIES)).to.equal(true);
  });
});
