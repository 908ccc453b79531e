/** `POST /v1/responses`, plain JSON; `stream: true` goes to responses-stream.ts. */
import type { RouteContext } from '../context.ts';
import { plannedGeneration, withGeneration } from '../generation.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { replyText } from '../text.ts';
import { responsesOutputPlan, responsesUsage } from '../usage.ts';
import { messageItem, outputTextPart, responseObject } from './response-object.ts';
import { responsesStream } from './responses-stream.ts';
import { missingField } from './validate.ts';

export function createResponse(context: RouteContext): Reply {
  const { body, settings, record } = context;
  const invalid = missingField(body, ['model']);
  if (invalid) return invalid;
  if (body.stream === true) return responsesStream(context);
  const plan = responsesOutputPlan(body, settings);
  const status = plan.truncated ? 'incomplete' : 'completed';
  const item = messageItem(record.seq, status, [outputTextPart(replyText(plan.contentTokens))]);
  const usage = responsesUsage(body, settings);
  return withGeneration(
    jsonReply(200, responseObject(context, status, [item], usage)),
    plannedGeneration(body, usage.input_tokens, usage.output_tokens),
  );
}
