import { expect } from 'chai';
import { renderLogin } from '../../../../src/as/views/login.ts';
import { attrBreakout, csrfToken, escapedBreakout, escapedScript, scriptName } from './fixtures.ts';
import { assertPage, find, textOf } from './html-checks.ts';

describe('views/login', () => {
  const action = '/interaction/abc123/login';

  it('renders a sign-in form posting csrf, username and password', () => {
    const doc = renderLogin({ action, csrfToken });
    assertPage(doc, csrfToken);
    const [form] = find(doc, 'form');
    expect(form?.attrs.get('action')).to.equal(action);
    expect(form?.attrs.get('method')).to.equal('post');
    const username = find(doc, 'input', (t) => t.attrs.get('name') === 'username')[0];
    const password = find(doc, 'input', (t) => t.attrs.get('name') === 'password')[0];
    expect(username?.attrs.get('autocomplete')).to.equal('username');
    expect(password?.attrs.get('type')).to.equal('password');
    expect(password?.attrs.get('autocomplete')).to.equal('current-password');
    expect(textOf(doc, /<button/)).to.equal('Sign in');
    expect(doc).not.to.include('role="alert"');
    expect(doc).not.to.include('aria-invalid');
    expect(doc).not.to.include('continue to');
    expect(doc).not.to.include('Sign out');
  });

  it('names the app the person is signing in for, escaped', () => {
    const doc = renderLogin({ action, csrfToken, clientName: scriptName });
    assertPage(doc, csrfToken);
    expect(doc).not.to.include(scriptName);
    expect(textOf(doc, /<p class="lede">/)).to.equal(`Sign in to continue to ${escapedScript}.`);
    expect(doc).to.include(`Sign in to continue to <strong>${escapedScript}</strong>`);
  });

  it('keeps the username but never a password, and escapes it inside the attribute', () => {
    const doc = renderLogin({
      action,
      csrfToken,
      username: attrBreakout,
      error: 'Wrong username or password.',
    });
    assertPage(doc, csrfToken);
    expect(doc).not.to.include(attrBreakout);
    expect(doc).to.include(`value="${escapedBreakout}"`);
    const password = find(doc, 'input', (t) => t.attrs.get('name') === 'password')[0];
    expect(password?.attrs.has('value')).to.equal(false);
  });

  it('announces an error and ties it to both fields', () => {
    const doc = renderLogin({ action, csrfToken, error: 'Wrong username or password.' });
    assertPage(doc, csrfToken);
    const summary = find(doc, 'div', (t) => t.attrs.get('id') === 'error-summary');
    expect(summary).to.have.length(1);
    expect(summary[0]?.attrs.get('tabindex')).to.equal('-1');
    expect(summary[0]?.attrs.has('autofocus')).to.equal(true);
    expect(textOf(doc, /<div class="error-summary"[^>]*>/)).to.equal(
      'There is a problem Wrong username or password.',
    );
    expect(doc).to.include('<li><a href="#username">Wrong username or password.</a></li>');
    for (const name of ['username', 'password']) {
      const input = find(doc, 'input', (t) => t.attrs.get('name') === name)[0];
      expect(input?.attrs.get('aria-describedby')).to.equal('error-summary');
      expect(input?.attrs.get('aria-invalid')).to.equal('true');
    }
  });

  it('says so when throttled, in place of the error', () => {
    const doc = renderLogin({ action, csrfToken, error: 'Wrong username or password.', throttled: true });
    assertPage(doc, csrfToken);
    expect(textOf(doc, /<div class="error-summary"[^>]*>/)).to.match(/Too many sign-in attempts/);
    expect(doc).not.to.include('Wrong username or password.');
  });
});
