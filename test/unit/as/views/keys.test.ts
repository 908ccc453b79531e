import { expect } from 'chai';
import { type ProviderKeyRowView, renderProviderKeys } from '../../../../src/as/views/keys.ts';
import { attrBreakout, csrfToken, escapedScript, scriptName } from './fixtures.ts';
import { assertPage, find, textOf } from './html-checks.ts';

const openai: ProviderKeyRowView = { provider: 'openai', name: 'OpenAI', prefix: 'sk-', operatorKey: false };
const anthropic: ProviderKeyRowView = {
  provider: 'anthropic',
  name: 'Anthropic',
  prefix: 'sk-ant-',
  operatorKey: false,
  stored: { last4: 'AbCd', updatedAt: new Date('2025-05-06T07:08:09.000Z') },
};
const view = (providers: ProviderKeyRowView[], extra: { canStore?: boolean; notice?: string } = {}) =>
  renderProviderKeys({ csrfToken, username: 'alice', providers, canStore: true, ...extra });

const input = (doc: string, id: string) => find(doc, 'input', (t) => t.attrs.get('id') === id)[0];

describe('views/keys', () => {
  it('lists each provider with a password-type, autocomplete-off key field posting to its URL', () => {
    const doc = view([openai, anthropic]);
    assertPage(doc, csrfToken);
    expect(textOf(doc, /<h1>/)).to.equal('Provider keys');
    expect(find(doc, 'form').map((f) => f.attrs.get('action'))).to.deep.equal([
      '/account/logout',
      '/account/keys/openai',
      '/account/keys/anthropic',
    ]);
    // Delete leads to its confirmation page: a link, not a form that deletes at once.
    expect(
      find(doc, 'a', (a) => (a.attrs.get('href') ?? '').endsWith('/delete')).map((a) => a.attrs.get('href')),
    ).to.deep.equal(['/account/keys/anthropic/delete']);
    for (const id of ['key-openai', 'key-anthropic']) {
      const field = input(doc, id);
      expect(field?.attrs.get('type')).to.equal('password');
      expect(field?.attrs.get('name')).to.equal('key');
      expect(field?.attrs.get('autocomplete')).to.equal('off');
      expect(field?.attrs.has('value')).to.equal(false);
    }
    expect(textOf(doc, /<p class="hint" id="key-anthropic-hint"/)).to.match(/^Starts with sk-ant-\./);
  });

  it('shows a stored key only as its last four characters with its update time, and offers Replace and Delete', () => {
    const doc = view([openai, anthropic]);
    expect(textOf(doc, /<h2 id="key-openai-title">/)).to.equal('OpenAI');
    expect(doc).to.include('No key stored.');
    expect(doc).to.include('<code class="key-last4">…AbCd</code>');
    expect(doc).to.include('<time datetime="2025-05-06T07:08:09.000Z">2025-05-06 07:08 UTC</time>');
    expect(textOf(doc, /<label for="key-anthropic">/)).to.equal('Replace with a new Anthropic API key');
    expect(textOf(doc, /<label for="key-openai">/)).to.equal('Your OpenAI API key');
    const buttons = find(doc, 'button').length;
    expect(buttons).to.equal(3);
    expect(doc).to.include('Delete key<span class="visually-hidden"> for Anthropic</span>');
    expect(doc).to.include('Replace key<span class="visually-hidden"> for Anthropic</span>');
    expect(doc).to.include('Save key<span class="visually-hidden"> for OpenAI</span>');
  });

  it('marks the page current in the account navigation', () => {
    const doc = view([openai]);
    expect(find(doc, 'a', (a) => a.attrs.has('aria-current')).map((a) => a.attrs.get('href'))).to.deep.equal([
      '/account/keys',
    ]);
  });

  it('announces an error next to its field and points the field at it', () => {
    const doc = view([{ ...openai, error: 'OpenAI API keys start with sk-' }, anthropic]);
    assertPage(doc, csrfToken);
    expect(textOf(doc, /<div[^>]*id="key-openai-error"/)).to.equal('OpenAI API keys start with sk-');
    expect(input(doc, 'key-openai')?.attrs.get('aria-describedby')).to.equal(
      'key-openai-hint key-openai-error',
    );
    expect(input(doc, 'key-openai')?.attrs.get('aria-invalid')).to.equal('true');
    expect(input(doc, 'key-anthropic')?.attrs.has('aria-invalid')).to.equal(false);
  });

  it('says when the operator has a key, shows a notice politely', () => {
    const doc = view([{ ...openai, operatorKey: true }], { notice: 'Your OpenAI key was deleted.' });
    assertPage(doc, csrfToken);
    expect(doc).to.include('The operator of this server has also set up a key for OpenAI.');
    expect(textOf(doc, /<div[^>]*role="status"/)).to.equal('Your OpenAI key was deleted.');
  });

  it('without a proxy public key, offers no way to add a key but still lets one be deleted', () => {
    const doc = view([openai, anthropic], { canStore: false });
    assertPage(doc, csrfToken);
    expect(doc).to.include('cannot store new keys yet');
    expect(find(doc, 'input', (t) => t.attrs.get('name') === 'key')).to.have.length(0);
    expect(find(doc, 'form').map((f) => f.attrs.get('action'))).to.deep.equal(['/account/logout']);
    expect(find(doc, 'a', (a) => a.attrs.get('href') === '/account/keys/anthropic/delete')).to.have.length(1);
  });

  it('renders hostile names, usernames and notices inert', () => {
    const hostile: ProviderKeyRowView = {
      provider: attrBreakout,
      name: scriptName,
      prefix: scriptName,
      operatorKey: true,
      stored: { last4: scriptName, updatedAt: new Date(Number.NaN) },
      error: attrBreakout,
    };
    const doc = renderProviderKeys({
      csrfToken,
      username: attrBreakout,
      providers: [hostile],
      canStore: true,
      notice: scriptName,
    });
    assertPage(doc, csrfToken);
    expect(doc).not.to.include(scriptName);
    expect(doc).not.to.include(attrBreakout);
    expect(doc).to.include(escapedScript);
    expect(find(doc, 'img')).to.have.length(0);
  });
});
