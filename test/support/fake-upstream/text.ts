const WORDS = ['fake', 'reply', 'from', 'the', 'local', 'upstream', 'for', 'tests'];

/** The content chunks of every reply: `['fake', ' reply', ' from', …]`, `count` long. */
export const replyChunks = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => (i === 0 ? '' : ' ') + WORDS[i % WORDS.length]);

/** The whole reply text for `count` chunks. */
export const replyText = (count: number): string => replyChunks(count).join('');

/** Deterministic ids: `fakeId('chatcmpl-', 3)` is `chatcmpl-fake000003`. */
export const fakeId = (prefix: string, seq: number): string => `${prefix}fake${String(seq).padStart(6, '0')}`;
