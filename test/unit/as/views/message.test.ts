import { expect } from 'chai';
import { renderMessage } from '../../../../src/as/views/message.ts';
import { csrfToken, escapedScript, scriptName } from './fixtures.ts';
import { assertPage, find, textOf } from './html-checks.ts';

describe('views/message', () => {
  it('renders an informational page with no forms when signed out', () => {
    const doc = renderMessage({ title: 'All done', message: 'You can close this window.' });
    assertPage(doc);
    expect(textOf(doc, /<h1>/)).to.equal('All done');
    expect(doc).to.include('<title>All done · Mandate</title>');
    expect(doc).to.include('You can close this window.');
    expect(doc).not.to.include('role="alert"');
    expect(find(doc, 'form')).to.have.length(0);
    expect(find(doc, 'nav')).to.have.length(0);
  });

  it('announces errors', () => {
    const doc = renderMessage({
      title: 'Something went wrong',
      message: 'The sign-in request expired.',
      status: 'error',
    });
    assertPage(doc);
    expect(textOf(doc, /<div[^>]*role="alert"/)).to.equal('The sign-in request expired.');
  });

  it('shows the account navigation and a sign-out form when signed in', () => {
    const doc = renderMessage({
      title: 'Not found',
      message: 'No such page.',
      signedInAs: 'alice',
      csrfToken,
    });
    assertPage(doc, csrfToken);
    expect(find(doc, 'nav', (n) => n.attrs.get('aria-label') === 'Account')).to.have.length(1);
    expect(find(doc, 'form').map((f) => f.attrs.get('action'))).to.deep.equal(['/account/logout']);
  });

  it('escapes title and message', () => {
    const doc = renderMessage({ title: scriptName, message: scriptName, status: 'error' });
    assertPage(doc);
    expect(doc).not.to.include(scriptName);
    expect(doc).to.include(`<title>${escapedScript} · Mandate</title>`);
  });
});
