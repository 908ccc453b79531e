import { expect } from 'chai';
import { utcTime } from '../../../../src/as/views/utc-time.ts';

describe('views/utc-time', () => {
  it('renders a <time> with the ISO instant and a UTC date and time', () => {
    expect(utcTime(new Date('2025-12-31T23:59:59.999Z')).toString()).to.equal(
      '<time datetime="2025-12-31T23:59:59.999Z">2025-12-31 23:59 UTC</time>',
    );
  });

  it('does not throw on an invalid date', () => {
    expect(utcTime(new Date('nope')).toString()).to.equal('<span>unknown</span>');
  });
});
