/**
 * When the holding queue should be looked at again (a queued lead is offered "the moment
 * someone becomes eligible"): the earliest instant after `now` at which some currently ineligible
 * rep becomes eligible through time alone (away ends, hours start, daily cap resets). Changes that
 * are events (a lead done, /away off, a capacity override) are the app's to react to. Pure.
 */
import type { Settings } from '../settings.ts';
import { nextEligibilityChange } from './checkEligibility.ts';
import { isCompiledRouting, type CompiledRouting } from './compileRouting.ts';
import { DEFAULT_REP_RUNTIME, type RoutingSnapshot } from './types.ts';

export function earliestEligibilityChange(input: {
  config: Settings | CompiledRouting;
  snapshot: RoutingSnapshot;
  now: number;
  /** Only these reps (say, the members of the teams a queued lead waits for); default every rep. */
  repIds?: Iterable<string>;
}): number | null {
  const reps = isCompiledRouting(input.config) ? input.config.reps : new Map(input.config.reps.map((rep) => [rep.id, rep] as const));
  let earliest: number | null = null;
  for (const id of input.repIds ?? reps.keys()) {
    const rep = reps.get(id);
    if (!rep) continue;
    const at = nextEligibilityChange(rep, input.snapshot.reps.get(id) ?? DEFAULT_REP_RUNTIME, input.snapshot.excludedReps, input.now);
    if (at !== null && at > input.now && (earliest === null || at < earliest)) earliest = at;
  }
  return earliest;
}
