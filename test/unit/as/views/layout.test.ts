import { expect } from 'chai';
import { html } from '../../../../src/as/views/html.ts';
import { layout } from '../../../../src/as/views/layout.ts';
import { attrBreakout, csrfToken, escapedBreakout } from './fixtures.ts';
import { assertPage, find, textOf } from './html-checks.ts';

const body = html`<h1>Page</h1><p>Hello</p>`;

describe('views/layout', () => {
  it('is a complete English document linking the one stylesheet', () => {
    const doc = layout({ title: 'Page', body });
    assertPage(doc);
    expect(doc).to.include('<meta charset="utf-8">');
    expect(doc).to.include('<meta name="viewport"');
    expect(doc).to.include('<title>Page · Mandate</title>');
    expect(doc).to.include(
      '<main id="main" class="container" tabindex="-1">\n<h1>Page</h1><p>Hello</p>\n</main>',
    );
    expect(find(doc, 'a')[0]?.attrs.get('href')).to.equal('#main');
  });

  it('shows the product name but no account navigation when signed out', () => {
    const doc = layout({ title: 'Page', body });
    expect(textOf(doc, /<header/)).to.equal('Mandate');
    expect(find(doc, 'nav')).to.have.length(0);
    expect(find(doc, 'form')).to.have.length(0);
  });

  it('shows the account navigation and a sign-out POST form with csrf when signed in', () => {
    const doc = layout({ title: 'Page', body, signedInAs: 'alice', csrfToken });
    assertPage(doc, csrfToken);
    const nav = doc.slice(doc.indexOf('<nav'), doc.indexOf('</nav>'));
    expect(
      find(nav, 'a').map((a) => [
        a.attrs.get('href'),
        textOf(nav, new RegExp(`<a href="${a.attrs.get('href')}"`)),
      ]),
    ).to.deep.equal([
      ['/account', 'Connected apps'],
      ['/account/keys', 'Provider keys'],
      ['/account/password', 'Password'],
    ]);
    const [form] = find(doc, 'form');
    expect(form?.attrs.get('action')).to.equal('/account/logout');
    expect(textOf(doc, /<button/)).to.equal('Sign out');
    expect(doc).to.include('Signed in as <strong>alice</strong>');
  });

  it('leaves the sign-out form out when there is no csrf token', () => {
    const doc = layout({ title: 'Page', body, signedInAs: 'alice' });
    assertPage(doc);
    expect(find(doc, 'nav')).to.have.length(1);
    expect(find(doc, 'form')).to.have.length(0);
  });

  it('escapes the title, the username and the csrf token', () => {
    const doc = layout({ title: attrBreakout, body, signedInAs: attrBreakout, csrfToken: attrBreakout });
    assertPage(doc, escapedBreakout);
    expect(doc).not.to.include(attrBreakout);
  });
});
