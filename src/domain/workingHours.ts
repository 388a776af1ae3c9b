/**
 * Working hours: when a rep may be offered leads. Pure: the time is a
 * parameter and the local wall clock of a time zone comes from `Intl`, so DST is handled by the
 * platform's time zone database rather than by hand-kept offsets.
 */

import { DAY, MINUTE, MINUTES_PER_DAY, MINUTES_PER_WEEK, instantsAtLocal, minuteOfWeek, modulo, wallClock, weekday } from './zonedTime.ts';

export { isValidTimeZone } from './zonedTime.ts';

/** How far ahead `nextHoursStart` looks: a week of weekly hours plus a day of slack for DST and overnight ranges. */
const LOOKAHEAD_DAYS = 8;

/**
 * One stretch of working time in the rep's local time: it starts on `day` (0 = Sunday … 6 =
 * Saturday) at `startMinute` after midnight and ends at `endMinute`, which exceeds 1440 for an
 * overnight range (`Fri 22:00-06:00` is day 5, 1320 → 1800, ending Saturday 06:00).
 */
export interface HoursRange {
  day: number;
  startMinute: number;
  endMinute: number;
}

/** A weekly schedule, as parsed from strings like `Mon-Fri 09:00-17:30` (see src/config/hours.ts). */
export interface WorkingHours {
  ranges: readonly HoursRange[];
}

/** Whether a local minute of the week falls in a range; ranges wrap past Saturday night into Sunday. */
export function rangeContains(range: HoursRange, minute: number): boolean {
  const sinceStart = modulo(minute - (range.day * MINUTES_PER_DAY + range.startMinute), MINUTES_PER_WEEK);
  return sinceStart < range.endMinute - range.startMinute;
}

/**
 * Whether `now` (epoch ms) is inside the working hours, read on the local clock of `timeZone`.
 * Overnight ranges count on the following morning too: Saturday 02:00 is inside `Fri 22:00-06:00`.
 */
export function isWithinHours(hours: WorkingHours, timeZone: string, now: number): boolean {
  const minute = minuteOfWeek(wallClock(now, timeZone));
  return hours.ranges.some((range) => rangeContains(range, minute));
}

/**
 * The next instant (epoch ms, to the minute) at which the rep is inside working hours: `now` itself
 * when they already are, null when no range starts within the next 8 days (or there are no ranges).
 * Used to offer queued leads the moment someone's day begins. It jumps from range start to range
 * start, so the cost is a few `Intl` calls per range, not one per minute.
 */
export function nextHoursStart(hours: WorkingHours, timeZone: string, now: number): number | null {
  if (isWithinHours(hours, timeZone, now)) return now;
  const today = Math.floor(wallClock(now, timeZone) / DAY) * DAY;
  for (let offset = 0; offset <= LOOKAHEAD_DAYS; offset += 1) {
    const midnight = today + offset * DAY;
    const starts = hours.ranges
      .filter((range) => range.day === weekday(midnight))
      .flatMap((range) => instantsAtLocal(midnight + range.startMinute * MINUTE, timeZone))
      .filter((at) => at > now && isWithinHours(hours, timeZone, at));
    if (starts.length > 0) return Math.min(...starts);
  }
  return null;
}
