import { expect } from 'chai';
import { google } from '../../../../src/proxy/endpoints/google/provider.ts';
import { BUILTIN_ENDPOINTS, matchEndpoint } from '../../../../src/proxy/endpoints/index.ts';
import { ProxyError } from '../../../../src/proxy/errors/proxy-error.ts';
import { createUpstreams } from '../../../../src/proxy/forward/upstreams.ts';
import { checkDecidedFields } from '../../../../src/proxy/request/check-decided-fields.ts';

const codeOf = (fn: () => void): string => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ProxyError);
    return (err as ProxyError).code;
  }
  return 'passed';
};

/** Every refusal a Gemini body gets (provider's and endpoint's), as authorize runs them. */
function refuse(url: string, json: Record<string, unknown>): string {
  const match = matchEndpoint('POST', url);
  return codeOf(() => {
    checkDecidedFields(json, match.provider.decidedFields);
    for (const r of match.provider.refusals) r(json, match.modelFromPath as string);
    for (const r of match.spec.refusals) r(json, match.modelFromPath as string);
  });
}

const GENERATE = '/google/v1beta/models/gemini-2.5-flash:generateContent';
const STREAM = '/google/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';
const contents = [{ role: 'user', parts: [{ text: 'hi' }] }];

describe('the Gemini provider', () => {
  it('refuses stored state in a body: cachedContent, uploaded files, file search', () => {
    expect(refuse(GENERATE, { contents })).to.equal('passed');
    expect(refuse(GENERATE, { contents, cachedContent: 'cachedContents/abc' })).to.equal(
      'stored_state_denied',
    );
    expect(
      refuse('/google/v1beta/models/gemini-2.5-flash:countTokens', {
        generateContentRequest: {
          model: 'models/gemini-2.5-flash',
          contents,
          cachedContent: 'cachedContents/x',
        },
      }),
    ).to.equal('stored_state_denied');
    const file = (fileUri: string) => ({
      contents: [{ parts: [{ fileData: { fileUri, mimeType: 'application/pdf' } }] }],
    });
    expect(refuse(GENERATE, file('https://generativelanguage.googleapis.com/v1beta/files/abc'))).to.equal(
      'stored_state_denied',
    );
    expect(refuse(GENERATE, file('files/abc'))).to.equal('stored_state_denied');
    expect(refuse(GENERATE, file('https://www.youtube.com/watch?v=9hE5-98ZeCg'))).to.equal('passed');
    expect(refuse(GENERATE, { contents: [{ parts: [{ fileData: { mimeType: 'x/y' } }] }] })).to.equal(
      'invalid_request',
    );
    expect(refuse(GENERATE, { contents, tools: [{ fileSearch: { fileSearchStoreNames: ['x'] } }] })).to.equal(
      'stored_state_denied',
    );
  });

  it('refuses the snake_case names of decided fields, which Google reads too', () => {
    for (const json of [
      { contents, generation_config: { max_output_tokens: 99_999 } },
      { contents, generationConfig: { max_output_tokens: 99_999 } },
      { contents, generationConfig: { candidate_count: 8 } },
      { contents, cached_content: 'cachedContents/x' },
      { contents: [{ parts: [{ file_data: { file_uri: 'files/x' } }] }] },
      { contents: [{ parts: [{ inline_data: { mimeType: 'audio/wav', data: 'x' } }] }] },
    ]) {
      expect(refuse(GENERATE, json), JSON.stringify(json)).to.equal('invalid_request');
    }
  });

  it('names the snake_case field before stored state wherever each is in the body (one walk does both)', () => {
    const snakeLater = {
      cachedContent: 'cachedContents/abc',
      contents: [{ parts: [{ text: 'hi' }] }, { parts: [{ inline_data: { mimeType: 'x/y', data: 'x' } }] }],
    };
    expect(refuse(GENERATE, snakeLater)).to.equal('invalid_request');
    const twoStored = {
      contents: [
        { parts: [{ fileData: { mimeType: 'x/y' } }] },
        { parts: [{ fileData: { fileUri: 'files/a' } }] },
      ],
    };
    expect(refuse(GENERATE, twoStored)).to.equal('invalid_request');
    const storedFirst = {
      contents: [
        { parts: [{ fileData: { fileUri: 'files/a' } }] },
        { parts: [{ fileData: { mimeType: 'x/y' } }] },
      ],
    };
    expect(refuse(GENERATE, storedFirst)).to.equal('stored_state_denied');
  });

  it('checks the types of decided fields', () => {
    expect(refuse(GENERATE, { contents, generationConfig: { maxOutputTokens: '100000' } })).to.equal(
      'invalid_request',
    );
    expect(refuse(GENERATE, { contents, generationConfig: { maxOutputTokens: 0 } })).to.equal(
      'invalid_request',
    );
    expect(refuse(GENERATE, { contents, generationConfig: { candidateCount: 1.5 } })).to.equal(
      'invalid_request',
    );
    expect(refuse(GENERATE, { contents, generationConfig: 'fast' })).to.equal('invalid_request');
    expect(refuse(GENERATE, { contents, tools: 'all' })).to.equal('invalid_request');
    expect(
      refuse(GENERATE, { contents, generationConfig: { maxOutputTokens: 100, candidateCount: 2 } }),
    ).to.equal('passed');
  });

  it('streams one candidate only', () => {
    expect(refuse(STREAM, { contents, generationConfig: { candidateCount: 2 } })).to.equal('invalid_request');
    expect(refuse(STREAM, { contents, generationConfig: { candidateCount: 1 } })).to.equal('passed');
  });

  it('a model named in the body must be the path model', () => {
    const embed = '/google/v1beta/models/gemini-embedding-001:batchEmbedContents';
    const request = (model: string) => ({ model, content: { parts: [{ text: 'x' }] } });
    expect(refuse(embed, { requests: [request('models/gemini-embedding-001')] })).to.equal('passed');
    expect(
      refuse(embed, {
        requests: [request('models/gemini-embedding-001'), request('models/text-embedding-004')],
      }),
    ).to.equal('invalid_request');
    expect(refuse(GENERATE, { model: 'models/gemini-2.5-pro', contents })).to.equal('invalid_request');
  });

  it('takes only the query parameters each endpoint needs; a key in the query is refused', () => {
    const check = (method: string, url: string) => {
      const match = matchEndpoint(method, url);
      return codeOf(() => google.checkQuery?.(match.spec, new URLSearchParams(match.search)));
    };
    expect(check('POST', STREAM)).to.equal('passed');
    expect(check('POST', '/google/v1beta/models/gemini-2.5-flash:streamGenerateContent')).to.equal(
      'invalid_request',
    );
    expect(check('POST', `${STREAM}&alt=json`)).to.equal('invalid_request');
    expect(check('POST', `${STREAM}&key=AIzaXYZ`)).to.equal('invalid_request');
    expect(check('POST', `${GENERATE}?key=AIzaXYZ`)).to.equal('invalid_request');
    expect(check('POST', `${GENERATE}?fields=candidates`)).to.equal('invalid_request');
    expect(check('POST', `${GENERATE}?%24fields=candidates`)).to.equal('invalid_request');
    expect(check('POST', `${GENERATE}?alt=sse`)).to.equal('invalid_request');
    expect(check('GET', '/google/v1beta/models?pageSize=10&pageToken=abc')).to.equal('passed');
    expect(check('GET', '/google/v1beta/models?key=x')).to.equal('invalid_request');
    expect(check('GET', '/google/v1beta/models/gemini-2.5-flash?fields=name')).to.equal('invalid_request');
  });

  it('filters a listing to the allowed models and keeps the page token', () => {
    const listing = {
      models: [{ name: 'models/gemini-2.5-flash' }, { name: 'models/gemini-2.5-pro' }, { name: 7 }, null],
      nextPageToken: 'p2',
    };
    expect(google.filterListing?.(listing, (m) => m === 'gemini-2.5-flash')).to.deep.equal({
      models: [{ name: 'models/gemini-2.5-flash' }],
      nextPageToken: 'p2',
    });
  });

  it('renders errors in Google shape, with the Mandate code as the reason', () => {
    expect(google.errorBody(429, 'rate_limited', 'Mandate: slow down')).to.deep.equal({
      error: {
        code: 429,
        message: 'Mandate: slow down',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'rate_limited', domain: 'mandate' },
        ],
      },
    });
  });

  it('puts the key in x-goog-api-key and drops other providers headers', () => {
    const upstreams = createUpstreams(
      {
        baseUrls: { openai: '', anthropic: '', google: '' },
        openai: {},
        anthropicBetaAllowlist: [],
      },
      BUILTIN_ENDPOINTS.providers,
    );
    const incoming = {
      'anthropic-version': '2023-06-01',
      'anthropic-dangerous-direct-browser-access': 'true',
      'content-type': 'application/json',
    };
    expect(upstreams.headers('google', incoming, 'AIzaPersonKey', 0)).to.deep.equal({
      'content-type': 'application/json',
      'accept-encoding': 'identity',
      'x-goog-api-key': 'AIzaPersonKey',
    });
    expect(upstreams.headers('openai', incoming, 'sk-person', 0)).to.deep.equal({
      'content-type': 'application/json',
      'accept-encoding': 'identity',
      authorization: 'Bearer sk-person',
    });
    expect(upstreams.headers('anthropic', incoming, 'sk-ant-person', 0)).to.include({
      'anthropic-version': '2023-06-01',
      'anthropic-dangerous-direct-browser-access': 'true',
      'x-api-key': 'sk-ant-person',
    });
  });
});
