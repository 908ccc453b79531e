/** One fake upstream per test file, with official SDK clients pointed at it. */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import {
  createFakeUpstream,
  type FakeUpstream,
  type FakeUpstreamOptions,
} from '../../support/fake-upstream/index.ts';

export type FakeSetup = { fake: FakeUpstream; openai: OpenAI; anthropic: Anthropic };

export function useFakeUpstream(options: FakeUpstreamOptions = {}): FakeSetup {
  const setup = {} as FakeSetup;
  before(async () => {
    setup.fake = await createFakeUpstream(options);
    setup.openai = new OpenAI({
      apiKey: setup.fake.openaiKey,
      baseURL: setup.fake.openaiBaseURL,
      maxRetries: 0,
    });
    setup.anthropic = new Anthropic({
      apiKey: setup.fake.anthropicKey,
      baseURL: setup.fake.anthropicBaseURL,
      maxRetries: 0,
    });
  });
  afterEach(() => setup.fake.control.reset());
  after(() => setup.fake.close());
  return setup;
}

/** The request most recently recorded. */
export const lastRequest = (fake: FakeUpstream) => {
  const request = fake.requests.at(-1);
  if (!request) throw new Error('no request recorded');
  return request;
};
