/**
 * Local days, for `daily_cap` ("max new leads per local day", SPEC 4): the loader counts a rep's
 * offers since `localDayStart(rep.timezone, now)`. Pure: the local wall clock comes from `Intl`.
 */

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One cached formatter per zone, to the second (workingHours.ts keeps its own, to the minute). */
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

/** The local wall-clock time at `at`, as if that wall-clock time were UTC, to the millisecond. */
function wallClock(at: number, timeZone: string): number {
  const fields = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type in fields) fields[part.type as keyof typeof fields] = Number(part.value);
  }
  const millisecond = ((at % SECOND) + SECOND) % SECOND;
  return Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour % 24, fields.minute, fields.second) + millisecond;
}

/**
 * The instant (epoch ms) at which the local day containing `now` began in `timeZone`: local
 * midnight, or, on a day whose midnight was skipped by a daylight-saving jump, the first instant
 * after the jump.
 */
export function localDayStart(timeZone: string, now: number): number {
  const midnight = Math.floor(wallClock(now, timeZone) / DAY) * DAY;
  // Local midnight under the offset of `now`, then under the offset found there (a DST change may lie in between).
  const first = midnight - (wallClock(now, timeZone) - now);
  if (wallClock(first, timeZone) === midnight) return first;
  const second = midnight - (wallClock(first, timeZone) - first);
  if (wallClock(second, timeZone) === midnight) return second;
  // Midnight did not happen: find the first instant whose local time is on this day.
  let before = Math.min(first, second) - 2 * HOUR;
  let after = Math.min(now, Math.max(first, second) + 2 * HOUR);
  while (after - before > SECOND) {
    const middle = before + Math.floor((after - before) / 2 / SECOND) * SECOND;
    if (wallClock(middle, timeZone) >= midnight) after = middle;
    else before = middle;
  }
  return after;
}

/** The instant the next local day begins in `timeZone` (days last 23 to 25 hours around DST changes). */
export function nextLocalDayStart(timeZone: string, now: number): number {
  return localDayStart(timeZone, localDayStart(timeZone, now) + 36 * HOUR);
}
