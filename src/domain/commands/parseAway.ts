/**
 * `/away …`: what a rep or manager asks for, read in the caller's time zone. Pure: `now`
 * and the zone are parameters; local times become instants through `wallClock`, so DST is handled.
 *
 *   (nothing)              toggle                      off | back       return now
 *   2h, 90m, 1h30m, 3d     away for that long          on               away until turned off
 *   until <when>           away until then; <when> is a time, a day, or a day and a time:
 *     14:00, 9.30, 2pm, 9:30am, noon     the next time the clock shows it (today, else tomorrow)
 *     friday, fri, tomorrow, 2026-12-01  the START of that day, local 00:00: "/away until friday" on a
 *                                        Wednesday means "I'm back on Friday". A weekday is the next one
 *                                        after today: on a Friday, "until friday" is a week away.
 *     friday 9:00, 2pm tomorrow, today 17:00, 2026-12-01 09:00   that day at that time
 *   @rep anywhere          managers acting for a rep: `/away @rep 2h`, `/away @rep off`, `/away @rep`
 *
 * Away is at most 90 days; a time already past is an error, not "now".
 */

import { parseDuration } from '../duration.ts';
import { DAY, MINUTE, wallClock, weekday } from '../zonedTime.ts';
import { nextInstantAtLocal } from '../zonedTime.ts';
import { parseUserArg, parseUserMention, quoteArg, tokenize } from './parseCommandArgs.ts';

/** The longest automatic-return away; beyond it a typo (`30d` meant as `3d`) is likelier than a plan. */
export const MAX_AWAY_MS = 90 * DAY;

/** The forms shown when `/away` does not understand its argument. */
export const AWAY_HINT = 'try 2h, 90m, until 14:00, until friday, until 2026-12-01, or off';

/**
 * What `/away` asks for. `target` is the rep a manager names (permission is the caller's check);
 * absent, the caller means themself. `until` is epoch ms, always after `now` and at most 90 days on;
 * null means away until turned off.
 */
export type AwayCommand =
  | { kind: 'help' }
  | { kind: 'toggle'; target?: string }
  | { kind: 'off'; target?: string }
  | { kind: 'away'; until: number | null; target?: string };

export interface AwayParseError {
  error: string;
}

export interface AwayContext {
  /** Epoch ms. */
  now: number;
  /** The caller's IANA time zone (Slack's users.info `tz`); must be valid (`isValidTimeZone`). */
  timeZone: string;
}

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

/** Parses the text after `/away`. Never throws for any text: what it cannot read is an error value. */
export function parseAway(text: string, context: AwayContext): AwayCommand | AwayParseError {
  const tokens = tokenize(text);
  const people = tokens.filter(isPersonLike);
  const words = tokens.filter((token) => !isPersonLike(token));
  if (people.length > 1) return { error: 'Name one person at a time.' };
  let target: string | undefined;
  if (people[0] !== undefined) {
    const user = parseUserArg(people[0]);
    if (!user.ok) return { error: user.error };
    target = user.value;
  }
  const forTarget = target === undefined ? {} : { target };
  const lower = words.map((word) => word.toLowerCase());
  const phrase = words.join(' ');
  const notUnderstood = { error: `I don't understand ${quoteArg(phrase)} — ${AWAY_HINT}` };

  if (lower.length === 0) return { kind: 'toggle', ...forTarget };
  if (lower.length === 1) {
    if (lower[0] === 'help') return { kind: 'help' };
    if (lower[0] === 'off' || lower[0] === 'back') return { kind: 'off', ...forTarget };
    if (lower[0] === 'on') return { kind: 'away', until: null, ...forTarget };
  }
  const [first, ...rest] = lower;
  let until: number | AwayParseError | null;
  if (first === 'until' || first === 'till') {
    until = parseUntil(rest, context, phrase);
  } else {
    const duration = parseDuration((first === 'for' ? rest : lower).join(' '));
    until = duration === null ? null : context.now + duration;
  }
  if (until === null) return notUnderstood;
  if (typeof until !== 'number') return until;
  if (until - context.now > MAX_AWAY_MS) return tooFar(phrase);
  return { kind: 'away', until, ...forTarget };
}

/** Mentions and things meant as one (`@bob` Slack did not resolve, a user group, a channel). */
function isPersonLike(token: string): boolean {
  return parseUserMention(token) !== null || /^(?:<[@#]|<!subteam\^|@)/i.test(token);
}

function alreadyPast(phrase: string): AwayParseError {
  return { error: `${quoteArg(phrase)} is already past — pick a later time.` };
}

function tooFar(phrase: string): AwayParseError {
  return { error: `${quoteArg(phrase)} is more than 90 days away — the limit is 90 days; for longer, use \`/away\` and turn it off when you are back.` };
}

/** A calendar day: a fixed local date (wall-clock midnight), or the next such weekday. */
type Day = { kind: 'date'; wall: number } | { kind: 'weekday'; day: number };

/** The instant `until <words>` names, null when it is not a form of `until`, or an error naming a bad date or time. */
function parseUntil(words: readonly string[], { now, timeZone }: AwayContext, phrase: string): number | AwayParseError | null {
  // `2 pm` → `2pm`; `friday at 9:00` → `friday 9:00`.
  const parts = words.join(' ').replace(/(\d)\s+([ap]\.?m\.?)(?=\s|$)/g, '$1$2').split(' ').filter((part) => part !== '' && part !== 'at');
  if (parts.length === 0 || parts.length > 2) return null;
  const today = Math.floor(wallClock(now, timeZone) / DAY) * DAY;
  let day: Day | AwayParseError | null = null;
  let minute: number | AwayParseError | null = null;
  for (const part of parts) {
    const asTime: number | AwayParseError | null = minute === null ? parseTimeOfDay(part) : null;
    const asDay: Day | AwayParseError | null = asTime === null && day === null ? parseDay(part, today) : null;
    if (asTime !== null) minute = asTime;
    else if (asDay !== null) day = asDay;
    else return null;
  }
  if (minute !== null && typeof minute !== 'number') return minute;
  if (day !== null && 'error' in day) return day;
  const time = (minute ?? 0) * MINUTE;
  if (day === null) {
    // A time alone: the next time the clock shows it, today or else tomorrow.
    return nextInstantAtLocal(today + time, timeZone, now) ?? nextInstantAtLocal(today + DAY + time, timeZone, now);
  }
  if (day.kind === 'date') return nextInstantAtLocal(day.wall + time, timeZone, now) ?? alreadyPast(phrase);
  // A weekday: the next one whose time is still to come. Today only with a time later today, so
  // `until friday` on a Friday is next Friday.
  for (let offset = 0; offset <= 7; offset += 1) {
    const wall = today + offset * DAY;
    if (weekday(wall) !== day.day) continue;
    const at = nextInstantAtLocal(wall + time, timeZone, now);
    if (at !== null) return at;
  }
  return null;
}

/** `14:00`, `9.30`, `2pm`, `9:30am`, `12am` (00:00), `noon` → minutes after midnight; null when not time-shaped. */
function parseTimeOfDay(word: string): number | AwayParseError | null {
  if (word === 'noon') return 12 * 60;
  const twelve = /^(\d{1,2})(?:[:.](\d{2}))?([ap])\.?m\.?$/.exec(word);
  if (twelve) {
    const hour = Number(twelve[1]);
    const minute = Number(twelve[2] ?? 0);
    if (hour < 1 || hour > 12 || minute > 59) return { error: `${quoteArg(word)} is not a time of day.` };
    return ((hour % 12) + (twelve[3] === 'p' ? 12 : 0)) * 60 + minute;
  }
  const clock = /^(\d{1,2})[:.](\d{2})$/.exec(word);
  if (clock) {
    const hour = Number(clock[1]);
    const minute = Number(clock[2]);
    if (hour > 23 || minute > 59) return { error: `${quoteArg(word)} is not a time of day (use 00:00 to 23:59).` };
    return hour * 60 + minute;
  }
  return null;
}

/** `today`, `tomorrow`, `fri` / `friday` (any prefix of 3 letters or more), `2026-12-01`; null when not day-shaped. */
function parseDay(word: string, today: number): Day | AwayParseError | null {
  if (word === 'today') return { kind: 'date', wall: today };
  if (word === 'tomorrow') return { kind: 'date', wall: today + DAY };
  const named = DAY_NAMES.findIndex((name) => word.length >= 3 && name.startsWith(word));
  if (named >= 0) return { kind: 'weekday', day: named };
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(word);
  if (!iso) return null;
  const [year, month, date] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  const wall = Date.UTC(year, month - 1, date);
  const check = new Date(wall);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) return { error: `${quoteArg(word)} is not a date.` };
  return { kind: 'date', wall };
}
