/**
 * What the body checks cost per request, in-process (no servers): the duplicate-key scan
 * (`strict-json.ts`) and the decided-field types (`check-decided-fields.ts`) next to the
 * JSON.parse they follow, on a typical 2 KB and 200 KB chat body; and the key masker on a
 * 20 KB answer in 1 KB chunks. `node bench/body-checks.ts`; numbers in docs/performance.md.
 */
import { PROVIDER_SPECS } from '../src/proxy/endpoints/index.ts';
import { chatCompletions } from '../src/proxy/endpoints/openai/chat-completions.ts';
import { createKeyMasker } from '../src/proxy/forward/key-masker.ts';
import { checkDecidedFields } from '../src/proxy/request/check-decided-fields.ts';
import { findJsonShapeProblem } from '../src/proxy/request/strict-json.ts';

/** The rules the proxy checks a chat completions body against (the provider's, then the endpoint's). */
const CHAT_RULES = [...PROVIDER_SPECS.openai.decidedFields, ...chatCompletions.decidedFields];

/** A chat body of about `bytes`: alternating turns of prose with some code and quotes in it. */
function chatBody(bytes: number): Buffer {
  const prose = 'The quick brown fox jumps over the lazy dog, twice. ';
  const code = 'const config = { "name": "x", "path": "C:\\\\tmp" };\n';
  const messages: Array<{ role: string; content: string }> = [
    { role: 'system', content: 'You are a helpful assistant.' },
  ];
  for (let i = 0; JSON.stringify(messages).length < bytes - 120; i += 1) {
    messages.push({ role: i % 2 ? 'assistant' : 'user', content: `${prose.repeat(6)}${i % 3 ? '' : code}` });
  }
  return Buffer.from(
    JSON.stringify({ model: 'gpt-4o-mini', messages, temperature: 0.2, max_completion_tokens: 512 }),
  );
}

/** Median µs per call over `rounds` rounds of `calls` calls each. */
function measure(fn: () => unknown, calls: number, rounds = 15): number {
  for (let i = 0; i < calls; i += 1) fn();
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r += 1) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i += 1) fn();
    perCall.push(Number(process.hrtime.bigint() - started) / 1000 / calls);
  }
  perCall.sort((a, b) => a - b);
  return perCall[Math.floor(rounds / 2)] as number;
}

const rows: string[] = [];
for (const size of [2_000, 200_000]) {
  const body = chatBody(size);
  const calls = size > 10_000 ? 200 : 20_000;
  const text = body.toString('utf8');
  const json = JSON.parse(text) as Record<string, unknown>;
  const parse = measure(() => JSON.parse(body.toString('utf8')), calls);
  const scan = measure(() => findJsonShapeProblem(text), calls);
  const fields = measure(() => checkDecidedFields(json, CHAT_RULES), calls);
  rows.push(
    `| ${(body.length / 1000).toFixed(0)} KB chat | ${parse.toFixed(1)} µs | ${scan.toFixed(1)} µs (${((scan / parse) * 100).toFixed(0)} %) | ${fields.toFixed(2)} µs |`,
  );
}
console.log('| body | toString + JSON.parse | duplicate-key scan | decided fields |');
console.log('| ---- | --------------------- | ------------------ | -------------- |');
for (const row of rows) console.log(row);

const answer = Buffer.from(
  `data: ${JSON.stringify({ choices: [{ delta: { content: 'word ' } }] })}\n\n`.repeat(300),
);
const chunks = Array.from({ length: Math.ceil(answer.length / 1024) }, (_, i) =>
  answer.subarray(i * 1024, (i + 1) * 1024),
);
const key = `sk-proj-${'a1'.repeat(80)}`;
const mask = measure(() => {
  const masker = createKeyMasker(key);
  for (const chunk of chunks) masker.push(chunk);
  masker.end();
}, 2_000);
console.log(
  `\nkey masker: ${mask.toFixed(1)} µs for a ${(answer.length / 1000).toFixed(0)} KB answer in ${chunks.length} chunks`,
);
