import { expect } from 'chai';
import { type ConsentView, type LimitInputView, renderConsent } from '../../../../src/as/views/consent.ts';
import type { CurrentAccessView } from '../../../../src/as/views/current-access.ts';
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
    const doc = renderConsent(
      view({ error: 'Choose at least one permission, or press Deny.', errorField: 'scope' }),
    );
    assertPage(doc, csrfToken);
    // The error summary at the top, focused as the page loads, linking to the first checkbox.
    expect(textOf(doc, /<div class="error-summary"[^>]*>/)).to.equal(
      'There is a problem Choose at least one permission, or press Deny.',
    );
    expect(doc).to.include(
      '<li><a href="#scope-0-0">Choose at least one permission, or press Deny.</a></li>',
    );
    expect(doc).to.match(/<div class="error-summary" id="error-summary"[^>]*tabindex="-1" autofocus>/);
    expect(doc).not.to.include('role="alert"');
    for (const fs of find(doc, 'fieldset'))
      expect(fs.attrs.get('aria-describedby')).to.include('error-summary');
    expect(find(doc, 'select')[0]?.attrs.get('aria-describedby')).to.include('error-summary');
    expect(
      renderConsent(view({ error: 'Choose how long access lasts.', errorField: 'duration' })),
    ).to.include('<a href="#duration">');
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
      expect(doc).to.include('The app asked for at most 1,000.');
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

  describe('operator maximums', () => {
    const field = (extra: Partial<LimitInputView>): LimitInputView => ({
      name: 'limit-openai-max_requests',
      label: 'Most requests',
      step: '1',
      ...extra,
    });
    const limitsWith = (input: LimitInputView): NonNullable<ConsentView['limits']> => ({
      groups: [{ provider: 'OpenAI', limits: [input] }],
      period: 'lifetime',
      monthAllowed: false,
    });
    const inputOf = (doc: string) => find(doc, 'input', (t) => t.attrs.get('type') === 'number')[0] as Tag;

    it('caps a field at the lower of the ask and the maximum, and says which binds', () => {
      const below = renderConsent(
        view({ limits: limitsWith(field({ asked: 1000, most: 500, value: '500' })) }),
      );
      expect(inputOf(below).attrs.get('max')).to.equal('500');
      expect(below).to.include('The app asked for at most 1,000; this server allows at most 500.');
      const within = renderConsent(
        view({ limits: limitsWith(field({ asked: 100, most: 500, value: '100' })) }),
      );
      expect(inputOf(within).attrs.get('max')).to.equal('100');
      expect(within).to.include('The app asked for at most 100. You can lower it, not raise it.');
    });

    it('says counts and dollars as every page does: 2,000,000 and $5.00, never 2000000 and 5', () => {
      const tokens = renderConsent(
        view({
          limits: limitsWith(field({ name: 'limit-openai-max_tokens', asked: 2_000_000, value: '2000000' })),
        }),
      );
      expect(tokens).to.include('The app asked for at most 2,000,000. You can lower it');
      expect(inputOf(tokens).attrs.get('value')).to.equal('2000000');
      const spend = renderConsent(
        view({
          limits: limitsWith(
            field({ name: 'limit-openai-max_spend_usd', step: '0.01', asked: 5, most: 2, value: '2' }),
          ),
        }),
      );
      expect(spend).to.include('The app asked for at most $5.00; this server allows at most $2.00.');
    });

    it('requires a capped limit the app did not ask for', () => {
      const doc = renderConsent(view({ limits: limitsWith(field({ most: 500, value: '500' })) }));
      expect(inputOf(doc).attrs.get('max')).to.equal('500');
      expect(inputOf(doc).attrs.has('required')).to.equal(true);
      expect(doc).to.include(
        'The app asked for no limit here; this server allows at most 500. You can lower it.',
      );
    });

    it('says the maximums next to the limits, and points the period at them', () => {
      const doc = renderConsent(
        view({ limits: limitsWith(field({ most: 500 })), maximums: '500 requests, $2.00 spending' }),
      );
      assertPage(doc, csrfToken);
      expect(textOf(doc, /<p class="hint" id="maximums-hint">/)).to.equal(
        'This server allows no app more than 500 requests, $2.00 spending, for all providers together.',
      );
      expect(
        find(doc, 'select', (t) => t.attrs.get('id') === 'period')[0]?.attrs.get('aria-describedby'),
      ).to.equal('limits-hint maximums-hint');
    });

    it('without details, states the limits the grant gets (no fields)', () => {
      const doc = renderConsent(
        view({ maximums: '500 requests', grantLimits: 'at most 500 requests in total' }),
      );
      assertPage(doc, csrfToken);
      expect(find(doc, 'input', (t) => t.attrs.get('type') === 'number')).to.have.length(0);
      expect(find(doc, 'h2').length).to.be.greaterThan(1);
      expect(doc).to.include("So this app's limits are <strong>at most 500 requests in total</strong>");
    });
  });

  describe('re-authorization', () => {
    const currentAccess: CurrentAccessView = {
      current: [
        {
          id: 'grant-old-1',
          allowedAt: new Date('2026-01-02T03:04:05Z'),
          terms: {
            scopes: [{ value: 'openai:gpt-4o-mini:chat', text: 'Chat with GPT-4o mini' }],
            limits: ['at most 800 requests each calendar month'],
            until: new Date('2026-02-01T00:00:00Z'),
          },
        },
      ],
      asked: {
        scopes: [{ value: 'anthropic:*:chat', text: 'Chat with any Anthropic model' }],
        limits: ['None asked'],
      },
    };

    it('puts the current terms beside the new ask in a captioned table with headers', () => {
      const doc = renderConsent(view({ currentAccess }));
      assertPage(doc, csrfToken);
      expect(textOf(doc, /<h2 id="current-access-heading">/)).to.equal('You already allowed Acme Writer');
      // The summary of what Allow grants is the first section; the current access the second.
      expect(find(doc, 'section').map((s) => s.attrs.get('aria-labelledby'))).to.deep.equal([
        'allow-summary-title',
        'current-access-heading',
      ]);
      expect(textOf(doc, /<caption>/)).to.equal(
        'What Acme Writer can use now, and what it asks for this time',
      );
      expect(find(doc, 'th', (t) => t.attrs.get('scope') === 'col')).to.have.length(3);
      expect(find(doc, 'th', (t) => t.attrs.get('scope') === 'row')).to.have.length(3);
      expect(doc).to.include('<time datetime="2026-02-01T00:00:00.000Z">2026-02-01 00:00 UTC</time>');
      expect(doc).to.include('at most 800 requests each calendar month');
      expect(doc).to.include('You choose below');
    });

    it('warns that Allow replaces and Deny keeps, on the buttons too, and posts the replaced grants', () => {
      const doc = renderConsent(view({ currentAccess }));
      expect(textOf(doc, /<div class="alert alert-warning" id="replace-warning">/)).to.match(
        /^Allow replaces the access Acme Writer has now\. .* Deny keeps the current access as it is\.$/,
      );
      const buttons = find(doc, 'button');
      expect(buttons.map((b) => b.attrs.get('aria-describedby'))).to.deep.equal([
        'replace-warning',
        'replace-warning',
      ]);
      expect(textOf(doc, /<button [^>]*value="allow"/)).to.equal('Allow and replace current access');
      expect(textOf(doc, /<button [^>]*value="deny"/)).to.equal('Deny and keep current access');
      const hidden = find(doc, 'input', (t) => t.attrs.get('name') === 'replaces');
      expect(hidden.map((h) => [h.attrs.get('type'), h.attrs.get('value')])).to.deep.equal([
        ['hidden', 'grant-old-1'],
      ]);
    });

    it('renders hostile scope text inert', () => {
      const hostile: CurrentAccessView = {
        ...currentAccess,
        asked: { scopes: [{ value: attrBreakout, text: scriptName }], limits: [scriptName] },
      };
      const doc = renderConsent(view({ currentAccess: hostile }));
      assertPage(doc, csrfToken);
      expect(doc).to.not.include(scriptName);
      expect(doc).to.not.include(attrBreakout);
    });

    it('a first authorization has no notice, no replaces and plain buttons', () => {
      const doc = renderConsent(view());
      expect(doc).to.not.include('replace-warning');
      expect(find(doc, 'input', (t) => t.attrs.get('name') === 'replaces')).to.have.length(0);
      expect(textOf(doc, /<button [^>]*value="allow"/)).to.equal('Allow');
    });
  });
});
