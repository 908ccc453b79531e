import { expect } from 'chai';
import { renderChangePassword } from '../../../../src/as/views/password.ts';
import { attrBreakout, csrfToken, escapedBreakout } from './fixtures.ts';
import { assertPage, find, textOf } from './html-checks.ts';

const field = (doc: string, name: string) => find(doc, 'input', (t) => t.attrs.get('name') === name)[0];

describe('views/password', () => {
  it('posts current, new and confirmed passwords with csrf to /account/password', () => {
    const doc = renderChangePassword({ csrfToken, username: 'alice' });
    assertPage(doc, csrfToken);
    const form = find(doc, 'form', (f) => f.attrs.get('action') === '/account/password');
    expect(form).to.have.length(1);
    expect(textOf(doc, /<h1>/)).to.equal('Change password');
    expect(field(doc, 'current_password')?.attrs.get('autocomplete')).to.equal('current-password');
    expect(field(doc, 'new_password')?.attrs.get('autocomplete')).to.equal('new-password');
    expect(field(doc, 'confirm_password')?.attrs.get('autocomplete')).to.equal('new-password');
    for (const name of ['current_password', 'new_password', 'confirm_password']) {
      expect(field(doc, name)?.attrs.get('type')).to.equal('password');
      expect(field(doc, name)?.attrs.has('value')).to.equal(false);
    }
    expect(field(doc, 'username')?.attrs.get('autocomplete')).to.equal('username');
  });

  it('announces an error and ties it to the password fields', () => {
    const doc = renderChangePassword({
      csrfToken,
      username: 'alice',
      error: 'The new passwords do not match.',
    });
    assertPage(doc, csrfToken);
    expect(textOf(doc, /<div[^>]*role="alert"/)).to.equal('The new passwords do not match.');
    for (const name of ['current_password', 'new_password', 'confirm_password']) {
      expect(field(doc, name)?.attrs.get('aria-describedby')).to.include('password-error');
    }
  });

  it('puts the error in a summary at the top that takes focus and links to the field', () => {
    const doc = renderChangePassword({
      csrfToken,
      username: 'alice',
      error: 'The two new passwords differ.',
      errorField: 'new-password',
    });
    assertPage(doc, csrfToken);
    const summary = find(doc, 'div', (t) => t.attrs.get('class') === 'error-summary')[0];
    expect(summary?.attrs.get('tabindex')).to.equal('-1');
    expect(summary?.attrs.has('autofocus')).to.equal(true);
    expect(doc.indexOf('class="error-summary"')).to.be.below(doc.indexOf('<form class="stack"'));
    expect(find(doc, 'a', (t) => t.attrs.get('href') === '#new-password')).to.have.length(1);
    expect(textOf(doc, /<div class="error-summary"/)).to.equal(
      'There is a problem The two new passwords differ.',
    );
    expect(renderChangePassword({ csrfToken, username: 'alice' })).to.not.include('error-summary');
  });

  it('shows a notice politely', () => {
    const doc = renderChangePassword({ csrfToken, username: 'alice', notice: 'Password changed.' });
    assertPage(doc, csrfToken);
    expect(textOf(doc, /<div[^>]*role="status"/)).to.equal('Password changed.');
    expect(doc).not.to.include('role="alert"');
  });

  it('escapes the username', () => {
    const doc = renderChangePassword({ csrfToken, username: attrBreakout, error: attrBreakout });
    assertPage(doc, csrfToken);
    expect(doc).not.to.include(attrBreakout);
    expect(doc).to.include(`value="${escapedBreakout}"`);
  });
});
