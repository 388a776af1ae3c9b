/**
 * Eligibility: the one place that says whether a rep may be offered a lead now, and when a
 * rep who may not could become eligible. Pure.
 */
import type { Rep } from '../settings.ts';
import { isWithinHours, nextHoursStart } from '../workingHours.ts';
import { nextLocalDayStart } from './localDayStart.ts';
import type { LocalWeekClock } from './localWeekClock.ts';
import type { RepRuntime, SkipReason } from './types.ts';

/** The capacity a rep is held to: the runtime override, else the config's; undefined = unlimited. */
export function effectiveCapacity(rep: Rep, runtime: RepRuntime): number | undefined {
  return runtime.capacityOverride ?? rep.capacity;
}

/**
 * The first reason the rep may not be offered the lead, checked in this order: away, outside
 * working hours, at capacity, daily cap reached, already passed on / let expire this lead. Null
 * when eligible. A rep without `hours` is always inside hours; without `capacity`, unlimited.
 * `clock` (made for this same `now`) lets a decision that checks many reps read each time zone once.
 */
export function skipReason(rep: Rep, runtime: RepRuntime, excluded: ReadonlySet<string>, now: number, clock?: LocalWeekClock): SkipReason | null {
  if (runtime.awayUntil !== null && runtime.awayUntil > now) return 'away';
  if (rep.hours !== undefined) {
    const inside = clock && clock.now === now ? clock.isWithinHours(rep.hours, rep.timezone) : isWithinHours(rep.hours, rep.timezone, now);
    if (!inside) return 'outside_hours';
  }
  const capacity = effectiveCapacity(rep, runtime);
  if (capacity !== undefined && runtime.openLeads >= capacity) return 'at_capacity';
  if (rep.dailyCap !== undefined && runtime.offersToday >= rep.dailyCap) return 'daily_cap';
  if (excluded.has(rep.id)) return 'already_offered';
  return null;
}

/** Whether the rep may be offered a lead at `now`, and if not, the first reason why. */
export function checkEligibility(
  rep: Rep,
  runtime: RepRuntime,
  excluded: ReadonlySet<string>,
  now: number,
): { eligible: true } | { eligible: false; reason: SkipReason } {
  const reason = skipReason(rep, runtime, excluded, now);
  return reason === null ? { eligible: true } : { eligible: false, reason };
}

/**
 * The earliest instant at which the rep may be eligible for this lead through the passing of time
 * alone: `now` when eligible already; else when the last of these has happened: the away time ends,
 * the daily cap resets at local midnight, working hours start. Null when time alone will not do it:
 * at capacity (a lead must be done first), away with no return time, already passed on this lead,
 * or no working hours within the next 8 days. The app re-routes queued leads at that instant.
 */
export function nextEligibilityChange(rep: Rep, runtime: RepRuntime, excluded: ReadonlySet<string>, now: number): number | null {
  if (excluded.has(rep.id)) return null;
  const capacity = effectiveCapacity(rep, runtime);
  if (capacity !== undefined && runtime.openLeads >= capacity) return null;
  const capReached = rep.dailyCap !== undefined && runtime.offersToday >= rep.dailyCap;
  const capResets = capReached ? nextLocalDayStart(rep.timezone, now) : now;
  let at = now;
  // Each condition only ever moves `at` forward, so this settles within a few rounds.
  for (let round = 0; round < 8; round += 1) {
    const before = at;
    if (runtime.awayUntil !== null && runtime.awayUntil > at) {
      if (!Number.isFinite(runtime.awayUntil)) return null;
      at = runtime.awayUntil;
    }
    if (capResets > at) at = capResets;
    if (rep.hours !== undefined) {
      const start = nextHoursStart(rep.hours, rep.timezone, at);
      if (start === null) return null;
      at = start;
    }
    if (at === before) return at;
  }
  return at;
}
