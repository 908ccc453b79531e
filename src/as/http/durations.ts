const HOUR = 3600;
const DAY = 24 * HOUR;

const CHOICES: ReadonlyArray<readonly [number, string]> = [
  [HOUR, '1 hour'],
  [DAY, '1 day'],
  [7 * DAY, '7 days'],
  [30 * DAY, '30 days'],
  [90 * DAY, '90 days'],
];

/** How long access may last: the fixed choices up to the operator's maximum. */
export function durationChoices(maxSeconds: number): ReadonlyArray<readonly [number, string]> {
  const within = CHOICES.filter(([s]) => s <= maxSeconds);
  return within.length > 0 ? within : [[maxSeconds, `${Math.round(maxSeconds / 60)} minutes`]];
}
