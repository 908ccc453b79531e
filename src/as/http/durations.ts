const HOUR = 3600;
const DAY = 24 * HOUR;

const CHOICES: ReadonlyArray<readonly [number, string]> = [
  [HOUR, '1 hour'],
  [DAY, '1 day'],
  [7 * DAY, '7 days'],
  [30 * DAY, '30 days'],
  [90 * DAY, '90 days'],
];

function label(seconds: number): string {
  if (seconds % DAY === 0) return `${seconds / DAY} day${seconds === DAY ? '' : 's'}`;
  if (seconds % HOUR === 0) return `${seconds / HOUR} hour${seconds === HOUR ? '' : 's'}`;
  return `${Math.round(seconds / 60)} minutes`;
}

/** How long access may last: the fixed choices up to the operator's maximum, plus the default. */
export function durationChoices(
  maxSeconds: number,
  defaultSeconds: number,
): ReadonlyArray<readonly [number, string]> {
  const within = CHOICES.filter(([s]) => s <= maxSeconds);
  const withDefault = within.some(([s]) => s === defaultSeconds)
    ? within
    : [...within, [defaultSeconds, label(defaultSeconds)] as const];
  return [...withDefault].sort((a, b) => a[0] - b[0]);
}
