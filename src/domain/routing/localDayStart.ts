/**
 * Local days, for `daily_cap` ("max new leads per local day", SPEC 4): the loader counts a rep's
 * offers since `localDayStart(rep.timezone, now)`. Pure: the local wall clock comes from `Intl`.
 */

import { DAY, HOUR, SECOND, wallClock } from '../zonedTime.ts';

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
