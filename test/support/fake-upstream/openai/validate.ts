import { openaiError } from '../errors.ts';
import { type BodyReply, jsonReply } from '../outgoing.ts';

export const INVALID_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP " +
  'library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)';

/** OpenAI's 400 for the first missing required field, or undefined. */
export function missingField(body: Record<string, unknown>, fields: string[]): BodyReply | undefined {
  const name = fields.find((field) => body[field] === undefined || body[field] === null);
  if (name === undefined) return undefined;
  if (name === 'model')
    return jsonReply(400, openaiError(400, { message: 'you must provide a model parameter' }));
  return jsonReply(
    400,
    openaiError(400, {
      message: `Missing required parameter: '${name}'.`,
      param: name,
      code: 'missing_required_parameter',
    }),
  );
}
