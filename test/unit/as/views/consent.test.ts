import { expect } from 'chai';
import { type ConsentView, renderConsent } from '../../../../src/as/views/consent.ts';
import { attrBreakout, csrfToken, escapedBreakout, escapedScript, scriptName } from './fixtures.ts';
import { assertPage, find, type Tag, textOf } from './html-checks.ts';

function view(overrides: Partial<ConsentView> = {}): ConsentView {
  return {
    action: '/interaction/xyz/confirm',
    csrfToken,
    client: { name: 'Acme Writer', redirectHost: 'writer.example.com' },
    account: 'alice',
    groups: [
      {
        provider: 'OpenAI',
        scopes: [
          { value: 'openai:gpt-4o-mini:chat', text: 'Chat with GPT-4o mini' },
          { value: 'openai:text-embedding-3-small:embeddings', text: 'Create embeddings' },
        ],
      },
      { provider: 'Anthropic', scopes: [{ value: 'anthropic:*:chat', text: 'Chat with any Claude model' }] },
    ],
    durations: [
      { seconds: 3600, label: '1 hour', selected: false },
      { seconds: 86400, label: '1 day', selected: true },
      { seconds: 2592000, label: '30 days', selected: false },
    ],
    ...overrides,
  };
}

const checkboxes = (doc: string): Tag[] => find(doc, 'input', (t) => t.attrs.get('type') === 'checkbox');

describe('views/consent', () => {
  it('renders one accessible, CSP-safe form carrying csrf', () => {
    const doc = renderConsent(view());
    assertPage(doc, csrfToken);
    expect(find(doc, 'form')).to.have.length(1);
    expect(find(doc, 'form')[0]?.attrs.get('action')).to.equal('/interaction/xyz/confirm');
  });

  it('says who asks, as whom, and where the person goes back to', () => {
    const doc = renderConsent(view());
    expect(textOf(doc, /<h1>/)).to.equal('Acme Writer wants to use your AI accounts');
    expect(doc).to.include('<strong>alice</strong>');
    expect(doc).to.include('<strong>writer.example.com</strong>');
  });

  it('lists every requested scope as a checked checkbox with its plain-words label', () => {
    const doc = renderConsent(view());
    const boxes = checkboxes(doc);
    expect(boxes.map((b) => b.attrs.get('value'))).to.deep.equal([
      'openai:gpt-4o-mini:chat',
      'openai:text-embedding-3-small:embeddings',
      'anthropic:*:chat',
    ]);
    for (const box of boxes) {
      expect(box.attrs.get('name')).to.equal('scope');
      expect(box.attrs.has('checked'), `${box.source} is checked`).to.equal(true);
    }
    expect(textOf(doc, /<label for="scope-0-0">/)).to.equal('Chat with GPT-4o mini');
    expect(textOf(doc, /<label for="scope-1-0">/)).to.equal('Chat with any Claude model');
  });

  it('groups scopes by provider in fieldsets with a legend', () => {
    const doc = renderConsent(view());
    const fieldsets = doc
      .split('<fieldset')
      .slice(1)
      .map((f) => f.slice(0, f.indexOf('</fieldset>')));
    expect(fieldsets).to.have.length(2);
    expect(textOf(fieldsets[0] ?? '', /<legend>/)).to.equal('OpenAI');
    expect(textOf(fieldsets[1] ?? '', /<legend>/)).to.equal('Anthropic');
    expect(checkboxes(fieldsets[0] ?? '')).to.have.length(2);
    expect(checkboxes(fieldsets[1] ?? '')).to.have.length(1);
  });

  it('explains that unticking narrows access', () => {
    const doc = renderConsent(view());
    expect(textOf(doc, /<p class="hint" id="scope-hint">/)).to.match(/Untick .* narrow/);
    for (const fs of find(doc, 'fieldset')) expect(fs.attrs.get('aria-describedby')).to.equal('scope-hint');
  });

  it('offers the durations with the selected one selected', () => {
    const doc = renderConsent(view());
    const [select] = find(doc, 'select');
    expect(select?.attrs.get('name')).to.equal('duration');
    const options = find(doc, 'option');
    expect(options.map((o) => o.attrs.get('value'))).to.deep.equal(['3600', '86400', '2592000']);
    expect(options.map((o) => o.attrs.has('selected'))).to.deep.equal([false, true, false]);
    expect(textOf(doc, /<option value="86400"/)).to.equal('1 day');
  });

  it('marks only the first selected duration when several claim it', () => {
    const durations = view().durations.map((d) => ({ ...d, selected: true }));
    const options = find(renderConsent(view({ durations })), 'option');
    expect(options.map((o) => o.attrs.has('selected'))).to.deep.equal([true, false, false]);
  });

  it('has Allow and Deny submit buttons in the same form', () => {
    const doc = renderConsent(view());
    const form = doc.slice(doc.indexOf('<form'), doc.indexOf('</form>'));
    const buttons = find(form, 'button');
    expect(
      buttons.map((b) => [b.attrs.get('type'), b.attrs.get('name'), b.attrs.get('value')]),
    ).to.deep.equal([
      ['submit', 'decision', 'allow'],
      ['submit', 'decision', 'deny'],
    ]);
    expect(textOf(form, /<button[^>]*value="allow"/)).to.equal('Allow');
    expect(textOf(form, /<button[^>]*value="deny"/)).to.equal('Deny');
  });

  it('warns about providers with no stored key', () => {
    const doc = renderConsent(view({ missingKeys: ['Anthropic'] }));
    assertPage(doc, csrfToken);
    expect(textOf(doc, /<div class="alert alert-warning"/)).to.match(/No key stored for Anthropic\./);
    expect(doc).to.include('href="/account/keys"');
    expect(textOf(doc, /<fieldset[^>]*>\s*<legend>Anthropic/)).to.include('no key stored');
    expect(renderConsent(view())).not.to.include('alert-warning');
  });

  it('announces an error and points the controls at it', () => {
    const doc = renderConsent(view({ error: 'Choose at least one permission, or press Deny.' }));
    assertPage(doc, csrfToken);
    expect(textOf(doc, /<div[^>]*role="alert"/)).to.equal('Choose at least one permission, or press Deny.');
    for (const fs of find(doc, 'fieldset'))
      expect(fs.attrs.get('aria-describedby')).to.include('consent-error');
    expect(find(doc, 'select')[0]?.attrs.get('aria-describedby')).to.include('consent-error');
  });

  it('renders hostile client names, hosts, scope text and values inert', () => {
    const doc = renderConsent(
      view({
        client: { name: scriptName, redirectHost: attrBreakout },
        account: attrBreakout,
        groups: [{ provider: scriptName, scopes: [{ value: attrBreakout, text: scriptName }] }],
        durations: [{ seconds: 60, label: scriptName, selected: true }],
        missingKeys: [scriptName],
        error: attrBreakout,
      }),
    );
    assertPage(doc, csrfToken);
    expect(doc).not.to.include(scriptName);
    expect(doc).not.to.include(attrBreakout);
    expect(doc).to.include(escapedScript);
    expect(doc).to.include(`value="${escapedBreakout}"`);
    expect(find(doc, 'img')).to.have.length(0);
  });

  describe('limits', () => {
    const limits: NonNullable<ConsentView['limits']> = {
      groups: [
        {
          provider: 'OpenAI',
          limits: [
            {
              name: 'limit-openai-max_requests',
              label: 'Most requests',
              asked: 1000,
              value: '1000',
              step: '1',
            },
            { name: 'limit-openai-max_spend_usd', label: 'Most spending, in US dollars', step: '0.01' },
          ],
        },
      ],
      period: 'month',
      monthAllowed: true,
    };

    it('shows no limits section when the app asked for none', () => {
      expect(renderConsent(view())).to.not.include('name="period"');
    });

    it('renders asked limits as required, capped, labelled number inputs and a period select', () => {
      const doc = renderConsent(view({ limits }));
      assertPage(doc, csrfToken);
      const inputs = find(doc, 'input', (t) => t.attrs.get('type') === 'number');
      expect(inputs.map((i) => i.attrs.get('name'))).to.deep.equal([
        'limit-openai-max_requests',
        'limit-openai-max_spend_usd',
      ]);
      const [asked, added] = inputs as [Tag, Tag];
      expect(asked.attrs.get('max')).to.equal('1000');
      expect(asked.attrs.has('required')).to.equal(true);
      expect(asked.attrs.get('value')).to.equal('1000');
      expect(added.attrs.has('max')).to.equal(false);
      expect(added.attrs.has('required')).to.equal(false);
      expect(added.attrs.get('step')).to.equal('0.01');
      for (const input of inputs) {
        const id = input.attrs.get('id') as string;
        expect(find(doc, 'label', (t) => t.attrs.get('for') === id)).to.have.length(1);
        expect(doc).to.include(`id="${input.attrs.get('aria-describedby')}"`);
      }
      expect(textOf(doc, /<legend>Limits for/)).to.equal('Limits for OpenAI');
      expect(doc).to.include('The app asked for at most 1000.');
      expect(doc).to.match(/<option value="month" selected>/);
    });

    it('offers no monthly period when a lifetime cap was asked', () => {
      const doc = renderConsent(view({ limits: { ...limits, period: 'lifetime', monthAllowed: false } }));
      expect(doc).to.not.include('value="month"');
      expect(doc).to.match(/<option value="lifetime" selected>/);
    });

    it('renders typed-back values inert', () => {
      const doc = renderConsent(
        view({
          limits: {
            ...limits,
            groups: [
              { provider: 'OpenAI', limits: [{ name: 'n', label: 'L', value: attrBreakout, step: '1' }] },
            ],
          },
        }),
      );
      expect(doc).to.include(escapedBreakout);
      expect(doc).to.not.include(attrBreakout);
    });
  });
});
