/** `POST /v1/images/generations`: `n` 1×1 PNGs, as `b64_json` (gpt-image models, or asked) or URLs. */
import type { RouteContext } from '../context.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { imagesUsage } from '../usage.ts';
import { missingField } from './validate.ts';

export const TINY_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

export function generateImages({ body, settings, record, created }: RouteContext): Reply {
  const invalid = missingField(body, ['prompt']);
  if (invalid) return invalid;
  const model = typeof body.model === 'string' ? body.model : 'dall-e-2';
  const gptImage = model.startsWith('gpt-image');
  const inline = gptImage || body.response_format === 'b64_json';
  const n = typeof body.n === 'number' ? body.n : 1;
  const data = Array.from({ length: n }, (_, i) =>
    inline
      ? { b64_json: TINY_PNG_BASE64 }
      : { url: `https://images.fake.invalid/${record.seq}-${i}.png`, revised_prompt: body.prompt },
  );
  return jsonReply(200, { created, data, ...(gptImage ? { usage: imagesUsage(body, settings) } : {}) });
}
