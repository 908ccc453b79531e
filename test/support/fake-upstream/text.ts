const WORDS = ['fake', 'reply', 'from', 'the', 'local', 'upstream', 'for', 'tests'];

/** The content chunks of every reply: `['fake', ' reply', ' from', …]`, `count` long. */
export const replyChunks = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => (i === 0 ? '' : ' ') + WORDS[i % WORDS.length]);

/** The content deltas of a reply of `tokens` words, `perDelta` words each (the last may be shorter). */
export function contentDeltas(tokens: number, perDelta: number): string[] {
  const words = replyChunks(tokens);
  const size = Math.max(1, Math.floor(perDelta));
  const deltas: string[] = [];
  for (let i = 0; i < words.length; i += size) deltas.push(words.slice(i, i + size).join(''));
  return deltas;
}

/** The whole reply text for `count` chunks. */
export const replyText = (count: number): string => replyChunks(count).join('');

/** Deterministic ids: `fakeId('chatcmpl-', 3)` is `chatcmpl-fake000003`. */
export const fakeId = (prefix: string, seq: number): string => `${prefix}fake${String(seq).padStart(6, '0')}`;
