import { ProxyError } from '../errors/proxy-error.ts';
import { findJsonShapeProblem } from './strict-json.ts';

export type ParsedBody =
  | { kind: 'json'; json: Record<string, unknown>; model: string | undefined }
  | { kind: 'multipart'; json: undefined; model: string | undefined }
  | { kind: 'none'; json: undefined; model: undefined };

/**
 * Multipart fields the proxy decides on (the model for the scope; the rest are what an
 * image or audio request is priced by): each may appear once, as text.
 */
export const DECIDED_FORM_FIELDS: readonly string[] = [
  'model',
  'n',
  'size',
  'quality',
  'response_format',
  'stream',
  'partial_images',
];

const twice = (field: string) =>
  new ProxyError(
    'invalid_request',
    `${field} appears twice in the request body; Mandate refuses it, as the provider might read the other one`,
  );

/**
 * The request's model, from a JSON body or a multipart form (audio, image edits).
 * Nothing else of a prompt is looked at here. What the proxy decides on must be what the
 * provider reads: a JSON key twice in one object, or a decided form field twice, is
 * refused (JSON.parse keeps the last value, the provider's parser may keep the first).
 */
export async function parseRequestBody(contentType: string | undefined, body: Buffer): Promise<ParsedBody> {
  if (body.length === 0) return { kind: 'none', json: undefined, model: undefined };
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'multipart/form-data') {
    let form: FormData;
    try {
      form = await new Response(body, { headers: { 'content-type': contentType as string } }).formData();
    } catch {
      throw new ProxyError('invalid_request', 'the multipart body could not be read');
    }
    for (const field of DECIDED_FORM_FIELDS) {
      const values = form.getAll(field);
      if (values.length > 1) throw twice(field);
      if (values.length === 1 && typeof values[0] !== 'string') {
        throw new ProxyError('invalid_request', `${field} must be a text field, not a file`);
      }
    }
    const model = form.get('model');
    return { kind: 'multipart', json: undefined, model: typeof model === 'string' ? model : undefined };
  }
  if (type !== 'application/json' && type !== '') {
    throw new ProxyError('invalid_request', `expected application/json, not ${type}`);
  }
  let json: unknown;
  const text = body.toString('utf8');
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProxyError('invalid_json', 'the request body is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ProxyError('invalid_json', 'the request body must be a JSON object');
  }
  const problem = findJsonShapeProblem(text);
  if (problem?.kind === 'duplicate_key') throw twice(problem.path);
  if (problem?.kind === 'too_deep') {
    throw new ProxyError('invalid_request', `the request body nests deeper than ${problem.limit} levels`);
  }
  const model = (json as { model?: unknown }).model;
  if (model !== undefined && typeof model !== 'string')
    throw new ProxyError('invalid_request', 'model must be a string');
  return { kind: 'json', json: json as Record<string, unknown>, model };
}
