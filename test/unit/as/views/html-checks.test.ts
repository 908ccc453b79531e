import { expect } from 'chai';
import { html } from '../../../../src/as/views/html.ts';
import { layout } from '../../../../src/as/views/layout.ts';
import { assertPage } from './html-checks.ts';

// The page checks must be able to fail: each of these documents breaks one rule.
const withBody = (body: string) =>
  layout({ title: 'T', body: html`` }).replace('\n</main>', `${body}\n</main>`);

describe('views test helpers', () => {
  it('accept a plain page', () => {
    assertPage(withBody('<h1>T</h1>'));
  });

  for (const [rule, body] of [
    ['a second h1', '<h1>T</h1><h1>U</h1>'],
    ['no h1', '<p>T</p>'],
    ['an inline style attribute', '<h1 style="color:red">T</h1>'],
    ['a style element', '<h1>T</h1><style>h1{}</style>'],
    ['a script', '<h1>T</h1><script src="/x.js"></script>'],
    ['an event handler', '<h1 onclick="x()">T</h1>'],
    ['an unlabelled input', '<h1>T</h1><input id="a" name="a">'],
    ['a checkbox with no label', '<h1>T</h1><label for="b">B</label><input type="checkbox" id="a">'],
    [
      'a dangling aria-describedby',
      '<h1>T</h1><label for="a">A</label><input id="a" aria-describedby="nope">',
    ],
    ['a duplicate id', '<h1 id="x">T</h1><p id="x"></p>'],
    ['a fieldset without legend', '<h1>T</h1><fieldset><p>x</p></fieldset>'],
    ['an unclosed element', '<h1>T</h1><div>'],
    ['an unquoted attribute', '<h1 class=x>T</h1>'],
    ['a form without csrf', '<h1>T</h1><form method="post" action="/x"><button>Go</button></form>'],
  ] as const) {
    it(`reject ${rule}`, () => {
      expect(() => assertPage(withBody(body), 'tok')).to.throw();
    });
  }

  it('is not fooled by escaped markup in text', () => {
    assertPage(layout({ title: 'T', body: html`<h1>${'<h1 style="x" onclick="y">'}</h1>` }));
  });
});
