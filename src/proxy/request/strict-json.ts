/**
 * What JSON.parse lets through that the provider may read differently: the same key twice
 * in one object (JSON.parse keeps the last, another parser may keep the first, so the
 * proxy would authorize one value and forward bytes whose other value the provider reads),
 * and nesting so deep that no request means it. Pure: no I/O.
 *
 * The scan runs on text JSON.parse has already accepted, so it only tracks structure. A
 * string is skipped with indexOf to its next quote (native) and, only when that quote is
 * escaped, with one linear regex; a key is decoded only when it holds an escape
 * (`"mo\u0064el"` is the key `model`). Iterative, so no depth can overflow the stack.
 */

/** Containers nested deeper than this are refused (the cost bound searches no deeper). */
export const MAX_JSON_DEPTH = 64;

export type JsonShapeProblem =
  /** `path` names the repeated key, e.g. `model` or `messages[1].content`. */
  { kind: 'duplicate_key'; path: string } | { kind: 'too_deep'; limit: number };

interface Frame {
  /** Keys seen so far in this object (an array is quicker than a Set for a few); undefined for an array. */
  keys: string[] | undefined;
  /** The same keys once there are many. */
  set: Set<string> | undefined;
  /** Where this container sits in its parent (a key or an index); undefined for the root. */
  at: string | number | undefined;
  /** The index of the element being read, in an array. */
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const FEW_KEYS = 8;

/** The rest of a string after its opening quote, escapes included, through its closing quote. */
const STRING_REST = /[^"\\]*(?:\\.[^"\\]*)*"/y;

/** The index of the quote that closes the string whose opening quote is at `start`. */
function closingQuote(text: string, start: number): number {
  const end = text.indexOf('"', start + 1);
  // Only on text that is not JSON: end the scan rather than loop.
  if (end === -1) return text.length;
  let backslashes = 0;
  while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
  if (backslashes % 2 === 0) return end;
  // An escaped quote: the regex takes the rest, however many escapes it holds.
  STRING_REST.lastIndex = end + 1;
  return STRING_REST.test(text) ? STRING_REST.lastIndex - 1 : text.length;
}

/** Whether `key` was seen in this object; records it if not. */
function seen(frame: Frame, key: string): boolean {
  const keys = frame.keys as string[];
  if (frame.set) {
    if (frame.set.has(key)) return true;
    frame.set.add(key);
  } else {
    for (let i = 0; i < keys.length; i += 1) if (keys[i] === key) return true;
    if (keys.length === FEW_KEYS) frame.set = new Set(keys).add(key);
  }
  // The last key is what a nested container sits under.
  keys.push(key);
  return false;
}

const PLAIN_NAME = /^[A-Za-z_$][\w$]*$/;

function describe(part: string | number): string {
  if (typeof part === 'number') return `[${part}]`;
  const name = part.length > 64 ? `${part.slice(0, 61)}...` : part;
  return PLAIN_NAME.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function pathOf(stack: Frame[], key: string): string {
  let path = '';
  for (let i = 1; i < stack.length; i += 1) path += describe((stack[i] as Frame).at as string | number);
  path += describe(key);
  return path.startsWith('.') ? path.slice(1) : path;
}

/**
 * The first duplicate key (or too deep a nesting) in `text`, which must be JSON that
 * JSON.parse accepts; undefined when every object's keys are distinct.
 */
export function findJsonShapeProblem(text: string, maxDepth = MAX_JSON_DEPTH): JsonShapeProblem | undefined {
  const stack: Frame[] = [];
  let top: Frame | undefined;
  // In an object, whether the next string is a key (after `{` or `,`).
  let expectKey = false;
  const length = text.length;
  for (let i = 0; i < length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (seen(top as Frame, key)) return { kind: 'duplicate_key', path: pathOf(stack, key) };
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (stack.length >= maxDepth) return { kind: 'too_deep', limit: maxDepth };
      const at = top === undefined ? undefined : top.keys ? top.keys[top.keys.length - 1] : top.index;
      top = { keys: c === OPEN_OBJECT ? [] : undefined, set: undefined, at, index: 0 };
      stack.push(top);
      expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
      top = stack[stack.length - 1];
      expectKey = false;
    } else if (c === COMMA && top) {
      if (top.keys) expectKey = true;
      else top.index += 1;
    }
  }
  return undefined;
}
