import { expect } from 'chai';
import { splitUpstreamPath } from '../../../../src/proxy/endpoints/split-upstream-path.ts';

describe('splitUpstreamPath', () => {
  it('splits a clean path and ignores the query string', () => {
    expect(splitUpstreamPath('/v1/chat/completions')).to.deep.equal(['v1', 'chat', 'completions']);
    expect(splitUpstreamPath('/v1/messages?beta=true')).to.deep.equal(['v1', 'messages']);
    expect(splitUpstreamPath('/v1/messages?x=/../files')).to.deep.equal(['v1', 'messages']);
  });

  it('keeps percent-encoding as is', () => {
    expect(splitUpstreamPath('/v1/models/ft%3Agpt')).to.deep.equal(['v1', 'models', 'ft%3Agpt']);
  });

  const refused = [
    '',
    'v1/chat/completions',
    '/',
    '//v1/files',
    '/v1//chat/completions',
    '/v1/chat/completions/',
    '/v1/chat/completions/.',
    '/v1/chat/completions/..',
    '/v1/chat/completions/../files',
    '/v1/./chat/completions',
    '/v1\\files',
    '/v1/chat/completions\\..\\..\\files',
    '/v1/chat/completions#x',
    '/v1/chat completions',
    '/v1/chat/completions\u0000',
    '/v1/chat/complétions',
    '/v1/%zz',
    '/v1/%2',
    '/v1/"files"',
    '/v1/<files>',
  ];
  for (const path of refused) {
    it(`refuses ${JSON.stringify(path)}`, () => {
      expect(splitUpstreamPath(path)).to.equal(undefined);
    });
  }
});
