/**
 * Local wall-clock time in an IANA time zone: the one place that reads it (working hours, local
 * days for daily caps). Pure: the instant is a parameter and the zone rules come from `Intl`, so
 * daylight-saving changes are the platform's time zone database's business, not hand-kept offsets.
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const MINUTES_PER_DAY = 24 * 60;
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

export function modulo(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One cached formatter per zone: creating an Intl.DateTimeFormat costs far more than using one. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True for IANA zone names this runtime knows (`Europe/Berlin`, `UTC`); config validation uses it. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** `11/23/2026, 15:04:05`, as en-US formats it. */
const FORMATTED = /^(\d{1,2})\/(\d{1,2})\/(\d{1,6}),?\s+(\d{1,2}):(\d{2}):(\d{2})$/;

/**
 * The local wall-clock time at instant `at` in `timeZone`, to the millisecond, expressed as if that
 * wall-clock time were UTC ("2026-03-08 03:00 in New York" → Date.UTC(2026, 2, 8, 3, 0)). Comparing
 * and doing arithmetic on these values is how local time is reasoned about. Reads `format` (fast)
 * and falls back to `formatToParts` should the text ever look different.
 */
export function wallClock(at: number, timeZone: string): number {
  const formatter = formatterFor(timeZone);
  const millisecond = modulo(at, SECOND);
  const match = FORMATTED.exec(formatter.format(at));
  if (match) {
    const [, month, day, year, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
    return Date.UTC(year, month - 1, day, hour % 24, minute, second) + millisecond;
  }
  const fields = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of formatter.formatToParts(at)) {
    if (part.type in fields) fields[part.type as keyof typeof fields] = Number(part.value);
  }
  return Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour % 24, fields.minute, fields.second) + millisecond;
}

/** 0 = Sunday; 1970-01-01, day 0 of the epoch, was a Thursday. */
export function weekday(wall: number): number {
  return modulo(Math.floor(wall / DAY) + 4, 7);
}

/** Minutes since Sunday 00:00 of the local week. */
export function minuteOfWeek(wall: number): number {
  return weekday(wall) * MINUTES_PER_DAY + Math.floor(modulo(wall, DAY) / MINUTE);
}

/**
 * The instants (epoch ms, ascending) whose local time in `timeZone` is `wall` (a wall-clock time
 * expressed as if it were UTC, as `wallClock` returns it). Usually one; two for a time in the hour
 * repeated when clocks go back; and for a time in the hour skipped when clocks go forward, the
 * moment of the jump, the first instant at which the local clock reads later than `wall` (02:30 on
 * a spring-forward night in New York → 03:00 EDT), so a local time never "does not exist".
 */
export function instantsAtLocal(wall: number, timeZone: string): number[] {
  // The UTC offsets in force a day either side of `wall` cover both sides of any DST change near it.
  const offsets = [...new Set([wall - DAY, wall + DAY].map((at) => wallClock(at, timeZone) - at))];
  const exact = [...new Set(offsets.map((offset) => wall - offset))].filter((at) => wallClock(at, timeZone) === wall);
  if (exact.length > 0) return exact.sort((a, b) => a - b);
  // A gap: find the jump between the two readings of `wall`, to the second (zone changes happen on whole seconds).
  let before = wall - Math.max(...offsets);
  let after = wall - Math.min(...offsets);
  while (after - before > SECOND) {
    const middle = before + Math.floor((after - before) / 2 / SECOND) * SECOND;
    if (wallClock(middle, timeZone) >= wall) after = middle;
    else before = middle;
  }
  return [after];
}

/** The first instant whose local time in `timeZone` is `wall` (see `instantsAtLocal` for DST gaps and overlaps). */
export function instantAtLocal(wall: number, timeZone: string): number {
  return Math.min(...instantsAtLocal(wall, timeZone));
}

/**
 * The first instant strictly after `now` at which the local clock in `timeZone` reads `wall`, or
 * null when it never does after `now` (that wall-clock time is already past). On the night clocks
 * go back, 01:30 comes twice; this is the second one when `now` is between them.
 */
export function nextInstantAtLocal(wall: number, timeZone: string, now: number): number | null {
  return instantsAtLocal(wall, timeZone).find((at) => at > now) ?? null;
}
