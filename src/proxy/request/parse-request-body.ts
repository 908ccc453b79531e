import { ProxyError } from '../errors/proxy-error.ts';

export type ParsedBody =
  | { kind: 'json'; json: Record<string, unknown>; model: string | undefined }
  | { kind: 'multipart'; model: string | undefined }
  | { kind: 'none'; model: undefined };

/**
 * The request's model, from a JSON body or a multipart form (audio, image edits).
 * Nothing else of a prompt is looked at here.
 */
export async function parseRequestBody(contentType: string | undefined, body: Buffer): Promise<ParsedBody> {
  if (body.length === 0) return { kind: 'none', model: undefined };
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'multipart/form-data') {
    let form: FormData;
    try {
      form = await new Response(body, { headers: { 'content-type': contentType as string } }).formData();
    } catch {
      throw new ProxyError('invalid_request', 'the multipart body could not be read');
    }
    const model = form.get('model');
    return { kind: 'multipart', model: typeof model === 'string' ? model : undefined };
  }
  if (type !== 'application/json' && type !== '') {
    throw new ProxyError('invalid_request', `expected application/json, not ${type}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProxyError('invalid_json', 'the request body is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ProxyError('invalid_json', 'the request body must be a JSON object');
  }
  const model = (json as { model?: unknown }).model;
  if (model !== undefined && typeof model !== 'string')
    throw new ProxyError('invalid_request', 'model must be a string');
  return { kind: 'json', json: json as Record<string, unknown>, model };
}
