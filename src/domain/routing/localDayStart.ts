/**
 * Local days, for `daily_cap` ("max new leads per local day"): the loader counts a rep's
 * offers since `localDayStart(rep.timezone, now)`. Pure: the local wall clock comes from `Intl`.
 */

import { DAY, HOUR, instantAtLocal, wallClock } from '../zonedTime.ts';

/**
 * The instant (epoch ms) at which the local day containing `now` began in `timeZone`: local
 * midnight, or, on a day whose midnight was skipped by a daylight-saving jump, the first instant
 * after the jump.
 */
export function localDayStart(timeZone: string, now: number): number {
  return instantAtLocal(Math.floor(wallClock(now, timeZone) / DAY) * DAY, timeZone);
}

/** The instant the next local day begins in `timeZone` (days last 23 to 25 hours around DST changes). */
export function nextLocalDayStart(timeZone: string, now: number): number {
  return localDayStart(timeZone, localDayStart(timeZone, now) + 36 * HOUR);
}
