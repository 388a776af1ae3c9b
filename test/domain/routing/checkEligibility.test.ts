import { describe, expect, it } from 'vitest';
import type { Rep } from '../../../src/domain/settings.ts';
import {
  checkEligibility,
  earliestEligibilityChange,
  localDayStart,
  nextEligibilityChange,
} from '../../../src/domain/routing/index.ts';
import { buildConfig, buildSnapshot, HOUR, MINUTE, MONDAY_AFTERNOON, rep, runtime, type RepSpec } from './builders.ts';

const now = MONDAY_AFTERNOON; // Monday 14:00 UTC
const nobody = new Set<string>();

function repOf(settings: Omit<RepSpec, 'id'> = {}): Rep {
  const config = buildConfig({ reps: [rep('U0ALICE', settings)], fallback: { rep: 'U0ALICE' } });
  const built = config.reps[0];
  if (!built) throw new Error('no rep');
  return built;
}

describe('checkEligibility', () => {
  it('accepts a rep with no limits and no state', () => {
    expect(checkEligibility(repOf(), runtime(), nobody, now)).toEqual({ eligible: true });
  });

  it('skips a rep who is away', () => {
    expect(checkEligibility(repOf(), runtime({ awayUntil: now + HOUR }), nobody, now)).toEqual({ eligible: false, reason: 'away' });
  });

  it('skips a rep who is away with no return time', () => {
    expect(checkEligibility(repOf(), runtime({ awayUntil: Number.POSITIVE_INFINITY }), nobody, now)).toEqual({ eligible: false, reason: 'away' });
  });

  it('accepts a rep again once their away time has passed', () => {
    expect(checkEligibility(repOf(), runtime({ awayUntil: now }), nobody, now)).toEqual({ eligible: true });
    expect(checkEligibility(repOf(), runtime({ awayUntil: now - MINUTE }), nobody, now)).toEqual({ eligible: true });
  });

  it('skips a rep outside their working hours', () => {
    const early = repOf({ hours: 'Mon-Fri 15:00-18:00', timezone: 'UTC' });
    expect(checkEligibility(early, runtime(), nobody, now)).toEqual({ eligible: false, reason: 'outside_hours' });
  });

  it('reads working hours in the rep\'s own time zone', () => {
    const office = { hours: 'Mon-Fri 09:00-17:30' };
    // 14:00 UTC is 15:00 in Berlin (inside), 06:00 in Los Angeles and 23:00 in Tokyo (outside).
    expect(checkEligibility(repOf({ ...office, timezone: 'Europe/Berlin' }), runtime(), nobody, now).eligible).toBe(true);
    expect(checkEligibility(repOf({ ...office, timezone: 'America/Los_Angeles' }), runtime(), nobody, now)).toEqual({ eligible: false, reason: 'outside_hours' });
    expect(checkEligibility(repOf({ ...office, timezone: 'Asia/Tokyo' }), runtime(), nobody, now)).toEqual({ eligible: false, reason: 'outside_hours' });
  });

  it('skips a rep at capacity', () => {
    expect(checkEligibility(repOf({ capacity: 10 }), runtime({ openLeads: 10 }), nobody, now)).toEqual({ eligible: false, reason: 'at_capacity' });
    expect(checkEligibility(repOf({ capacity: 10 }), runtime({ openLeads: 9 }), nobody, now).eligible).toBe(true);
  });

  it('treats a rep without capacity as unlimited', () => {
    expect(checkEligibility(repOf(), runtime({ openLeads: 10_000 }), nobody, now).eligible).toBe(true);
  });

  it('lets a runtime capacity override win over the config, both ways', () => {
    expect(checkEligibility(repOf({ capacity: 10 }), runtime({ openLeads: 5, capacityOverride: 5 }), nobody, now)).toEqual({ eligible: false, reason: 'at_capacity' });
    expect(checkEligibility(repOf({ capacity: 10 }), runtime({ openLeads: 12, capacityOverride: 20 }), nobody, now).eligible).toBe(true);
    expect(checkEligibility(repOf(), runtime({ openLeads: 0, capacityOverride: 0 }), nobody, now)).toEqual({ eligible: false, reason: 'at_capacity' });
  });

  it('skips a rep who reached their daily cap', () => {
    expect(checkEligibility(repOf({ daily_cap: 20 }), runtime({ offersToday: 20 }), nobody, now)).toEqual({ eligible: false, reason: 'daily_cap' });
    expect(checkEligibility(repOf({ daily_cap: 20 }), runtime({ offersToday: 19 }), nobody, now).eligible).toBe(true);
  });

  it('skips a rep who already passed on or let expire this lead', () => {
    expect(checkEligibility(repOf(), runtime(), new Set(['U0ALICE']), now)).toEqual({ eligible: false, reason: 'already_offered' });
  });

  it('reports the first reason in the order away, hours, capacity, daily cap, already offered', () => {
    const busy = repOf({ capacity: 1, daily_cap: 1, hours: 'Mon-Fri 15:00-18:00', timezone: 'UTC' });
    const state = { openLeads: 1, offersToday: 1 };
    const excluded = new Set(['U0ALICE']);
    expect(checkEligibility(busy, runtime({ ...state, awayUntil: now + HOUR }), excluded, now)).toEqual({ eligible: false, reason: 'away' });
    expect(checkEligibility(busy, runtime(state), excluded, now)).toEqual({ eligible: false, reason: 'outside_hours' });
    expect(checkEligibility(busy, runtime(state), excluded, now + 2 * HOUR)).toEqual({ eligible: false, reason: 'at_capacity' });
    expect(checkEligibility(busy, runtime({ offersToday: 1 }), excluded, now + 2 * HOUR)).toEqual({ eligible: false, reason: 'daily_cap' });
    expect(checkEligibility(busy, runtime(), excluded, now + 2 * HOUR)).toEqual({ eligible: false, reason: 'already_offered' });
  });
});

describe('nextEligibilityChange', () => {
  it('is now for an eligible rep', () => {
    expect(nextEligibilityChange(repOf(), runtime(), nobody, now)).toBe(now);
  });

  it('is the end of the away time', () => {
    expect(nextEligibilityChange(repOf(), runtime({ awayUntil: now + 2 * HOUR }), nobody, now)).toBe(now + 2 * HOUR);
  });

  it('is the start of working hours', () => {
    const later = repOf({ hours: 'Mon-Fri 16:30-18:00', timezone: 'UTC' });
    expect(nextEligibilityChange(later, runtime(), nobody, now)).toBe(Date.parse('2026-11-23T16:30:00Z'));
  });

  it('is the first working hour after the away time ends', () => {
    const office = repOf({ hours: 'Mon-Fri 09:00-17:00', timezone: 'UTC' });
    const awayUntilEvening = Date.parse('2026-11-23T20:00:00Z');
    expect(nextEligibilityChange(office, runtime({ awayUntil: awayUntilEvening }), nobody, now)).toBe(Date.parse('2026-11-24T09:00:00Z'));
  });

  it('is the local midnight when the daily cap resets', () => {
    const capped = repOf({ daily_cap: 5, timezone: 'Europe/Berlin' });
    expect(nextEligibilityChange(capped, runtime({ offersToday: 5 }), nobody, now)).toBe(Date.parse('2026-11-23T23:00:00Z'));
  });

  it('is null when only an event can help: at capacity, away with no return time, already offered', () => {
    expect(nextEligibilityChange(repOf({ capacity: 1 }), runtime({ openLeads: 1 }), nobody, now)).toBeNull();
    expect(nextEligibilityChange(repOf(), runtime({ awayUntil: Number.POSITIVE_INFINITY }), nobody, now)).toBeNull();
    expect(nextEligibilityChange(repOf(), runtime(), new Set(['U0ALICE']), now)).toBeNull();
  });
});

describe('earliestEligibilityChange', () => {
  it('is the soonest instant any currently ineligible rep becomes eligible', () => {
    const config = buildConfig({ reps: ['U0ALICE', 'U0BOB', 'U0CAROL'], fallback: { rep: 'U0ALICE' } });
    const snapshot = buildSnapshot({ reps: { U0ALICE: { awayUntil: now + 3 * HOUR }, U0BOB: { awayUntil: now + HOUR } } });
    expect(earliestEligibilityChange({ config, snapshot, now })).toBe(now + HOUR);
    expect(earliestEligibilityChange({ config, snapshot, now, repIds: ['U0ALICE', 'U0CAROL'] })).toBe(now + 3 * HOUR);
  });

  it('is null when no change is coming with time', () => {
    const config = buildConfig({ reps: ['U0ALICE'], fallback: { rep: 'U0ALICE' } });
    expect(earliestEligibilityChange({ config, snapshot: buildSnapshot(), now })).toBeNull();
  });
});

describe('localDayStart', () => {
  it('is local midnight in the zone', () => {
    expect(localDayStart('UTC', now)).toBe(Date.parse('2026-11-23T00:00:00Z'));
    expect(localDayStart('Europe/Berlin', now)).toBe(Date.parse('2026-11-22T23:00:00Z'));
    expect(localDayStart('America/New_York', now)).toBe(Date.parse('2026-11-23T05:00:00Z'));
  });

  it('follows the local date, not the UTC date', () => {
    // 14:00 UTC on Monday is already Tuesday 01:00 in Auckland (UTC+13 in November).
    expect(localDayStart('Pacific/Auckland', now)).toBe(Date.parse('2026-11-23T11:00:00Z'));
  });

  it('handles a day on which daylight saving time starts', () => {
    // New York springs forward on 2026-03-08 at 02:00; midnight was still UTC-5.
    expect(localDayStart('America/New_York', Date.parse('2026-03-08T18:00:00Z'))).toBe(Date.parse('2026-03-08T05:00:00Z'));
  });

  it('starts a day whose midnight was skipped at the first instant after the jump', () => {
    // Havana springs forward at midnight (00:00 → 01:00) on 2026-03-08: the day starts at 01:00 CDT = 05:00 UTC.
    expect(localDayStart('America/Havana', Date.parse('2026-03-08T15:00:00Z'))).toBe(Date.parse('2026-03-08T05:00:00Z'));
  });

  it('is the instant itself at midnight', () => {
    const midnight = Date.parse('2026-11-23T00:00:00Z');
    expect(localDayStart('UTC', midnight)).toBe(midnight);
    expect(localDayStart('UTC', midnight - 1)).toBe(midnight - 24 * HOUR);
  });
});
