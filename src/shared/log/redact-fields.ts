import { CENSOR } from './redact-text.ts';

/**
 * Field names whose values are blanked wherever a caller logs a request-shaped object:
 * at the top of the logged object and one level down (`{ body: { password } }`). They
 * back up the serializer: no caller should log these at all.
 */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'password',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'code_verifier',
  'cookie',
  'csrf',
  'authorization',
  'key',
]);

/** Header names blanked in a `headers` object at the top or one level down (`{ req: { headers } }`). */
const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'set-cookie', 'x-api-key']);

type Fields = Record<string, unknown>;

/** An object to look into: not an array, and not an error (the error serializer keeps only what is safe of it). */
const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Error);

/** A shallow copy of the own enumerable fields, keeping the prototype. */
const copyOf = (value: Fields): Fields => Object.assign(Object.create(Object.getPrototypeOf(value)), value);

/** `headers` with the secret ones (and any secret-named field) blanked: the same object when none is there. */
function redactHeaders(headers: Fields): Fields {
  let out: Fields | undefined;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (!SECRET_HEADERS.has(lower) && !SECRET_FIELDS.has(lower)) continue;
    out ??= copyOf(headers);
    out[name] = CENSOR;
  }
  return out ?? headers;
}

/** One object's own fields, secret ones blanked, `headers` redacted, `deeper` levels below checked too. */
function redactLevel(fields: Fields, deeper: boolean): Fields {
  let out: Fields | undefined;
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    let redacted = value;
    if (SECRET_FIELDS.has(name)) redacted = value === undefined ? value : CENSOR;
    else if (isObject(value))
      redacted = name === 'headers' ? redactHeaders(value) : deeper ? redactLevel(value, false) : value;
    if (redacted === value) continue;
    out ??= copyOf(fields);
    out[name] = redacted;
  }
  return out ?? fields;
}

/**
 * The object a caller logs with its secret-named fields blanked (two levels deep, and
 * the secret headers of a `headers` object on either level). The caller's object is
 * never changed: what needs blanking is copied, and an object with nothing to blank is
 * returned as it is, so an ordinary log line allocates nothing here.
 */
export function redactFields(fields: Fields): Fields {
  return redactLevel(fields, true);
}
