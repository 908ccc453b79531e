import { capabilityWords } from './describe-capability.ts';
import { modelDisplayName } from './model-names.ts';
import { providerDisplayName } from './providers.ts';
import { ANY_MODEL, type Scope } from './scope.ts';

/**
 * One plain sentence for the consent page: `Chat with GPT-4o mini`,
 * `Chat with any OpenAI model`, `Create embeddings with text-embedding-3-small`.
 * The result is plain text; the page escapes it like any other value.
 */
export function describeScope(scope: Scope): string {
  const words = capabilityWords(scope.capability);
  return scope.model === ANY_MODEL
    ? words.any(providerDisplayName(scope.provider))
    : words.one(modelDisplayName(scope.model));
}
