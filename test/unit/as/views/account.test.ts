import { expect } from 'chai';
import { type ConnectedAppView, renderAccount } from '../../../../src/as/views/account.ts';
import { attrBreakout, csrfToken, escapedScript, scriptName } from './fixtures.ts';
import { assertPage, find, textOf } from './html-checks.ts';

const app: ConnectedAppView = {
  grantId: 'grant/1 ?&',
  clientName: 'Acme Writer',
  scopes: [{ value: 'openai:gpt-4o-mini:chat', text: 'Chat with GPT-4o mini' }],
  grantedAt: new Date('2025-03-04T05:06:07.890Z'),
  expiresAt: new Date('2025-04-03T05:06:07.000Z'),
};

describe('views/account', () => {
  it('shows an empty state when no app is connected', () => {
    const doc = renderAccount({ csrfToken, username: 'alice', apps: [] });
    assertPage(doc, csrfToken);
    expect(textOf(doc, /<h1>/)).to.equal('Connected apps');
    expect(textOf(doc, /<p class="empty">/)).to.match(/^No apps can use your AI accounts/);
    expect(find(doc, 'form').map((f) => f.attrs.get('action'))).to.deep.equal(['/account/logout']);
  });

  it('lists each app with its dates in UTC and its scopes in plain words', () => {
    const doc = renderAccount({ csrfToken, username: 'alice', apps: [app] });
    assertPage(doc, csrfToken);
    expect(textOf(doc, /<h2 id="app-0">/)).to.equal('Acme Writer');
    expect(doc).to.include('<time datetime="2025-03-04T05:06:07.890Z">2025-03-04 05:06 UTC</time>');
    expect(doc).to.include('<time datetime="2025-04-03T05:06:07.000Z">2025-04-03 05:06 UTC</time>');
    expect(doc).to.include('Chat with GPT-4o mini');
  });

  it('gives each app a Revoke link to its confirmation page at its URL-encoded grant id, named after the app', () => {
    const other = { ...app, grantId: 'g2', clientName: 'Other App' };
    const doc = renderAccount({ csrfToken, username: 'alice', apps: [app, other] });
    assertPage(doc, csrfToken);
    expect(find(doc, 'form').map((f) => f.attrs.get('action'))).to.deep.equal(['/account/logout']);
    expect(
      find(doc, 'a', (a) => (a.attrs.get('href') ?? '').endsWith('/revoke')).map((a) => a.attrs.get('href')),
    ).to.deep.equal(['/account/grants/grant%2F1%20%3F%26/revoke', '/account/grants/g2/revoke']);
    const revokes = doc.split('/revoke">').slice(1);
    expect(revokes.map((b) => b.slice(0, b.indexOf('</a>')).replace(/<[^>]*>/g, ''))).to.deep.equal([
      'Revoke Acme Writer',
      'Revoke Other App',
    ]);
    expect(doc).to.include('Revoke<span class="visually-hidden"> Acme Writer</span>');
  });

  it('shows a notice politely', () => {
    const doc = renderAccount({
      csrfToken,
      username: 'alice',
      apps: [],
      notice: 'Acme Writer can no longer use your accounts.',
    });
    assertPage(doc, csrfToken);
    expect(textOf(doc, /<div[^>]*role="status"/)).to.equal('Acme Writer can no longer use your accounts.');
  });

  it('shows the account navigation with the current page marked', () => {
    const doc = renderAccount({ csrfToken, username: 'alice', apps: [] });
    const links = find(doc, 'a').filter((a) => a.attrs.get('href')?.startsWith('/account'));
    expect(links.map((a) => a.attrs.get('href'))).to.include.members([
      '/account',
      '/account/keys',
      '/account/password',
    ]);
    expect(find(doc, 'a', (a) => a.attrs.has('aria-current')).map((a) => a.attrs.get('href'))).to.deep.equal([
      '/account',
    ]);
  });

  it('renders hostile app names, usernames and scope text inert', () => {
    const hostile = {
      ...app,
      grantId: attrBreakout,
      clientName: scriptName,
      scopes: [{ value: scriptName, text: attrBreakout }],
    };
    const doc = renderAccount({ csrfToken, username: attrBreakout, apps: [hostile], notice: scriptName });
    assertPage(doc, csrfToken);
    expect(doc).not.to.include(scriptName);
    expect(doc).not.to.include(attrBreakout);
    expect(doc).to.include(`Revoke<span class="visually-hidden"> ${escapedScript}</span>`);
    expect(find(doc, 'img')).to.have.length(0);
  });
});
