import { anthropicError } from '../errors.ts';
import { type BodyReply, jsonReply } from '../outgoing.ts';

/** Anthropic's 400 for the first missing required field, or undefined. */
export function missingField(
  body: Record<string, unknown>,
  fields: string[],
  requestId: string,
): BodyReply | undefined {
  const name = fields.find((field) => body[field] === undefined || body[field] === null);
  if (name === undefined) return undefined;
  return jsonReply(400, anthropicError(400, `${name}: Field required`, requestId));
}
