/** `POST /v1/audio/speech`: a binary body whose bytes are `FAKE-AUDIO:<format>:<input>`. */
import type { RouteContext } from '../context.ts';
import { bytesReply, type Reply } from '../outgoing.ts';
import { missingField } from './validate.ts';

const CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

export const fakeSpeech = (format: string, input: string): Buffer =>
  Buffer.from(`FAKE-AUDIO:${format}:${input}`);

export function createSpeech({ body }: RouteContext): Reply {
  const invalid = missingField(body, ['model', 'input', 'voice']);
  if (invalid) return invalid;
  const format = typeof body.response_format === 'string' ? body.response_format : 'mp3';
  return bytesReply(
    CONTENT_TYPES[format] ?? 'application/octet-stream',
    fakeSpeech(format, String(body.input)),
  );
}
