/**
 * Escaping HTML templates for the hosted pages.
 *
 * - `html\`...\`` escapes every interpolated value; arrays are joined with no separator.
 * - `null`, `undefined` and `false` render as nothing, so `${cond && html\`...\`}` works.
 * - Results of `html` (and of `raw`) are `SafeHtml` and are inserted as they are when nested.
 * - Every attribute in a template must be quoted: escaping covers both quote characters.
 */

const safeHtmlBrand: unique symbol = Symbol('SafeHtml');

export interface SafeHtml {
  readonly [safeHtmlBrand]: true;
  readonly value: string;
  toString(): string;
}

export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

const replacements: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => replacements[char] ?? char);
}

/** Marks a trusted string as HTML. Only for constant markup written in this codebase, never for input. */
export function raw(value: string): SafeHtml {
  return Object.freeze({
    [safeHtmlBrand]: true as const,
    value,
    toString: () => value,
  });
}

export function isSafeHtml(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && safeHtmlBrand in value;
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (isSafeHtml(value)) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    out += render(values[i]) + (strings[i + 1] ?? '');
  }
  return raw(out);
}
