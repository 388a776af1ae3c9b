/**
 * Working-hours checks for one decision: a decision looks at dozens of reps, who share a handful of
 * time zones, so each zone's local minute of the week is read once per decision and the ranges are
 * tested against it with the same `rangeContains` as `isWithinHours` (test/domain/routing/
 * localWeekClock.test.ts checks they agree on random instants, zones and schedules). Pure: `now`
 * is fixed at construction.
 */
import { rangeContains, type WorkingHours } from '../workingHours.ts';
import { minuteOfWeek, wallClock } from '../zonedTime.ts';

/** Answers "is this rep inside their hours at `now`?" for many reps, reading each time zone once. */
export class LocalWeekClock {
  private readonly minutes = new Map<string, number>();

  constructor(readonly now: number) {}

  isWithinHours(hours: WorkingHours, timeZone: string): boolean {
    let minute = this.minutes.get(timeZone);
    if (minute === undefined) {
      minute = minuteOfWeek(wallClock(this.now, timeZone));
      this.minutes.set(timeZone, minute);
    }
    const at = minute;
    return hours.ranges.some((range) => rangeContains(range, at));
  }
}
