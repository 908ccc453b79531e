import { expect } from 'chai';
import { CAPABILITIES, describeCapability, describeScope } from '../../../src/scopes/index.ts';

describe('describeScope', () => {
  it('names known models plainly', () => {
    expect(describeScope({ provider: 'openai', model: 'gpt-4o-mini', capability: 'chat' })).to.equal(
      'Chat with GPT-4o mini',
    );
    expect(describeScope({ provider: 'anthropic', model: 'claude-sonnet-4-5', capability: 'chat' })).to.equal(
      'Chat with Claude Sonnet 4.5',
    );
  });

  it('says "any <Provider> model" for *', () => {
    expect(describeScope({ provider: 'openai', model: '*', capability: 'chat' })).to.equal(
      'Chat with any OpenAI model',
    );
    expect(describeScope({ provider: 'anthropic', model: '*', capability: 'chat' })).to.equal(
      'Chat with any Anthropic model',
    );
    expect(describeScope({ provider: 'openai', model: '*', capability: 'models' })).to.equal(
      'List your OpenAI models and see their details',
    );
  });

  it('words Google Gemini scopes for the consent page', () => {
    expect(describeScope({ provider: 'google', model: 'gemini-2.5-flash', capability: 'chat' })).to.equal(
      'Chat with Gemini 2.5 Flash',
    );
    expect(describeScope({ provider: 'google', model: '*', capability: 'chat' })).to.equal(
      'Chat with any Google Gemini model',
    );
    expect(describeScope({ provider: 'google', model: '*', capability: 'models' })).to.equal(
      'List your Google Gemini models and see their details',
    );
    expect(
      describeScope({ provider: 'google', model: 'gemini-embedding-001', capability: 'embeddings' }),
    ).to.equal('Create embeddings with Gemini Embedding');
  });

  it('shows other model ids as they are', () => {
    expect(
      describeScope({ provider: 'openai', model: 'text-embedding-3-small', capability: 'embeddings' }),
    ).to.equal('Create embeddings with text-embedding-3-small');
    expect(describeScope({ provider: 'openai', model: 'gpt-4o-2024-08-06', capability: 'chat' })).to.equal(
      'Chat with gpt-4o-2024-08-06',
    );
    expect(
      describeScope({ provider: 'openai', model: 'ft:gpt-4o-mini:org::abc123', capability: 'chat' }),
    ).to.equal('Chat with fine-tuned model ft:gpt-4o-mini:org::abc123');
  });

  it('describes every capability for one model and for any model', () => {
    for (const capability of CAPABILITIES) {
      const one = describeScope({ provider: 'openai', model: 'm-1', capability });
      const any = describeScope({ provider: 'openai', model: '*', capability });
      expect(one).to.include('m-1');
      expect(any).to.include('OpenAI');
      expect(one).to.not.equal(any);
    }
  });
});

describe('describeCapability', () => {
  it('gives a plain label for every capability', () => {
    expect(describeCapability('chat')).to.equal('Chat: send messages and get replies');
    const labels = CAPABILITIES.map(describeCapability);
    expect(new Set(labels).size).to.equal(CAPABILITIES.length);
    for (const label of labels) expect(label).to.match(/^[A-Z][^:]+: \S/);
  });
});
