/** Days in UTC, for the 30-day series. */
export const DAY_MS = 24 * 3600 * 1000;

/** Midnight UTC of the day `ms` falls in. */
export const utcDayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** 'YYYY-MM-DD' of the UTC day `ms` falls in. */
export const utcDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
