import { expect } from 'chai';
import { messagesUsage } from '../../../../src/proxy/endpoints/anthropic/usage-reader.ts';
import { responses } from '../../../../src/proxy/endpoints/openai/responses.ts';
import {
  chatUsage,
  embeddingsUsage,
  requestStreamUsage,
  responsesUsage,
} from '../../../../src/proxy/endpoints/openai/usage-readers.ts';
import { createUsageTap, lastUsageObject } from '../../../../src/proxy/usage/usage-tap.ts';

const responsesSpecStreamUsage = responses.streamUsage;

const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const named = (event: string, value: unknown) => `event: ${event}\ndata: ${JSON.stringify(value)}\n\n`;

/** Feeds a text in pieces of `size` bytes; returns what the tap passed on. */
function feed(tap: ReturnType<typeof createUsageTap>, text: string, size: number): string {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    const passed = tap.push(bytes.subarray(i, i + size));
    if (passed) out.push(Buffer.from(passed));
  }
  const rest = tap.end();
  if (rest) out.push(rest);
  return Buffer.concat(out).toString();
}

const CHAT_USAGE = {
  prompt_tokens: 11,
  completion_tokens: 9,
  total_tokens: 20,
  prompt_tokens_details: { cached_tokens: 4 },
  completion_tokens_details: { reasoning_tokens: 5 },
};
const CHAT_EXPECTED = {
  inputTokens: 11,
  cachedInputTokens: 4,
  cacheWriteTokens: 0,
  outputTokens: 9,
  reasoningTokens: 5,
};

const chatStream = [
  data({ choices: [{ index: 0, delta: { role: 'assistant', content: 'héllo ✓' } }], usage: null }),
  data({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null }),
  data({ choices: [], usage: CHAT_USAGE }),
  'data: [DONE]\n\n',
];

describe('usage tap', () => {
  for (const size of [1, 3, 17, 10_000]) {
    it(`chat stream split into ${size}-byte chunks: usage read, usage chunk stripped exactly`, () => {
      const tap = createUsageTap(chatUsage, true, true);
      const passed = feed(tap, chatStream.join(''), size);
      expect(passed).to.equal([chatStream[0], chatStream[1], chatStream[3]].join(''));
      expect(tap.usage()).to.deep.equal(CHAT_EXPECTED);
      expect(tap.reported()).to.equal(true);
    });
  }

  it('chat stream not stripped: nothing passed back (the body is piped), usage read', () => {
    const tap = createUsageTap(chatUsage, true, false);
    expect(feed(tap, chatStream.join(''), 5)).to.equal('');
    expect(tap.usage()).to.deep.equal(CHAT_EXPECTED);
  });

  it('accepts usage on any chunk, the last one wins; CRLF lines', () => {
    const tap = createUsageTap(chatUsage, true, true);
    const text = [
      data({
        choices: [{ index: 0, delta: { content: 'x' } }],
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      }),
      data({ choices: [{ index: 0, delta: {} }], usage: CHAT_USAGE }),
    ]
      .join('')
      .replaceAll('\n', '\r\n');
    // Usage on a chunk with choices is not the extra chunk: it is passed on.
    expect(feed(tap, text, 7)).to.equal(text);
    expect(tap.usage()).to.deep.equal(CHAT_EXPECTED);
  });

  it('responses stream: usage only from completed / incomplete / failed', () => {
    const usage = {
      input_tokens: 8,
      input_tokens_details: { cached_tokens: 2, cache_write_tokens: 1 },
      output_tokens: 6,
      output_tokens_details: { reasoning_tokens: 3 },
    };
    for (const final of ['completed', 'incomplete', 'failed']) {
      const tap = createUsageTap(responsesUsage, true);
      feed(
        tap,
        named('response.created', { type: 'response.created', response: { usage: { input_tokens: 99 } } }) +
          named(`response.${final}`, { type: `response.${final}`, response: { usage } }),
        4,
      );
      expect(tap.usage()).to.deep.equal({
        inputTokens: 8,
        cachedInputTokens: 2,
        cacheWriteTokens: 1,
        outputTokens: 6,
        reasoningTokens: 3,
      });
    }
  });

  it('anthropic stream: message_start then message_delta overwrite, never add', () => {
    const tap = createUsageTap(messagesUsage, true);
    feed(
      tap,
      named('message_start', {
        type: 'message_start',
        message: {
          usage: {
            input_tokens: 10,
            cache_creation_input_tokens: 5,
            cache_read_input_tokens: 7,
            output_tokens: 1,
          },
        },
      }) +
        named('content_block_delta', { type: 'content_block_delta', delta: { text: '"usage": {' } }) +
        named('message_delta', { type: 'message_delta', usage: { output_tokens: 12 } }) +
        named('message_delta', { type: 'message_delta', usage: { output_tokens: 15 } }),
      9,
    );
    expect(tap.usage()).to.deep.equal({
      inputTokens: 22,
      cachedInputTokens: 7,
      cacheWriteTokens: 5,
      outputTokens: 15,
      reasoningTokens: 0,
    });
  });

  it('a stream cut before any usage: zeros, not reported', () => {
    const tap = createUsageTap(messagesUsage, true);
    feed(tap, 'event: ping\ndata: {"type":"ping"}\n\nevent: message_st', 3);
    expect(tap.reported()).to.equal(false);
    expect(tap.usage().inputTokens).to.equal(0);
  });

  describe('final usage (the count the provider bills) vs partial', () => {
    const start = named('message_start', {
      type: 'message_start',
      message: { usage: { input_tokens: 10, output_tokens: 1 } },
    });
    const delta = named('content_block_delta', { type: 'content_block_delta', delta: { text: 'hi' } });

    it('anthropic: message_start alone is partial, message_delta makes it final', () => {
      const tap = createUsageTap(messagesUsage, true);
      feed(tap, start + delta + delta, 5);
      expect(tap.reported()).to.equal(true);
      expect(tap.final()).to.equal(false);
      expect(tap.usage().outputTokens).to.equal(1);
      tap.push(Buffer.from(named('message_delta', { type: 'message_delta', usage: { output_tokens: 40 } })));
      expect(tap.final()).to.equal(true);
      expect(tap.usage().outputTokens).to.equal(40);
    });

    it('anthropic: a message_delta without usage, or a message_start inside text, is not final', () => {
      const tap = createUsageTap(messagesUsage, true);
      feed(
        tap,
        start +
          named('message_delta', { type: 'message_delta', delta: { stop_reason: null } }) +
          named('content_block_delta', {
            type: 'content_block_delta',
            delta: { text: '{"type":"message_delta","usage":{"output_tokens":2}}' },
          }),
        11,
      );
      expect(tap.final()).to.equal(false);
    });

    it('chat: final once the usage chunk arrived, not before', () => {
      const tap = createUsageTap(chatUsage, true, true);
      feed(tap, (chatStream[0] as string) + (chatStream[1] as string), 4);
      expect(tap.final()).to.equal(false);
      expect(tap.reported()).to.equal(false);
      tap.push(Buffer.from(chatStream[2] as string));
      expect(tap.final()).to.equal(true);
    });

    it('responses: response.created usage is not read; completed / incomplete / failed is final', () => {
      const tap = createUsageTap(responsesUsage, true);
      feed(
        tap,
        named('response.created', { type: 'response.created', response: { usage: { input_tokens: 9 } } }) +
          named('response.in_progress', {
            type: 'response.in_progress',
            response: { usage: { input_tokens: 9 } },
          }),
        6,
      );
      expect(tap.final()).to.equal(false);
      tap.push(
        Buffer.from(
          named('response.completed', {
            type: 'response.completed',
            response: { usage: { input_tokens: 9, output_tokens: 3 } },
          }),
        ),
      );
      expect(tap.final()).to.equal(true);
    });

    it('JSON: final only when the whole body parsed (a body cut midway is not)', () => {
      const body = JSON.stringify({ id: 'x', usage: { input_tokens: 4, output_tokens: 2 } });
      const whole = createUsageTap(messagesUsage, false);
      whole.push(Buffer.from(body));
      expect(whole.final()).to.equal(true);
      const cut = createUsageTap(messagesUsage, false);
      cut.push(Buffer.from(body.slice(0, 20)));
      expect(cut.final()).to.equal(false);
      expect(cut.reported()).to.equal(false);
    });
  });

  it('JSON bodies: chat, embeddings, responses, anthropic, parsed at the end', () => {
    const cases = [
      [chatUsage, { choices: [], usage: CHAT_USAGE }, CHAT_EXPECTED],
      [
        embeddingsUsage,
        { data: [], usage: { prompt_tokens: 6, total_tokens: 6 } },
        { inputTokens: 6, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 },
      ],
      [
        messagesUsage,
        {
          usage: {
            input_tokens: 3,
            output_tokens: 4,
            cache_read_input_tokens: 2,
            cache_creation_input_tokens: 1,
          },
        },
        { inputTokens: 6, cachedInputTokens: 2, cacheWriteTokens: 1, outputTokens: 4, reasoningTokens: 0 },
      ],
    ] as const;
    for (const [format, body, expected] of cases) {
      const tap = createUsageTap(format, false);
      feed(tap, JSON.stringify(body), 5);
      expect(tap.usage()).to.deep.equal(expected);
    }
  });

  it('a very large JSON body: the top-level usage is found in its tail', () => {
    const tap = createUsageTap(embeddingsUsage, false);
    const big = JSON.stringify({
      data: [{ embedding: Array.from({ length: 1_200_000 }, (_, i) => i / 7) }],
      usage: { prompt_tokens: 42, total_tokens: 42 },
    });
    expect(big.length).to.be.greaterThan(8 * 1024 * 1024);
    feed(tap, big, 65_536);
    expect(tap.usage().inputTokens).to.equal(42);
  });

  it('lastUsageObject skips strings and takes the last usage object', () => {
    expect(
      lastUsageObject('{"a":{"usage":{"x":1}},"s":"}{","usage": {"prompt_tokens":3,"n":"}"}}'),
    ).to.deep.equal({
      prompt_tokens: 3,
      n: '}',
    });
  });

  it('asks a chat stream for usage only when the client did not', () => {
    const body: Record<string, unknown> = { stream: true, stream_options: { include_usage: false, x: 1 } };
    expect(requestStreamUsage(body)).to.equal(true);
    expect(body.stream_options).to.deep.equal({ include_usage: true, x: 1 });
    expect(requestStreamUsage({ stream: true, stream_options: { include_usage: true } })).to.equal(false);
    expect(requestStreamUsage({ stream: false })).to.equal(false);
    // Only the chat spec asks for it; other endpoints have no streamUsage at all.
    expect(responsesSpecStreamUsage).to.equal(undefined);
  });
});
