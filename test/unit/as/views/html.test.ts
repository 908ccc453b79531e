import { expect } from 'chai';
import { escapeHtml, html, raw } from '../../../../src/as/views/html.ts';

describe('views/html', () => {
  it('escapes & < > " \' and backtick', () => {
    expect(escapeHtml('a&b<c>d"e\'f`g')).to.equal('a&amp;b&lt;c&gt;d&quot;e&#39;f&#96;g');
  });

  it('escapes every interpolated string, in text and in attributes', () => {
    const evil = '"><img src=x onerror=alert(1)>';
    const out = html`<p title="${evil}">${'<script>alert(1)</script>'}</p>`.toString();
    expect(out).to.equal(
      '<p title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    );
  });

  it('does not re-escape nested html results', () => {
    const inner = html`<em>${'a & b'}</em>`;
    expect(html`<p>${inner}</p>`.toString()).to.equal('<p><em>a &amp; b</em></p>');
  });

  it('joins arrays, escaping plain strings and keeping nested html', () => {
    const items = ['<a>', html`<b>${'&'}</b>`, ['c', html`<i></i>`]];
    expect(html`<p>${items}</p>`.toString()).to.equal('<p>&lt;a&gt;<b>&amp;</b>c<i></i></p>');
  });

  it('renders null, undefined and false as nothing, and numbers as text', () => {
    const empty: string | undefined = undefined;
    expect(html`[${null}${empty}${false}${0}${42}]`.toString()).to.equal('[042]');
  });

  it('trusts raw() and only raw()', () => {
    expect(html`${raw('<br>')}${'<br>'}`.toString()).to.equal('<br>&lt;br&gt;');
    const lookalike = { value: '<b>', toString: () => '<b>' };
    expect(html`${String(lookalike)}`.toString()).to.equal('&lt;b&gt;');
  });
});
