import { expect } from 'chai';
import { utcTime } from '../../../src/as/views/utc-time.ts';
import { isoDate } from '../../../src/cli/output.ts';
import { formatCount, formatDollars, formatUsd, formatUtc } from '../../../src/usage/format-usage.ts';

describe('usage/format-usage: one format for pages and CLI', () => {
  it('counts with thousands separators, money in dollars and cents', () => {
    expect(formatCount(2_000_000)).to.equal('2,000,000');
    expect(formatUsd(5_000_000)).to.equal('$5.00');
    expect(formatDollars(5)).to.equal('$5.00');
    expect(formatDollars(1.5)).to.equal('$1.50');
    expect(formatDollars(0.0025)).to.equal('$0.0025');
  });

  it('the CLI and the pages say a date the same way, in UTC', () => {
    const at = Date.UTC(2026, 10, 30, 17, 5, 42);
    expect(formatUtc(at)).to.equal('2026-11-30 17:05 UTC');
    expect(isoDate(at)).to.equal(formatUtc(at));
    expect(utcTime(new Date(at)).toString()).to.equal(
      '<time datetime="2026-11-30T17:05:42.000Z">2026-11-30 17:05 UTC</time>',
    );
  });
});
