import type { Capability } from './capability-table.ts';

type CapabilityWords = {
  /** Short label for a capability as a whole, e.g. a consent-page checkbox. */
  readonly label: string;
  /** Sentence for one model: `Chat with GPT-4o mini`. */
  readonly one: (model: string) => string;
  /** Sentence for every model of a provider: `Chat with any OpenAI model`. */
  readonly any: (providerName: string) => string;
};

const WORDS: Readonly<Record<Capability, CapabilityWords>> = {
  chat: {
    label: 'Chat: send messages and get replies',
    one: (model) => `Chat with ${model}`,
    any: (provider) => `Chat with any ${provider} model`,
  },
  embeddings: {
    label: 'Embeddings: turn text into vectors for search and comparison',
    one: (model) => `Create embeddings with ${model}`,
    any: (provider) => `Create embeddings with any ${provider} model`,
  },
  images: {
    label: 'Images: create, edit and vary images',
    one: (model) => `Create and edit images with ${model}`,
    any: (provider) => `Create and edit images with any ${provider} model`,
  },
  audio: {
    label: 'Audio: turn text into speech and transcribe or translate recordings',
    one: (model) => `Generate and transcribe audio with ${model}`,
    any: (provider) => `Generate and transcribe audio with any ${provider} model`,
  },
  moderations: {
    label: 'Moderation: check text and images against usage policies',
    one: (model) => `Check content for policy violations with ${model}`,
    any: (provider) => `Check content for policy violations with any ${provider} model`,
  },
  models: {
    label: 'Models: list the available models and read their details',
    one: (model) => `See the details of ${model}`,
    any: (provider) => `List your ${provider} models and see their details`,
  },
};

/** Plain words for what a capability lets an app do, for the consent page. */
export function describeCapability(capability: Capability): string {
  return WORDS[capability].label;
}

export function capabilityWords(capability: Capability): CapabilityWords {
  return WORDS[capability];
}
