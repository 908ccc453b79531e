/** `POST /v1/audio/transcriptions`: multipart in; JSON `{ text, usage }` out (or plain text). */
import type { RouteContext } from '../context.ts';
import { openaiError } from '../errors.ts';
import { bytesReply, jsonReply, type Reply } from '../outgoing.ts';
import { replyText } from '../text.ts';
import { transcriptionUsage } from '../usage.ts';

async function readForm(body: Buffer, contentType: string): Promise<FormData | undefined> {
  try {
    return await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch {
    return undefined;
  }
}

const missing = (name: string) =>
  jsonReply(
    400,
    openaiError(400, {
      message: `Missing required parameter: '${name}'.`,
      param: name,
      code: 'missing_required_parameter',
    }),
  );

export async function createTranscription({ record, settings }: RouteContext): Promise<Reply> {
  const form = await readForm(record.body, String(record.headers['content-type'] ?? ''));
  const file = form?.get('file');
  if (!form || !(file instanceof Blob)) return missing('file');
  const model = form.get('model');
  if (typeof model !== 'string') return missing('model');
  const text = replyText(settings.chunkCount);
  if (form.get('response_format') === 'text') return bytesReply('text/plain; charset=utf-8', text);
  const prompt = form.get('prompt');
  const usage = transcriptionUsage(model, file.size, typeof prompt === 'string' ? prompt : '', settings);
  return jsonReply(200, { text, usage });
}
