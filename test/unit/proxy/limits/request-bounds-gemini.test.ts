import { expect } from 'chai';
import { DEFAULT_PRICES } from '../../../../src/config/default-prices.ts';
import { boundRequest } from '../../../../src/proxy/endpoints/bound-request.ts';
import { costMicroUsd, findPrice, type ModelPrice } from '../../../../src/proxy/limits/price-table.ts';
import { type RequestBound, setOutputBound } from '../../../../src/proxy/limits/request-bounds.ts';

const PRICE: ModelPrice = {
  input: 1,
  output: 2,
  contextWindow: 100_000,
  maxOutputTokens: 1000,
  imageInputTokens: 300,
};
const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';
const STREAM = '/v1/models/gemini-2.5-flash:streamGenerateContent';
const EMBED = '/v1beta/models/gemini-embedding-001:batchEmbedContents';

function bound(path: string, json: Record<string, unknown>, price: ModelPrice = PRICE): RequestBound {
  const bodyBytes = Buffer.byteLength(JSON.stringify(json));
  return boundRequest({
    provider: 'google',
    upstreamPath: path,
    json,
    bodyBytes,
    price,
    model: 'gemini-2.5-flash',
  });
}
const bytes = (json: unknown) => Buffer.byteLength(JSON.stringify(json));
const contents = [{ role: 'user', parts: [{ text: 'hello there' }] }];

describe('request bounds: Gemini', () => {
  it('generateContent: body bytes in, maxOutputTokens per candidate, times candidateCount', () => {
    const json = { contents, generationConfig: { maxOutputTokens: 200, candidateCount: 3 } };
    expect(bound(GENERATE, json)).to.deep.equal({
      kind: 'tokens',
      inputTokens: bytes(json),
      choices: 3,
      requestedOutputPerChoice: 200,
      outputField: 'generationConfig.maxOutputTokens',
      maxOutputPerChoice: 1000,
    });
    expect(bound(STREAM, { contents })).to.deep.include({ choices: 1, requestedOutputPerChoice: undefined });
  });

  it('an image part counts imageInputTokens instead of its payload; PDFs and fileData take the context window', () => {
    const image = {
      contents: [{ parts: [{ inlineData: { mimeType: 'image/png', data: 'A'.repeat(50_000) } }] }],
    };
    const result = bound(GENERATE, image);
    expect(result.kind).to.equal('tokens');
    if (result.kind === 'tokens') expect(result.inputTokens).to.be.below(1000).and.at.least(300);
    const pdf = { contents: [{ parts: [{ inlineData: { mimeType: 'application/pdf', data: 'JVBE' } }] }] };
    expect(bound(GENERATE, pdf)).to.deep.include({ inputTokens: 100_000 });
    const video = { contents: [{ parts: [{ fileData: { fileUri: 'https://www.youtube.com/watch?v=x' } }] }] };
    expect(bound(GENERATE, video)).to.deep.include({ inputTokens: 100_000 });
  });

  it('is unbounded where the tokens are not text at list rates', () => {
    const unbounded = (json: Record<string, unknown>) => {
      const result = bound(GENERATE, json);
      expect(result.kind, JSON.stringify(json)).to.equal('unbounded');
      return result.kind === 'unbounded' ? result.reason : '';
    };
    expect(unbounded({ contents, tools: [{ googleSearch: {} }] })).to.include('googleSearch');
    expect(unbounded({ contents, tools: [{ codeExecution: {} }] })).to.include('codeExecution');
    expect(unbounded({ contents, tools: [{ functionDeclarations: [], urlContext: {} }] })).to.include(
      'urlContext',
    );
    expect(unbounded({ contents, generationConfig: { responseModalities: ['TEXT', 'IMAGE'] } })).to.include(
      'image',
    );
    expect(unbounded({ contents, generationConfig: { speechConfig: {} } })).to.include('audio');
    expect(
      unbounded({ contents: [{ parts: [{ inlineData: { mimeType: 'audio/wav', data: 'UklG' } }] }] }),
    ).to.include('audio');
    expect(unbounded({ contents: [{ parts: [{ inlineData: { data: 'UklG' } }] }] })).to.include('mimeType');
    expect(unbounded({ contents, generationConfig: { maxOutputTokens: 'lots' } })).to.include(
      'maxOutputTokens',
    );
    // Function declarations are the app's own tools.
    expect(bound(GENERATE, { contents, tools: [{ functionDeclarations: [{ name: 'f' }] }] }).kind).to.equal(
      'tokens',
    );
    // No context window: a PDF cannot be bounded.
    const pdf = { contents: [{ parts: [{ inlineData: { mimeType: 'application/pdf', data: 'JVBE' } }] }] };
    expect(bound(GENERATE, pdf, { input: 1, output: 2 }).kind).to.equal('unbounded');
  });

  it('embeddings: input only, text only', () => {
    const json = {
      requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a b' }] } }],
    };
    expect(bound(EMBED, json)).to.deep.include({
      kind: 'tokens',
      inputTokens: bytes(json),
      requestedOutputPerChoice: 0,
    });
    const image = {
      requests: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'x' } }] } }],
    };
    expect(bound(EMBED, image).kind).to.equal('unbounded');
  });

  it('countTokens and listings are free', () => {
    expect(bound('/v1beta/models/gemini-2.5-flash:countTokens', { contents })).to.deep.equal({
      kind: 'fixed',
      microUsd: 0,
    });
  });

  it('setOutputBound sets generationConfig.maxOutputTokens, creating generationConfig, keeping its other fields', () => {
    const none: Record<string, unknown> = { contents };
    setOutputBound(none, 'generationConfig.maxOutputTokens', 64);
    expect(none.generationConfig).to.deep.equal({ maxOutputTokens: 64 });
    const some: Record<string, unknown> = { generationConfig: { temperature: 0.2, maxOutputTokens: 9000 } };
    setOutputBound(some, 'generationConfig.maxOutputTokens', 500);
    expect(some.generationConfig).to.deep.equal({ temperature: 0.2, maxOutputTokens: 500 });
    const nulled: Record<string, unknown> = { generationConfig: null };
    setOutputBound(nulled, 'generationConfig.maxOutputTokens', 5);
    expect(nulled.generationConfig).to.deep.equal({ maxOutputTokens: 5 });
  });

  it('the shipped prices: 2.5 Pro long context above 200K input; variants billed beyond text have no price', () => {
    const pro = findPrice(DEFAULT_PRICES, 'google', 'gemini-2.5-pro') as ModelPrice;
    const usage = (input: number, output: number) => ({
      inputTokens: input,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: output,
      reasoningTokens: 0,
    });
    expect(costMicroUsd(pro, usage(200_000, 1000))).to.equal(200_000 * 1.25 + 1000 * 10);
    expect(costMicroUsd(pro, usage(200_001, 1000))).to.equal(Math.ceil(200_001 * 2.5 + 1000 * 15));
    expect(findPrice(DEFAULT_PRICES, 'google', 'gemini-2.5-flash-preview-09-2025')?.input).to.equal(0.3);
    expect(findPrice(DEFAULT_PRICES, 'google', 'gemini-2.5-flash-lite')?.input).to.equal(0.1);
    expect(findPrice(DEFAULT_PRICES, 'google', 'gemini-2.0-flash')?.output).to.equal(0.4);
    expect(findPrice(DEFAULT_PRICES, 'google', 'gemini-2.5-flash-image')?.input).to.equal(undefined);
    expect(findPrice(DEFAULT_PRICES, 'google', 'gemini-2.5-flash-preview-tts')?.input).to.equal(undefined);
  });
});
