import { expect } from 'chai';
import { findJsonShapeProblem, MAX_JSON_DEPTH } from '../../../../src/proxy/request/strict-json.ts';

const duplicate = (path: string) => ({ kind: 'duplicate_key', path });

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('strict JSON: duplicate keys and depth', () => {
  it('passes JSON whose objects have distinct keys', () => {
    for (const text of [
      '{}',
      '[]',
      '"model"',
      '3',
      '{"model":"a","messages":[{"role":"user","content":"hi"},{"role":"user","content":"again"}]}',
      '{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}',
      ' { "a" : 1 , "b" : [ 1 , { "a" : 2 } ] } ',
    ]) {
      expect(findJsonShapeProblem(text), text).to.equal(undefined);
    }
  });

  it('finds a key twice at the top, naming it', () => {
    expect(findJsonShapeProblem('{"model":"a","model":"b"}')).to.deep.equal(duplicate('model'));
    expect(findJsonShapeProblem('{ "model" : "a" ,\n "n": 1, "model" : "b" }')).to.deep.equal(
      duplicate('model'),
    );
  });

  it('decodes escapes: "mo\\u0064el" and "model" are one key', () => {
    expect(findJsonShapeProblem('{"model":"a","mo\\u0064el":"b"}')).to.deep.equal(duplicate('model'));
    expect(findJsonShapeProblem('{"\\u006d\\u006F\\u0064\\u0065\\u006c":"a","model":"b"}')).to.deep.equal(
      duplicate('model'),
    );
    expect(findJsonShapeProblem('{"a\\/b":1,"a/b":2}')).to.deep.equal(duplicate('["a/b"]'));
    expect(findJsonShapeProblem('{"a\\"b":1,"a\\u0022b":2}')).to.deep.equal(duplicate('["a\\"b"]'));
    // Different keys that look alike stay different.
    expect(findJsonShapeProblem('{"model":"a","Model":"b","model ":"c","mo\\\\u0064el":"d"}')).to.equal(
      undefined,
    );
  });

  it('finds duplicates in nested objects and arrays of objects, with their path', () => {
    expect(
      findJsonShapeProblem('{"thinking":{"type":"enabled","budget_tokens":1,"budget_tokens":9}}'),
    ).to.deep.equal(duplicate('thinking.budget_tokens'));
    expect(
      findJsonShapeProblem(
        '{"messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","type":"image"}]}]}',
      ),
    ).to.deep.equal(duplicate('messages[1].content[0].type'));
    expect(findJsonShapeProblem('[[1,2],[{"a":1}],{"b":{"x y":{"c":1,"c":2}}}]')).to.deep.equal(
      duplicate('[2].b["x y"].c'),
    );
  });

  it('keys of sibling and nested objects do not clash', () => {
    expect(findJsonShapeProblem('{"a":{"b":1},"b":{"a":{"a":1}},"c":[{"c":1},{"c":2}]}')).to.equal(undefined);
  });

  it('does not count what is inside string values', () => {
    expect(findJsonShapeProblem('{"content":"{\\"model\\":1,\\"model\\":2}","model":"m"}')).to.equal(
      undefined,
    );
    expect(findJsonShapeProblem('{"a":"model","model":"model","b":["model","model"]}')).to.equal(undefined);
    expect(findJsonShapeProblem('{"a":"x\\\\","model":"m","b":"\\\\\\"model\\":"}')).to.equal(undefined);
    expect(findJsonShapeProblem('{"a":"}{][,","a":1}')).to.deep.equal(duplicate('a'));
  });

  it('an object with many keys (past the small-object path) still finds its duplicate', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`);
    expect(findJsonShapeProblem(`{${keys.join(',')}}`)).to.equal(undefined);
    expect(findJsonShapeProblem(`{${keys.join(',')},"k3":0}`)).to.deep.equal(duplicate('k3'));
    expect(findJsonShapeProblem(`{${keys.join(',')},"k39":0}`)).to.deep.equal(duplicate('k39'));
  });

  it('bounds nesting without recursion: deep input is refused, not a stack overflow', () => {
    const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);
    expect(findJsonShapeProblem(nested(MAX_JSON_DEPTH, '[', ']'))).to.equal(undefined);
    expect(findJsonShapeProblem(nested(MAX_JSON_DEPTH + 1, '[', ']'))).to.deep.equal({
      kind: 'too_deep',
      limit: MAX_JSON_DEPTH,
    });
    const deepObject = `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`;
    JSON.parse(deepObject); // JSON.parse takes it; the scan refuses it
    expect(findJsonShapeProblem(deepObject)).to.deep.equal({ kind: 'too_deep', limit: MAX_JSON_DEPTH });
    expect(findJsonShapeProblem(deepObject, 300_000)).to.equal(undefined);
  });

  it('scans a large body (a 2 MB chat, one duplicate at its very end)', () => {
    const messages = Array.from({ length: 4200 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `turn ${i}: "quoted" \\ and {"model":"x"} `.repeat(10),
    }));
    const text = JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true });
    expect(text.length).to.be.greaterThan(2_000_000);
    expect(findJsonShapeProblem(text)).to.equal(undefined);
    expect(findJsonShapeProblem(`${text.slice(0, -1)},"model":"gpt-5.5"}`)).to.deep.equal(duplicate('model'));
  });

  it('property: on random JSON it agrees with what JSON.parse lost', () => {
    const rand = random(20_240_601);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
    const KEYS = ['model', 'n', 'a', 'é', '"', '\\', 'x y', '', 'mo\u0064el', '\u2028', '😀'];
    const space = () => pick(['', '', ' ', '\n  ', '\t']);
    /** A key written as JSON, with some characters (or all) written as \u escapes. */
    const writeKey = (key: string) => {
      if (rand() < 0.6) return JSON.stringify(key);
      let out = '"';
      for (const ch of key) {
        if (rand() < 0.5 || ch === '"' || ch === '\\') {
          for (const unit of ch.split('')) out += `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
        } else out += ch;
      }
      return `${out}"`;
    };
    const writeString = () =>
      JSON.stringify(pick(['', 'model', '"model":1,"model":2', '{[}]', '\\"', 'a\\', 'é😀']));
    /** Writes a value; returns its text and whether some object in it repeats a key. */
    const write = (depth: number): { text: string; repeats: boolean } => {
      const roll = rand();
      if (depth > 5 || roll < 0.3) {
        return { text: pick([writeString(), '1', '-2.5e3', 'true', 'null']), repeats: false };
      }
      const count = Math.floor(rand() * 5);
      const parts: string[] = [];
      let repeats = false;
      if (roll < 0.5) {
        for (let i = 0; i < count; i += 1) {
          const inner = write(depth + 1);
          repeats ||= inner.repeats;
          parts.push(space() + inner.text + space());
        }
        return { text: `[${parts.join(',')}]`, repeats };
      }
      const used = new Set<string>();
      for (let i = 0; i < count; i += 1) {
        const key = pick(KEYS);
        if (used.has(key)) repeats = true;
        used.add(key);
        const inner = write(depth + 1);
        repeats ||= inner.repeats;
        parts.push(`${space()}${writeKey(key)}${space()}:${space()}${inner.text}${space()}`);
      }
      return { text: `{${parts.join(',')}}`, repeats };
    };
    let withRepeats = 0;
    for (let run = 0; run < 3000; run += 1) {
      const { text, repeats } = write(0);
      JSON.parse(text); // the generator writes valid JSON
      const problem = findJsonShapeProblem(text);
      expect(problem?.kind === 'duplicate_key', text).to.equal(repeats);
      if (!repeats) expect(findJsonShapeProblem(JSON.stringify(JSON.parse(text))), text).to.equal(undefined);
      if (repeats) withRepeats += 1;
    }
    // Both outcomes were exercised often.
    expect(withRepeats).to.be.within(300, 2700);
  });
});
