import { expect } from 'chai';
import { createKeyMasker, maskKeyIn } from '../../../../src/proxy/forward/key-masker.ts';

const KEY = 'sk-proj-abc123XYZ';
const MASK = '*'.repeat(KEY.length);

/** Feeds `text` cut at `cuts`; returns what went out, and what went out before the end. */
function feed(text: string, cuts: number[], key = KEY): { out: string; streamed: string } {
  const masker = createKeyMasker(key);
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(masker.push(bytes.subarray(from, cut)));
    from = cut;
  }
  const streamed = Buffer.concat(pieces).toString();
  pieces.push(masker.end());
  return { out: Buffer.concat(pieces).toString(), streamed };
}

describe('key masker: the provider key never reaches the app', () => {
  it('masks the key with a same-length mask, everywhere in one chunk', () => {
    const text = `{"error":{"message":"Incorrect API key provided: ${KEY}. ${KEY}${KEY}"}}${KEY}`;
    const { out } = feed(text, []);
    expect(out).to.equal(text.replaceAll(KEY, MASK));
    expect(out).to.have.length(text.length);
    expect(out).not.to.include(KEY);
  });

  it('masks a key split at every offset between two chunks', () => {
    const text = `data: {"x":"${KEY}"}\n\n`;
    const expected = text.replaceAll(KEY, MASK);
    for (let cut = 0; cut <= text.length; cut += 1) {
      expect(feed(text, [cut]).out, `cut at ${cut}`).to.equal(expected);
    }
  });

  it('masks keys split at every pair of offsets (three chunks, key split into three)', () => {
    const text = `a${KEY}b${KEY}`;
    const expected = text.replaceAll(KEY, MASK);
    for (let first = 0; first <= text.length; first += 1) {
      for (let second = first; second <= text.length; second += 1) {
        expect(feed(text, [first, second]).out, `cuts ${first}, ${second}`).to.equal(expected);
      }
    }
  });

  it('masks a key fed one byte at a time', () => {
    const text = `xx${KEY}yy${KEY.slice(0, 5)}zz${KEY}`;
    const cuts = Array.from({ length: Buffer.byteLength(text) }, (_, i) => i);
    expect(feed(text, cuts).out).to.equal(text.replaceAll(KEY, MASK));
  });

  it('does not delay a chunk whose tail is not the start of the key', () => {
    const masker = createKeyMasker(KEY);
    const chunk = Buffer.from('data: {"delta":"hello"}\n\n');
    // The very chunk: no copy, nothing held.
    expect(masker.push(chunk)).to.equal(chunk);
    expect(masker.end()).to.have.length(0);
  });

  it('holds back only a tail that is the start of the key, and lets it go when the key does not follow', () => {
    const masker = createKeyMasker(KEY);
    expect(masker.push(Buffer.from('text sk-pr')).toString()).to.equal('text ');
    expect(masker.push(Buffer.from('ose and more')).toString()).to.equal('sk-prose and more');
    expect(masker.push(Buffer.from('ends with s')).toString()).to.equal('ends with ');
    expect(masker.end().toString()).to.equal('s');
    // A tail longer than the key minus one byte is never held.
    const { streamed } = feed(`${'s'.repeat(40)}`, []);
    expect(streamed).to.equal('s'.repeat(39));
  });

  it('leaves the caller’s chunk unchanged when masking', () => {
    const chunk = Buffer.from(`1 ${KEY} 2`);
    const copy = Buffer.from(chunk);
    const out = createKeyMasker(KEY).push(chunk);
    expect(out.toString()).to.equal(`1 ${MASK} 2`);
    expect(chunk.equals(copy)).to.equal(true);
  });

  it('masks multi-byte text around the key intact', () => {
    const text = `é😀${KEY}ü`;
    for (let cut = 0; cut <= Buffer.byteLength(text); cut += 1) {
      expect(feed(text, [cut]).out).to.equal(`é😀${MASK}ü`);
    }
  });

  it('masks header values', () => {
    expect(maskKeyIn(`Bearer ${KEY}`, KEY)).to.equal(`Bearer ${MASK}`);
    expect(maskKeyIn('req_123', KEY)).to.equal('req_123');
  });
});
