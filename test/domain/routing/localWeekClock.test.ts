import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWorkingHours } from '../../../src/config/hours.ts';
import { LocalWeekClock } from '../../../src/domain/routing/localWeekClock.ts';
import { isWithinHours, type WorkingHours } from '../../../src/domain/workingHours.ts';

function hours(text: string): WorkingHours {
  const result = parseWorkingHours(text);
  if (!result.ok) throw new Error(result.error);
  return result.hours;
}

const SCHEDULES = ['Mon-Fri 09:00-17:30', 'Sun-Thu 22:00-06:00', 'Sat 22:00-02:00', 'daily 00:00-24:00', 'Mon,Wed,Fri 08:00-12:00, 13:00-17:00', 'Mon 18:00-24:00'].map(hours);
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Havana', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Tokyo'];

describe('LocalWeekClock', () => {
  it('agrees with isWithinHours for any instant, zone and schedule', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2028-01-01T00:00:00Z') }),
        fc.constantFrom(...ZONES),
        fc.constantFrom(...SCHEDULES),
        (now, zone, schedule) => {
          expect(new LocalWeekClock(now).isWithinHours(schedule, zone)).toBe(isWithinHours(schedule, zone, now));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees with isWithinHours around daylight-saving changes, minute by minute', () => {
    const office = hours('daily 01:00-03:00');
    const start = Date.parse('2026-03-29T00:00:00Z'); // Berlin springs forward at 01:00 UTC
    for (let minute = 0; minute < 240; minute += 1) {
      const now = start + minute * 60_000;
      expect(new LocalWeekClock(now).isWithinHours(office, 'Europe/Berlin')).toBe(isWithinHours(office, 'Europe/Berlin', now));
    }
  });
});
