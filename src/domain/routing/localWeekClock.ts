/**
 * Working-hours checks for one decision, fast. `isWithinHours` (workingHours.ts) reads the zone's
 * wall clock with `Intl…formatToParts` on every call, about 10 µs; a decision looks at dozens of
 * reps, who share a handful of time zones. This reads each zone's local minute of the week once
 * per decision (with `format`, about 1.5 µs) and tests the ranges against it. It must agree with
 * `isWithinHours` exactly: test/domain/routing/localWeekClock.test.ts checks that on random
 * instants, zones and schedules. Pure: `now` is fixed at construction.
 */
import type { HoursRange, WorkingHours } from '../workingHours.ts';
import { isWithinHours } from '../workingHours.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

const formatters = new Map<string, Intl.DateTimeFormat>();

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
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** `11/23/2026, 15:04` as en-US formats it. */
const FORMATTED = /^(\d{1,2})\/(\d{1,2})\/(\d{1,6}),?\s+(\d{1,2}):(\d{2})$/;

function modulo(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

/** The local minute of the week (0 = Sunday 00:00) at `at` in `timeZone`, or null if the text was not as expected. */
function localMinuteOfWeek(at: number, timeZone: string): number | null {
  const match = FORMATTED.exec(formatterFor(timeZone).format(at));
  if (!match) return null;
  const [, month, day, year, hour, minute] = match.map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour % 24, minute);
  // 1970-01-01, day 0 of the epoch, was a Thursday.
  const weekday = modulo(Math.floor(wall / DAY) + 4, 7);
  return weekday * MINUTES_PER_DAY + Math.floor(modulo(wall, DAY) / MINUTE);
}

/** Same rule as workingHours.ts: ranges wrap past Saturday night into Sunday; overnight ranges count the next morning. */
function rangeContains(range: HoursRange, minute: number): boolean {
  const sinceStart = modulo(minute - (range.day * MINUTES_PER_DAY + range.startMinute), MINUTES_PER_WEEK);
  return sinceStart < range.endMinute - range.startMinute;
}

/** Answers "is this rep inside their hours at `now`?" for many reps, reading each time zone once. */
export class LocalWeekClock {
  private readonly minutes = new Map<string, number | null>();

  constructor(readonly now: number) {}

  isWithinHours(hours: WorkingHours, timeZone: string): boolean {
    let minute = this.minutes.get(timeZone);
    if (minute === undefined) {
      minute = localMinuteOfWeek(this.now, timeZone);
      this.minutes.set(timeZone, minute);
    }
    // An unexpected format (another ICU version) falls back to the reference implementation.
    if (minute === null) return isWithinHours(hours, timeZone, this.now);
    const at = minute;
    return hours.ranges.some((range) => rangeContains(range, at));
  }
}
