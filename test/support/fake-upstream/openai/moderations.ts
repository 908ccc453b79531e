/** `POST /v1/moderations`: one unflagged result per input. */
import type { RouteContext } from '../context.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { fakeId } from '../text.ts';
import { missingField } from './validate.ts';

const CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
];

const all = <T>(value: T) => Object.fromEntries(CATEGORIES.map((name) => [name, value]));

const inputCount = (input: unknown): number =>
  Array.isArray(input) && input.every((item) => typeof item === 'string') ? input.length : 1;

export function createModeration({ body, record }: RouteContext): Reply {
  const invalid = missingField(body, ['input']);
  if (invalid) return invalid;
  const result = {
    flagged: false,
    categories: all(false),
    category_scores: all(0),
    category_applied_input_types: all(['text']),
  };
  return jsonReply(200, {
    id: fakeId('modr-', record.seq),
    model: body.model ?? 'omni-moderation-latest',
    results: Array.from({ length: inputCount(body.input) }, () => result),
  });
}
