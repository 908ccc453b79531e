// Small structural checks on rendered pages. The templates quote every attribute and escape every value,
// so a tag scanner is enough here; a real browser covers the rest in test/e2e.
import { expect } from 'chai';

export type Tag = { name: string; closing: boolean; attrs: Map<string, string>; source: string };

const voidElements = new Set(['meta', 'link', 'input', 'br', 'img', 'hr']);

export function tags(doc: string): Tag[] {
  const out: Tag[] = [];
  for (const match of doc.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const attrs = new Map<string, string>();
    for (const a of (match[3] ?? '').matchAll(/([a-zA-Z][-a-zA-Z0-9]*)(?:="([^"]*)")?/g)) {
      attrs.set((a[1] ?? '').toLowerCase(), a[2] ?? '');
    }
    out.push({ name: (match[2] ?? '').toLowerCase(), closing: match[1] === '/', attrs, source: match[0] });
  }
  return out;
}

export function find(doc: string, name: string, where: (t: Tag) => boolean = () => true): Tag[] {
  return tags(doc).filter((t) => !t.closing && t.name === name && where(t));
}

/** Text of the first element matching `open` (a regex source for its start tag), tags stripped. */
export function textOf(doc: string, open: RegExp): string {
  const start = doc.search(open);
  expect(start, `no element matching ${open}`).to.be.at.least(0);
  const name = /^<([a-z0-9]+)/.exec(doc.slice(start))?.[1] ?? '';
  const end = doc.indexOf(`</${name}>`, start);
  return doc
    .slice(start, end)
    .replace(/<[^>]*>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function assertWellFormed(doc: string): void {
  const stack: string[] = [];
  for (const t of tags(doc)) {
    if (voidElements.has(t.name)) continue;
    if (!t.closing) stack.push(t.name);
    else expect(stack.pop(), `unbalanced </${t.name}>`).to.equal(t.name);
  }
  expect(stack, 'unclosed elements').to.deep.equal([]);
  for (const t of tags(doc)) {
    expect(t.source.replace(/"[^"]*"/g, '""'), 'unquoted attribute value').not.to.match(/=[^"]/);
  }
}

function isHidden(t: Tag): boolean {
  return t.attrs.get('type') === 'hidden' || t.attrs.has('hidden');
}

export function assertAccessible(doc: string): void {
  expect(doc).to.match(/^<!doctype html>\n<html lang="en">/);
  expect(find(doc, 'h1'), 'exactly one h1').to.have.length(1);
  expect(find(doc, 'main'), 'one main landmark').to.have.length(1);
  expect(find(doc, 'header')).to.have.length(1);

  const ids = tags(doc).flatMap((t) => (t.attrs.has('id') ? [t.attrs.get('id')] : []));
  expect(new Set(ids).size, 'ids are unique').to.equal(ids.length);

  const labelled = new Set(find(doc, 'label').map((l) => l.attrs.get('for')));
  const controls = [...find(doc, 'input'), ...find(doc, 'select'), ...find(doc, 'textarea')].filter(
    (t) => !isHidden(t),
  );
  for (const c of controls) {
    const id = c.attrs.get('id');
    expect(id, `${c.source} has an id`).to.be.a('string').and.not.equal('');
    expect(labelled.has(id), `${c.source} has a <label for>`).to.equal(true);
  }
  for (const t of tags(doc)) {
    for (const ref of (t.attrs.get('aria-describedby') ?? '').split(' ').filter(Boolean)) {
      expect(ids, `aria-describedby="${ref}" points at an element`).to.include(ref);
    }
  }
  for (const t of find(doc, 'input', (i) => i.attrs.get('type') === 'checkbox')) {
    expect(t.attrs.has('id')).to.equal(true);
  }
  for (const fieldset of doc.split('<fieldset').slice(1)) {
    expect(fieldset, 'a fieldset starts with its legend').to.match(/^[^>]*>\s*<legend>/);
  }
}

export function assertCspSafe(doc: string): void {
  expect(doc).not.to.match(/<style/i);
  expect(doc).not.to.match(/<script/i);
  expect(doc).not.to.match(/javascript:/i);
  for (const t of tags(doc)) {
    const names = [...t.attrs.keys()];
    expect(names, `${t.source} has no style attribute`).not.to.include('style');
    expect(
      names.filter((n) => n.startsWith('on')),
      `${t.source} has no event handler`,
    ).to.deep.equal([]);
  }
  const sheets = find(doc, 'link', (t) => t.attrs.get('rel') === 'stylesheet');
  expect(sheets.map((t) => t.attrs.get('href'))).to.deep.equal(['/static/mandate.css']);
}

/** Every POST form carries exactly one hidden `csrf` field with the given token. */
export function assertCsrf(doc: string, token: string): void {
  const forms = doc.split('<form').slice(1);
  for (const form of forms) {
    const body = form.slice(0, form.indexOf('</form>'));
    expect(body).to.match(/^[^>]*method="post"/);
    const fields = tags(body).filter((t) => t.name === 'input' && t.attrs.get('name') === 'csrf');
    expect(fields, 'one csrf field per form').to.have.length(1);
    expect(fields[0]?.attrs.get('type')).to.equal('hidden');
    expect(fields[0]?.attrs.get('value')).to.equal(token);
  }
}

export function assertPage(doc: string, csrfToken?: string): void {
  assertWellFormed(doc);
  assertAccessible(doc);
  assertCspSafe(doc);
  if (csrfToken !== undefined) assertCsrf(doc, csrfToken);
}
