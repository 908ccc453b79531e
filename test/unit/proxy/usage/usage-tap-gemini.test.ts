import { expect } from 'chai';
import { geminiUsage } from '../../../../src/proxy/endpoints/google/usage-reader.ts';
import { createUsageTap, usageFromJson } from '../../../../src/proxy/usage/usage-tap.ts';

/** Gemini's SSE framing: `data: {…}` and a CRLF blank line. */
const chunk = (value: unknown) => `data: ${JSON.stringify(value)}\r\n\r\n`;

const usage = (candidates: number, extra: Record<string, number> = {}) => ({
  promptTokenCount: 12,
  candidatesTokenCount: candidates,
  totalTokenCount: 12 + candidates,
  ...extra,
});
const text = (t: string, finishReason?: string) => ({
  candidates: [
    { content: { parts: [{ text: t }], role: 'model' }, index: 0, ...(finishReason ? { finishReason } : {}) },
  ],
});

function feed(tap: ReturnType<typeof createUsageTap>, body: string, size: number): void {
  const bytes = Buffer.from(body);
  for (let i = 0; i < bytes.length; i += size) tap.push(bytes.subarray(i, i + size));
}

describe('usage tap: Gemini usageMetadata', () => {
  it('maps usageMetadata: cached inside the prompt, thoughts billed as output, tool-use prompts as input', () => {
    expect(
      usageFromJson(geminiUsage, {
        usageMetadata: {
          promptTokenCount: 100,
          cachedContentTokenCount: 40,
          toolUsePromptTokenCount: 5,
          candidatesTokenCount: 30,
          thoughtsTokenCount: 20,
          totalTokenCount: 155,
        },
      }),
    ).to.deep.equal({
      inputTokens: 105,
      cachedInputTokens: 40,
      cacheWriteTokens: 0,
      outputTokens: 50,
      reasoningTokens: 20,
    });
    // An OpenAI-style `usage` is not Gemini's.
    expect(usageFromJson(geminiUsage, { usage: { prompt_tokens: 3 } })).to.equal(undefined);
  });

  it('a JSON answer: final once parsed', () => {
    const tap = createUsageTap(geminiUsage, false);
    feed(
      tap,
      JSON.stringify({ ...text('hi', 'STOP'), usageMetadata: usage(1, { thoughtsTokenCount: 4 }) }),
      7,
    );
    expect(tap.final()).to.equal(true);
    expect(tap.usage()).to.include({ inputTokens: 12, outputTokens: 5, reasoningTokens: 4 });
  });

  it('a stream: every chunk is cumulative, only the one with a finishReason is final, whatever the split', () => {
    const chunks = [
      chunk({ ...text('one'), usageMetadata: usage(1) }),
      chunk({ ...text(' two'), usageMetadata: usage(2) }),
      chunk({ ...text(' three', 'STOP'), usageMetadata: usage(3, { thoughtsTokenCount: 7 }) }),
    ];
    for (const size of [1, 3, 17, 10_000]) {
      const partial = createUsageTap(geminiUsage, true);
      feed(partial, chunks.slice(0, 2).join(''), size);
      expect(partial.reported(), `size ${size}`).to.equal(true);
      expect(partial.final(), `size ${size}: not final before the finishReason`).to.equal(false);
      expect(partial.usage()).to.include({ inputTokens: 12, outputTokens: 2 });

      const whole = createUsageTap(geminiUsage, true);
      feed(whole, chunks.join(''), size);
      expect(whole.final(), `size ${size}`).to.equal(true);
      expect(whole.usage()).to.deep.equal({
        inputTokens: 12,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 10,
        reasoningTokens: 7,
      });
    }
  });

  it('a blocked prompt (promptFeedback.blockReason, no candidates) is final', () => {
    const tap = createUsageTap(geminiUsage, true);
    feed(
      tap,
      chunk({
        promptFeedback: { blockReason: 'SAFETY' },
        usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
      }),
      5,
    );
    expect(tap.final()).to.equal(true);
    expect(tap.usage()).to.include({ inputTokens: 9, outputTokens: 0 });
  });

  it('a finishReason without usageMetadata, or "usageMetadata" inside the text, is not final usage', () => {
    const tap = createUsageTap(geminiUsage, true);
    feed(tap, chunk({ ...text('the word "usageMetadata": {"promptTokenCount": 1} here') }), 4);
    feed(tap, chunk(text('end', 'STOP')), 4);
    expect(tap.reported()).to.equal(false);
    expect(tap.final()).to.equal(false);
  });
});
