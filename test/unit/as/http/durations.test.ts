import { expect } from 'chai';
import { durationChoices } from '../../../../src/as/http/durations.ts';

const DAY = 86400;

describe('as/http/durationChoices', () => {
  it('offers 1 hour to 90 days up to the maximum', () => {
    expect(durationChoices(90 * DAY, 30 * DAY).map(([s]) => s)).to.deep.equal([
      3600,
      DAY,
      7 * DAY,
      30 * DAY,
      90 * DAY,
    ]);
    expect(durationChoices(7 * DAY, DAY).map(([, l]) => l)).to.deep.equal(['1 hour', '1 day', '7 days']);
  });
  it("adds the operator's default when it is not one of the choices", () => {
    expect(durationChoices(90 * DAY, 14 * DAY)).to.deep.include([14 * DAY, '14 days']);
    expect(durationChoices(90 * DAY, 14 * DAY).map(([s]) => s)).to.deep.equal([
      3600,
      DAY,
      7 * DAY,
      14 * DAY,
      30 * DAY,
      90 * DAY,
    ]);
  });
});
