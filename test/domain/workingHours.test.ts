import { describe, expect, it } from 'vitest';
import { parseWorkingHours } from '../../src/config/hours.ts';
import { isValidTimeZone, isWithinHours, nextHoursStart, type WorkingHours } from '../../src/domain/workingHours.ts';

function hours(text: string): WorkingHours {
  const result = parseWorkingHours(text);
  if (!result.ok) throw new Error(result.error);
  return result.hours;
}

const at = (iso: string) => Date.parse(iso);

// 2026-11-23 is a Monday. Berlin is UTC+1 in winter, UTC+2 in summer.
describe('isWithinHours', () => {
  const office = hours('Mon-Fri 09:00-17:30');

  it('is true during the working day in the rep\'s time zone', () => {
    expect(isWithinHours(office, 'Europe/Berlin', at('2026-11-23T09:00:00Z'))).toBe(true); // 10:00 Berlin
  });

  it('is false before the day starts and from the end minute on', () => {
    expect(isWithinHours(office, 'Europe/Berlin', at('2026-11-23T07:59:00Z'))).toBe(false); // 08:59
    expect(isWithinHours(office, 'Europe/Berlin', at('2026-11-23T08:00:00Z'))).toBe(true); // 09:00
    expect(isWithinHours(office, 'Europe/Berlin', at('2026-11-23T16:29:00Z'))).toBe(true); // 17:29
    expect(isWithinHours(office, 'Europe/Berlin', at('2026-11-23T16:30:00Z'))).toBe(false); // 17:30
  });

  it('is false on a day not listed', () => {
    expect(isWithinHours(office, 'Europe/Berlin', at('2026-11-28T10:00:00Z'))).toBe(false); // Saturday
  });

  it('reads the local day, not the UTC day', () => {
    // Monday 23:30 UTC is already Tuesday 08:30 in Tokyo.
    expect(isWithinHours(hours('Tue 08:00-09:00'), 'Asia/Tokyo', at('2026-11-23T23:30:00Z'))).toBe(true);
    expect(isWithinHours(hours('Mon 08:00-09:00'), 'Asia/Tokyo', at('2026-11-23T23:30:00Z'))).toBe(false);
  });

  it('counts the morning after an overnight range as inside it', () => {
    const nights = hours('Fri 22:00-06:00');
    expect(isWithinHours(nights, 'UTC', at('2026-11-28T02:00:00Z'))).toBe(true); // Saturday 02:00
    expect(isWithinHours(nights, 'UTC', at('2026-11-27T21:59:00Z'))).toBe(false); // Friday 21:59
    expect(isWithinHours(nights, 'UTC', at('2026-11-28T06:00:00Z'))).toBe(false); // Saturday 06:00
  });

  it('wraps an overnight range from Saturday into Sunday', () => {
    expect(isWithinHours(hours('Sat 22:00-02:00'), 'UTC', at('2026-11-29T01:00:00Z'))).toBe(true); // Sunday 01:00
  });

  it('treats 24:00 as the end of the day', () => {
    const evening = hours('Mon 18:00-24:00');
    expect(isWithinHours(evening, 'UTC', at('2026-11-23T23:59:00Z'))).toBe(true);
    expect(isWithinHours(evening, 'UTC', at('2026-11-24T00:00:00Z'))).toBe(false);
  });

  it('follows daylight saving time', () => {
    // 07:30 UTC is 09:30 in Berlin in July (UTC+2) but 08:30 in January (UTC+1).
    expect(isWithinHours(office, 'Europe/Berlin', at('2026-07-06T07:30:00Z'))).toBe(true);
    expect(isWithinHours(office, 'Europe/Berlin', at('2026-01-05T07:30:00Z'))).toBe(false);
  });

  it('is never true without ranges', () => {
    expect(isWithinHours({ ranges: [] }, 'UTC', at('2026-11-23T10:00:00Z'))).toBe(false);
  });
});

describe('nextHoursStart', () => {
  it('returns now when the rep is already inside working hours', () => {
    const now = at('2026-11-23T10:15:30Z');
    expect(nextHoursStart(hours('Mon-Fri 09:00-17:00'), 'UTC', now)).toBe(now);
  });

  it('finds the start of the next working day, in the rep\'s time zone', () => {
    // Friday 18:00 in Berlin → Monday 09:00 in Berlin (08:00 UTC).
    expect(nextHoursStart(hours('Mon-Fri 09:00-17:30'), 'Europe/Berlin', at('2026-11-27T17:00:00Z'))).toBe(at('2026-11-30T08:00:00Z'));
  });

  it('finds a later range on the same day', () => {
    expect(nextHoursStart(hours('Mon 09:00-12:00, 13:00-17:00'), 'UTC', at('2026-11-23T12:30:00Z'))).toBe(at('2026-11-23T13:00:00Z'));
  });

  it('finds the same weekday next week', () => {
    expect(nextHoursStart(hours('Mon 09:00-10:00'), 'UTC', at('2026-11-23T10:00:00Z'))).toBe(at('2026-11-30T09:00:00Z'));
  });

  it('accounts for a clock change between now and the start', () => {
    // Saturday 18:00 EST; New York moves to EDT (UTC-4) on Sunday 2026-03-08 at 02:00.
    expect(nextHoursStart(hours('Sun 09:00-17:00'), 'America/New_York', at('2026-03-07T23:00:00Z'))).toBe(at('2026-03-08T13:00:00Z'));
  });

  it('starts at the clock change when the start time is skipped by it', () => {
    // 02:30 does not exist on 2026-03-08 in New York: clocks jump from 02:00 EST to 03:00 EDT (07:00 UTC).
    expect(nextHoursStart(hours('Sun 02:30-04:00'), 'America/New_York', at('2026-03-08T05:00:00Z'))).toBe(at('2026-03-08T07:00:00Z'));
  });

  it('finds the repeated hour when clocks go back', () => {
    // 01:30-01:45 happens twice on 2026-11-01 in New York: 05:30 UTC (EDT) and 06:30 UTC (EST).
    const range = hours('Sun 01:30-01:45');
    expect(nextHoursStart(range, 'America/New_York', at('2026-11-01T05:00:00Z'))).toBe(at('2026-11-01T05:30:00Z'));
    expect(nextHoursStart(range, 'America/New_York', at('2026-11-01T05:50:00Z'))).toBe(at('2026-11-01T06:30:00Z'));
  });

  it('is null without ranges', () => {
    expect(nextHoursStart({ ranges: [] }, 'UTC', at('2026-11-23T10:00:00Z'))).toBeNull();
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA zone names and UTC', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
  });

  it('rejects unknown names', () => {
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
