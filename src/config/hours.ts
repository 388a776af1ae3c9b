/**
 * Parses the working-hours strings of leadrelay.yml (`hours: "Mon-Fri 09:00-17:30"`) into the pure
 * WorkingHours data the routing core evaluates.
 *
 * Grammar (case-insensitive day names, 3-letter or full):
 *   hours   := segment (";" segment)*
 *   segment := days range ("," range)*
 *   days    := dayset ("," dayset)*        e.g. Mon-Fri | Sat,Sun | Fri-Mon (wraps) | daily | weekdays | weekends
 *   range   := HH:MM "-" HH:MM              24:00 allowed as an end; an end before the start runs overnight
 */
import type { HoursRange, WorkingHours } from '../domain/workingHours.ts';

export type { WorkingHours } from '../domain/workingHours.ts';

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const DAY_SETS: Record<string, readonly number[]> = {
  daily: [0, 1, 2, 3, 4, 5, 6],
  weekdays: [1, 2, 3, 4, 5],
  weekends: [6, 0],
};
const DAYS_HINT = 'expected Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range like Mon-Fri, or daily';
const MINUTES_PER_DAY = 24 * 60;

export type HoursResult = { ok: true; hours: WorkingHours } | { ok: false; error: string };

class HoursSyntaxError extends Error {}

/** `mon`, `Monday`, `TUE` → day number (0 = Sunday). */
function parseDayName(text: string): number {
  const name = text.trim().toLowerCase();
  const index = DAY_NAMES.findIndex((day) => name.length >= 3 && day.startsWith(name) && (name.length === 3 || name === day));
  if (index < 0) throw new HoursSyntaxError(`invalid day "${text.trim()}" (${DAYS_HINT})`);
  return index;
}

/** `Mon-Fri` → [1..5]; `Fri-Mon` wraps over the weekend → [5, 6, 0, 1]. */
function parseDaySet(text: string): readonly number[] {
  const named = DAY_SETS[text.trim().toLowerCase()];
  if (named) return named;
  const [first, last, ...extra] = text.split('-');
  if (first === undefined || extra.length > 0) throw new HoursSyntaxError(`invalid days "${text.trim()}" (${DAYS_HINT})`);
  const start = parseDayName(first);
  if (last === undefined) return [start];
  const end = parseDayName(last);
  const length = ((end - start + 7) % 7) + 1;
  return Array.from({ length }, (_, i) => (start + i) % 7);
}

function parseDays(text: string): readonly number[] {
  const days = text.split(',').flatMap(parseDaySet);
  return [...new Set(days)];
}

/** `09:30` → 570. `24:00` only where `allowEndOfDay` (a range's end). */
function parseTime(text: string, allowEndOfDay: boolean): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  const hours = Number(match?.[1]);
  const minutes = Number(match?.[2]);
  const endOfDay = hours === 24 && minutes === 0;
  if (endOfDay && !allowEndOfDay) throw new HoursSyntaxError('invalid time "24:00" as a start (use 00:00)');
  if (!match || ((hours > 23 || minutes > 59) && !endOfDay)) throw new HoursSyntaxError(`invalid time "${text.trim()}" (use HH:MM, e.g. 09:00)`);
  return hours * 60 + minutes;
}

/** `22:00-06:00` → start 1320, end 1800 (overnight ends the next day). */
function parseRange(text: string): { startMinute: number; endMinute: number } {
  const bounds = text.split('-');
  const [from, to] = bounds;
  if (bounds.length !== 2 || from === undefined || to === undefined) {
    throw new HoursSyntaxError(`invalid time range "${text.trim()}" (use HH:MM-HH:MM, e.g. 09:00-17:30)`);
  }
  const startMinute = parseTime(from, false);
  const end = parseTime(to, true);
  if (end === startMinute) throw new HoursSyntaxError(`empty time range "${text.trim()}" (start and end are the same)`);
  return { startMinute, endMinute: end < startMinute ? end + MINUTES_PER_DAY : end };
}

/** `Mon-Fri 09:00-12:00, 13:00-17:00` → one range per day and time range. */
function parseSegment(text: string): HoursRange[] {
  const segment = text.trim();
  const timesAt = segment.search(/\d/);
  if (timesAt < 0) throw new HoursSyntaxError(`missing time range after "${segment}" (e.g. ${segment} 09:00-17:00)`);
  const daysText = segment.slice(0, timesAt).trim();
  if (daysText === '') throw new HoursSyntaxError(`missing days before "${segment}" (e.g. Mon-Fri ${segment})`);
  const days = parseDays(daysText);
  const times = segment.slice(timesAt).split(',').map(parseRange);
  return days.flatMap((day) => times.map((time) => ({ day, ...time })));
}

/**
 * Parses a working-hours string such as `Mon-Fri 09:00-17:30; Sat 10:00-14:00` or
 * `Fri-Mon 22:00-06:00`. Returns the first problem as a short message naming the offending part.
 */
export function parseWorkingHours(text: string): HoursResult {
  const segments = text.split(';').filter((segment) => segment.trim() !== '');
  if (segments.length === 0) return { ok: false, error: 'empty working hours (e.g. Mon-Fri 09:00-17:00)' };
  try {
    return { ok: true, hours: { ranges: segments.flatMap(parseSegment) } };
  } catch (error) {
    if (error instanceof HoursSyntaxError) return { ok: false, error: error.message };
    throw error;
  }
}
