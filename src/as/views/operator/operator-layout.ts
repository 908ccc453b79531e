import { html, raw, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';

const SECTIONS = [
  { href: '/operator/apps', text: 'Apps' },
  { href: '/operator/people', text: 'People' },
  { href: '/operator/grants', text: 'Grants' },
  { href: '/operator/audit', text: 'Audit trail' },
] as const;

export type OperatorSection = (typeof SECTIONS)[number]['href'];

export type OperatorFrame = { csrfToken: string; username: string };

/** An operator's page: the account navigation (with Operator marked), the sections, then the body. */
export function operatorLayout(
  frame: OperatorFrame,
  { title, section, body }: { title: string; section: OperatorSection; body: SafeHtml },
): string {
  const links = SECTIONS.map(
    ({ href, text }) =>
      html`<li><a href="${href}"${href === section ? raw(' aria-current="page"') : ''}>${text}</a></li>`,
  );
  return layout({
    title,
    body: html`<nav class="operator-nav" aria-label="Operator"><ul>${links}</ul></nav>
${body}`,
    signedInAs: frame.username,
    csrfToken: frame.csrfToken,
    current: '/operator/apps',
    operator: true,
    wide: true,
  });
}
