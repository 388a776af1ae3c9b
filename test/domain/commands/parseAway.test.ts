import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AWAY_HINT, MAX_AWAY_MS, parseAway, type AwayCommand, type AwayParseError } from '../../../src/domain/commands/parseAway.ts';
import { DAY, HOUR, MINUTE } from '../../../src/domain/zonedTime.ts';

const at = (iso: string) => Date.parse(iso);

// 2026-11-25 is a Wednesday; Berlin is UTC+1 then. 10:00Z is 11:00 in Berlin.
const WEDNESDAY = at('2026-11-25T10:00:00Z');
const BERLIN = 'Europe/Berlin';

function away(text: string, now = WEDNESDAY, timeZone = BERLIN): AwayCommand | AwayParseError {
  return parseAway(text, { now, timeZone });
}

/** The instant of a successful `away`, as ISO, so failures read as times. */
function until(text: string, now = WEDNESDAY, timeZone = BERLIN): string {
  const result = away(text, now, timeZone);
  if (!('kind' in result) || result.kind !== 'away' || result.until === null) throw new Error(`expected a return time, got ${JSON.stringify(result)}`);
  return new Date(result.until).toISOString();
}

function error(text: string, now = WEDNESDAY, timeZone = BERLIN): string {
  const result = away(text, now, timeZone);
  if (!('error' in result)) throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result.error;
}

describe('parseAway: toggle, off, on, help', () => {
  it('toggles with no argument, or only spaces', () => {
    expect(away('')).toEqual({ kind: 'toggle' });
    expect(away('   ')).toEqual({ kind: 'toggle' });
  });

  it('returns with off or back, in any case and with extra spaces', () => {
    for (const text of ['off', 'OFF', ' Back ', 'back']) expect(away(text)).toEqual({ kind: 'off' });
  });

  it('goes away until turned off with on', () => {
    expect(away('on')).toEqual({ kind: 'away', until: null });
  });

  it('answers help', () => {
    expect(away('help')).toEqual({ kind: 'help' });
    expect(away('HELP')).toEqual({ kind: 'help' });
  });
});

describe('parseAway: durations', () => {
  it.each([
    ['2h', 2 * HOUR],
    ['90m', 90 * MINUTE],
    ['1h30m', 90 * MINUTE],
    ['1h 30m', 90 * MINUTE],
    ['3d', 3 * DAY],
    ['2H', 2 * HOUR],
    ['for 2h', 2 * HOUR],
    ['  2h  ', 2 * HOUR],
  ])('reads %j as that long from now', (text, ms) => {
    expect(away(text)).toEqual({ kind: 'away', until: WEDNESDAY + ms });
  });

  it('counts elapsed time, not the wall clock, across a DST change', () => {
    // Saturday 12:00 EST; a day later the clocks show 13:00 EDT.
    expect(until('1d', at('2026-03-07T17:00:00Z'), 'America/New_York')).toBe('2026-03-08T17:00:00.000Z');
  });

  it('accepts up to 90 days and refuses more', () => {
    expect(away('90d')).toEqual({ kind: 'away', until: WEDNESDAY + MAX_AWAY_MS });
    expect(away('12w')).toEqual({ kind: 'away', until: WEDNESDAY + 84 * DAY });
    expect(error('91d')).toMatch(/^"91d" is more than 90 days away/);
    expect(error('13w')).toMatch(/more than 90 days/);
  });

  it('names what it does not understand and lists the forms it does', () => {
    expect(error('2 hours')).toBe(`I don't understand "2 hours" — ${AWAY_HINT}`);
    expect(AWAY_HINT).toBe('try 2h, 90m, until 14:00, until friday, until 2026-12-01, or off');
    for (const text of ['0m', '-2h', '2', 'soon', 'for', 'for ever', 'off now']) expect(error(text)).toMatch(/^I don't understand/);
  });
});

describe('parseAway: until a time of day', () => {
  it.each([
    ['until 14:00', '2026-11-25T13:00:00.000Z'],
    ['until 2pm', '2026-11-25T13:00:00.000Z'],
    ['until 2 PM', '2026-11-25T13:00:00.000Z'],
    ['until 2:30p.m.', '2026-11-25T13:30:00.000Z'],
    ['until 14.30', '2026-11-25T13:30:00.000Z'],
    ['until noon', '2026-11-25T11:00:00.000Z'],
    ['until 12pm', '2026-11-25T11:00:00.000Z'],
    ['UNTIL 23:59', '2026-11-25T22:59:00.000Z'],
    ['till 14:00', '2026-11-25T13:00:00.000Z'],
  ])('reads %j as later today, in the user\'s zone', (text, expected) => {
    expect(until(text)).toBe(expected);
  });

  it.each([
    ['until 9:30am', '2026-11-26T08:30:00.000Z'],
    ['until 09:00', '2026-11-26T08:00:00.000Z'],
    ['until 11:00', '2026-11-26T10:00:00.000Z'], // exactly now: the next one is tomorrow
    ['until 12am', '2026-11-25T23:00:00.000Z'],
    ['until 00:00', '2026-11-25T23:00:00.000Z'],
  ])('reads %j as tomorrow once that time has come today', (text, expected) => {
    expect(until(text)).toBe(expected);
  });

  it('reads the time in the user\'s zone, not UTC', () => {
    expect(until('until 14:00', WEDNESDAY, 'America/New_York')).toBe('2026-11-25T19:00:00.000Z');
    expect(until('until 14:00', WEDNESDAY, 'Asia/Tokyo')).toBe('2026-11-26T05:00:00.000Z'); // 19:00 in Tokyo already
  });

  it('crosses midnight: a minute before it, until 00:00 is a minute away', () => {
    expect(until('until 00:00', at('2026-11-25T22:59:00Z'))).toBe('2026-11-25T23:00:00.000Z');
  });

  it('refuses a time that is no time of day', () => {
    expect(error('until 25:00')).toBe('"25:00" is not a time of day (use 00:00 to 23:59).');
    expect(error('until 9:60')).toMatch(/^"9:60" is not a time of day/);
    expect(error('until 13pm')).toBe('"13pm" is not a time of day.');
    expect(error('until 0am')).toBe('"0am" is not a time of day.');
  });

  it('does not take a bare hour, which could mean morning or afternoon', () => {
    expect(error('until 3')).toBe(`I don't understand "until 3" — ${AWAY_HINT}`);
  });
});

describe('parseAway: until a day', () => {
  it('reads until friday as back at the start of Friday, local midnight', () => {
    expect(until('until friday')).toBe('2026-11-26T23:00:00.000Z');
    expect(until('until fri')).toBe('2026-11-26T23:00:00.000Z');
    expect(until('until FRIDAY')).toBe('2026-11-26T23:00:00.000Z');
    expect(until('until thurs')).toBe('2026-11-25T23:00:00.000Z');
  });

  it('reads until friday on a Friday as next Friday', () => {
    const friday = at('2026-11-27T09:00:00Z');
    expect(until('until friday', friday)).toBe('2026-12-03T23:00:00.000Z');
    expect(until('until friday', at('2026-11-26T23:00:00Z'))).toBe('2026-12-03T23:00:00.000Z'); // exactly Friday 00:00
  });

  it('reads until friday a minute before Friday as a minute away', () => {
    expect(until('until friday', at('2026-11-26T22:59:00Z'))).toBe('2026-11-26T23:00:00.000Z');
  });

  it('reads a weekday with a time as the next time it comes, today included', () => {
    const fridayMorning = at('2026-11-27T07:00:00Z'); // 08:00 Berlin
    expect(until('until friday 9:00', fridayMorning)).toBe('2026-11-27T08:00:00.000Z');
    expect(until('until friday at 7am', fridayMorning)).toBe('2026-12-04T06:00:00.000Z');
    expect(until('until 9am friday')).toBe('2026-11-27T08:00:00.000Z');
  });

  it('reads tomorrow as its start, or at the time given', () => {
    expect(until('until tomorrow')).toBe('2026-11-25T23:00:00.000Z');
    expect(until('until tomorrow 9am')).toBe('2026-11-26T08:00:00.000Z');
    expect(until('until 9am tomorrow')).toBe('2026-11-26T08:00:00.000Z');
    expect(until('until today 17:00')).toBe('2026-11-25T16:00:00.000Z');
  });

  it('reads a date as the start of that day in the user\'s zone, or at the time given', () => {
    expect(until('until 2026-12-01')).toBe('2026-11-30T23:00:00.000Z');
    expect(until('until 2026-12-01 09:00')).toBe('2026-12-01T08:00:00.000Z');
    expect(until('until 2026-12-01 at 9am')).toBe('2026-12-01T08:00:00.000Z');
    expect(until('until 2026-12-01', WEDNESDAY, 'America/Los_Angeles')).toBe('2026-12-01T08:00:00.000Z');
  });

  it('refuses a time already past', () => {
    expect(error('until 2026-11-01')).toBe('"until 2026-11-01" is already past — pick a later time.');
    expect(error('until 2026-11-25')).toMatch(/already past/); // today began at midnight
    expect(error('until today 09:00')).toMatch(/^"until today 09:00" is already past/);
    expect(error('until today')).toMatch(/already past/);
  });

  it('refuses a date that does not exist', () => {
    expect(error('until 2026-02-30')).toBe('"2026-02-30" is not a date.');
    expect(error('until 2026-13-01')).toBe('"2026-13-01" is not a date.');
  });

  it('refuses more than 90 days ahead', () => {
    // Wednesday 11:00 + 90 days is 2026-02-23 11:00 Berlin.
    expect(until('until 2027-02-23 11:00')).toBe(new Date(WEDNESDAY + MAX_AWAY_MS).toISOString());
    expect(error('until 2027-02-23 11:01')).toMatch(/^"until 2027-02-23 11:01" is more than 90 days away/);
    expect(error('until 2027-06-01')).toMatch(/more than 90 days/);
  });

  it('names what it does not understand after until', () => {
    expect(error('until')).toBe(`I don't understand "until" — ${AWAY_HINT}`);
    expect(error('until someday')).toBe(`I don't understand "until someday" — ${AWAY_HINT}`);
    expect(error('until friday 9:00 10:00')).toMatch(/^I don't understand/);
    expect(error('until friday monday')).toMatch(/^I don't understand/);
    expect(error('until 12/01')).toMatch(/^I don't understand/);
    expect(error('until fr')).toMatch(/^I don't understand/);
  });
});

describe('parseAway: across DST changes', () => {
  const NEW_YORK = 'America/New_York';
  // 2026-03-08: New York's clocks go from 02:00 EST to 03:00 EDT at 07:00Z.
  const saturdayNight = at('2026-03-08T03:00:00Z'); // Saturday 22:00 EST

  it('reads a time after a spring-forward change with the new offset', () => {
    expect(until('until 09:00', saturdayNight, NEW_YORK)).toBe('2026-03-08T13:00:00.000Z'); // 09:00 EDT
  });

  it('reads a skipped time as the moment the clocks jump', () => {
    expect(until('until 2:30', at('2026-03-08T06:00:00Z'), NEW_YORK)).toBe('2026-03-08T07:00:00.000Z');
  });

  it('reads weekdays either side of a spring-forward change at their own offsets', () => {
    expect(until('until sunday', at('2026-03-07T15:00:00Z'), NEW_YORK)).toBe('2026-03-08T05:00:00.000Z'); // 00:00 EST
    expect(until('until monday', saturdayNight, NEW_YORK)).toBe('2026-03-09T04:00:00.000Z'); // 00:00 EDT
  });

  // 2026-10-25: Berlin's clocks go from 03:00 CEST back to 02:00 CET at 01:00Z; 02:00-03:00 happens twice.
  it('reads a time after a fall-back change with the new offset', () => {
    const saturdayEvening = at('2026-10-24T20:00:00Z'); // 22:00 CEST
    expect(until('until 09:00', saturdayEvening)).toBe('2026-10-25T08:00:00.000Z'); // 09:00 CET
    expect(until('until monday', saturdayEvening)).toBe('2026-10-25T23:00:00.000Z'); // 00:00 CET
  });

  it('reads a repeated time as the next time the clock shows it', () => {
    expect(until('until 02:30', at('2026-10-24T22:30:00Z'))).toBe('2026-10-25T00:30:00.000Z'); // first 02:30, CEST
    expect(until('until 02:30', at('2026-10-25T00:45:00Z'))).toBe('2026-10-25T01:30:00.000Z'); // 02:45 CEST: second 02:30, CET
    expect(until('until 2026-10-25 02:30', at('2026-10-24T12:00:00Z'))).toBe('2026-10-25T00:30:00.000Z');
  });

  it('reads the start of a day whose midnight is skipped as the moment the clocks jump', () => {
    // Santiago 2026-09-06: 00:00 -04 becomes 01:00 -03 at 04:00Z.
    expect(until('until sunday', at('2026-09-05T16:00:00Z'), 'America/Santiago')).toBe('2026-09-06T04:00:00.000Z');
  });
});

describe('parseAway: managers naming a rep', () => {
  it('reads a mention with or without a name', () => {
    expect(away('<@U0BOB|bob> 2h')).toEqual({ kind: 'away', until: WEDNESDAY + 2 * HOUR, target: 'U0BOB' });
    expect(away('<@U0BOB> 2h')).toEqual({ kind: 'away', until: WEDNESDAY + 2 * HOUR, target: 'U0BOB' });
  });

  it('reads off and toggle for a rep', () => {
    expect(away('<@U0BOB> off')).toEqual({ kind: 'off', target: 'U0BOB' });
    expect(away('<@U0BOB|bob>')).toEqual({ kind: 'toggle', target: 'U0BOB' });
    expect(away('  <@U0BOB>   ')).toEqual({ kind: 'toggle', target: 'U0BOB' });
  });

  it('takes the mention wherever it is', () => {
    expect(away('until friday <@U0BOB|Bob Smith>')).toEqual({ kind: 'away', until: at('2026-11-26T23:00:00Z'), target: 'U0BOB' });
    expect(away('2h<@U0BOB>')).toEqual({ kind: 'away', until: WEDNESDAY + 2 * HOUR, target: 'U0BOB' });
  });

  it('refuses more than one person', () => {
    expect(error('<@U0BOB> <@U0ALICE> 2h')).toBe('Name one person at a time.');
  });

  it('says why a name is not a person', () => {
    expect(error('@bob 2h')).toBe('"@bob" is not someone Slack recognises: pick the person from the @ suggestions.');
    expect(error('<!subteam^S0SALES|@sales> 2h')).toBe('"@sales" is a user group: name one person with @.');
    expect(error('<#C0SALES|sales> 2h')).toBe('"#sales" is a channel: name a person with @.');
  });

  it('leaves the mention out of other errors', () => {
    expect(error('<@U0BOB|bob> 2 hours')).toBe(`I don't understand "2 hours" — ${AWAY_HINT}`);
  });
});

describe('parseAway: properties', () => {
  const zones = fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'America/Santiago', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham');
  const nows = fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z') });
  const words = fc.constantFrom('until', 'till', 'at', 'for', 'off', 'on', 'back', 'help', 'today', 'tomorrow', 'fri', 'sunday', 'noon', '2h', '1h30m', '90d', '91d',
    '14:00', '9:30am', '2', 'pm', '12am', '24:00', '2026-12-01', '2027-02-30', '0000-01-01', '9999-12-31', '<@U0BOB|bob>', '<@U0BOB>', '@bob', '<#C1|x>', '<', '>', '|');
  const texts = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.array(words, { maxLength: 5 }).map((list) => list.join(' ')));

  it('never throws, and any return time is after now and at most 90 days on', () => {
    fc.assert(
      fc.property(texts, nows, zones, (text, now, timeZone) => {
        const result = parseAway(text, { now, timeZone });
        if ('error' in result) {
          expect(result.error.length).toBeGreaterThan(0);
        } else if (result.kind === 'away' && result.until !== null) {
          expect(result.until).toBeGreaterThan(now);
          expect(result.until - now).toBeLessThanOrEqual(MAX_AWAY_MS);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
