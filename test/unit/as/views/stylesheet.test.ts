import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { stylesheet } from '../../../../src/as/views/stylesheet.ts';

describe('views/stylesheet', () => {
  it('returns the CSS and its base64 SHA-256, read once', () => {
    const sheet = stylesheet();
    expect(sheet.body).to.include(':focus-visible');
    expect(sheet.sha256).to.equal(createHash('sha256').update(sheet.body).digest('base64'));
    expect(stylesheet()).to.equal(sheet);
  });

  it('styles the classes the pages use and loads nothing else', () => {
    const { body } = stylesheet();
    for (const cls of ['.button-danger', '.visually-hidden', '.skip-link', '.alert-error', '.container']) {
      expect(body).to.include(cls);
    }
    expect(body).not.to.match(/@import|url\(/);
  });
});
