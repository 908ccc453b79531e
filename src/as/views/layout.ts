import { csrfField } from './csrf-field.ts';
import { html, raw, type SafeHtml } from './html.ts';

export type LayoutOptions = {
  /** Page title; " · Mandate" is appended in <title>. */
  title: string;
  /** The page content, rendered inside <main>. It must contain the page's single <h1>. */
  body: SafeHtml;
  /** Username of the signed-in person: shows the account navigation. */
  signedInAs?: string;
  /** Needed for the "Sign out" form; without it the form is left out. */
  csrfToken?: string;
  /** Path of the current page, marked with aria-current in the navigation. */
  current?: string;
  /** The signed-in person is an operator: the navigation links to the operator's pages too. */
  operator?: boolean;
  /** A page of wide tables (the operator's): a wider column, so they fit a laptop's screen without scrolling. */
  wide?: boolean;
};

const accountLinks = [
  { href: '/account', text: 'Connected apps' },
  { href: '/account/keys', text: 'Provider keys' },
  { href: '/account/password', text: 'Password' },
] as const;

const operatorLink = { href: '/operator/apps', text: 'Operator' } as const;

function accountNav(
  signedInAs: string,
  csrfToken: string | undefined,
  current: string | undefined,
  operator: boolean,
): SafeHtml {
  const links = [...accountLinks, ...(operator ? [operatorLink] : [])].map(
    ({ href, text }) =>
      html`<li><a href="${href}"${href === current ? raw(' aria-current="page"') : ''}>${text}</a></li>`,
  );
  const signOut =
    csrfToken !== undefined &&
    html`<form class="sign-out" method="post" action="/account/logout">${csrfField(csrfToken)}<button type="submit" class="button button-link">Sign out</button></form>`;
  return html`<nav class="account-nav" aria-label="Account"><ul>${links}</ul></nav>
<div class="session"><p>Signed in as <strong>${signedInAs}</strong></p>${signOut}</div>`;
}

/** A complete HTML document. No inline script or style anywhere: the one stylesheet is /static/mandate.css. */
export function layout({
  title,
  body,
  signedInAs,
  csrfToken,
  current,
  operator = false,
  wide = false,
}: LayoutOptions): string {
  const container = wide ? 'container container-wide' : 'container';
  const brand =
    signedInAs === undefined
      ? html`<span class="brand">Mandate</span>`
      : html`<a class="brand" href="/account">Mandate</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Mandate</title>
<link rel="stylesheet" href="/static/mandate.css">
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<div class="${container} header-inner">
${brand}
${signedInAs !== undefined && accountNav(signedInAs, csrfToken, current, operator)}
</div>
</header>
<main id="main" class="${container}" tabindex="-1">
${body}
</main>
</body>
</html>
`.toString();
}
