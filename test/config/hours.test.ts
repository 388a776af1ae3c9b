import { describe, expect, it } from 'vitest';
import { parseWorkingHours } from '../../src/config/hours.ts';
import type { WorkingHours } from '../../src/domain/workingHours.ts';

const MON = 1;
const FRI = 5;
const SAT = 6;
const SUN = 0;

function parsed(text: string): WorkingHours['ranges'] {
  const result = parseWorkingHours(text);
  if (!result.ok) throw new Error(result.error);
  return result.hours.ranges;
}

function errorOf(text: string): string {
  const result = parseWorkingHours(text);
  if (result.ok) throw new Error(`"${text}" was accepted`);
  return result.error;
}

describe('parseWorkingHours', () => {
  it('reads a day range with one time range', () => {
    expect(parsed('Mon-Fri 09:00-17:30')).toEqual(
      [1, 2, 3, 4, 5].map((day) => ({ day, startMinute: 9 * 60, endMinute: 17 * 60 + 30 })),
    );
  });

  it('reads a single day', () => {
    expect(parsed('Sat 10:00-14:00')).toEqual([{ day: SAT, startMinute: 600, endMinute: 840 }]);
  });

  it('reads a list of days', () => {
    expect(parsed('Mon,Wed,Fri 08:00-12:00').map((range) => range.day)).toEqual([1, 3, 5]);
  });

  it('wraps a day range over the weekend', () => {
    expect(parsed('Fri-Mon 10:00-11:00').map((range) => range.day)).toEqual([FRI, SAT, SUN, MON]);
  });

  it('reads daily, weekdays and weekends', () => {
    expect(parsed('daily 08:00-09:00')).toHaveLength(7);
    expect(parsed('weekdays 08:00-09:00').map((range) => range.day)).toEqual([1, 2, 3, 4, 5]);
    expect(parsed('weekends 08:00-09:00').map((range) => range.day)).toEqual([SAT, SUN]);
  });

  it('reads several time ranges for the same days', () => {
    expect(parsed('Mon 09:00-12:00, 13:00-17:00')).toEqual([
      { day: MON, startMinute: 540, endMinute: 720 },
      { day: MON, startMinute: 780, endMinute: 1020 },
    ]);
  });

  it('reads several segments separated by semicolons', () => {
    expect(parsed('Mon-Fri 09:00-17:00; Sat 10:00-13:00')).toHaveLength(6);
  });

  it('accepts day names in any case, short or full', () => {
    expect(parsed('monday-FRIDAY 09:00-10:00')).toEqual(parsed('Mon-Fri 09:00-10:00'));
  });

  it('makes a range that ends before it starts run overnight into the next day', () => {
    expect(parsed('Fri 22:00-06:00')).toEqual([{ day: FRI, startMinute: 22 * 60, endMinute: 30 * 60 }]);
  });

  it('accepts 24:00 as the end of the day', () => {
    expect(parsed('Mon 18:00-24:00')).toEqual([{ day: MON, startMinute: 18 * 60, endMinute: 24 * 60 }]);
  });

  it('accepts single-digit hours and spaces around the dash', () => {
    expect(parsed('Mon 9:00 - 17:00')).toEqual([{ day: MON, startMinute: 540, endMinute: 1020 }]);
  });

  it('names an invalid day and lists the valid ones', () => {
    expect(errorOf('Mnd 09:00-17:00')).toBe('invalid day "Mnd" (expected Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range like Mon-Fri, or daily)');
  });

  it('names an invalid time', () => {
    expect(errorOf('Mon-Fri 25:00-26:00')).toBe('invalid time "25:00" (use HH:MM, e.g. 09:00)');
    expect(errorOf('Mon 09:60-10:00')).toContain('invalid time "09:60"');
  });

  it('rejects 24:00 as a start', () => {
    expect(errorOf('Mon 24:00-02:00')).toContain('invalid time "24:00" as a start');
  });

  it('rejects a range that starts and ends at the same time', () => {
    expect(errorOf('Mon 09:00-09:00')).toContain('empty time range "09:00-09:00"');
  });

  it('rejects days without a time range', () => {
    expect(errorOf('Mon-Fri')).toBe('missing time range after "Mon-Fri" (e.g. Mon-Fri 09:00-17:00)');
  });

  it('rejects a time range without days', () => {
    expect(errorOf('09:00-17:00')).toContain('missing days before "09:00-17:00"');
  });

  it('rejects a malformed time range', () => {
    expect(errorOf('Mon 09:00')).toContain('invalid time range "09:00"');
  });

  it('rejects an empty string', () => {
    expect(errorOf('  ')).toContain('empty working hours');
  });
});
