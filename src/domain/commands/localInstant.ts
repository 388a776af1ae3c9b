/**
 * The way back from zonedTime's `wallClock`: which instants a local wall-clock time names in a time
 * zone. Pure; the zone rules come from `Intl` through `wallClock`, so DST is the platform's business.
 */

import { DAY, SECOND, wallClock } from '../zonedTime.ts';

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
