/**
 * What making an offer changes in the routing state a decision reads: the rep's offers today and
 * last offer time, and the team's round-robin state. The app applies it to the state it keeps for a
 * batch of decisions (so the next lead of the batch is decided as if the state were read again), and
 * `simulateRouting` to its simulated state, so both move the same way the database does. Pure.
 */
import type { RepRuntime, RoundRobinState, RoutingDecision } from './types.ts';

/** The rep's runtime state and the team's round-robin state after `decision`'s offer at `now`. */
export function afterOffer(
  decision: Extract<RoutingDecision, { kind: 'rep' }>,
  now: number,
  before: { rep: RepRuntime; team: RoundRobinState | undefined },
): { rep: RepRuntime; team: RoundRobinState | undefined } {
  const rep = { ...before.rep, offersToday: before.rep.offersToday + 1, lastOfferAt: now };
  const update = decision.roundRobin;
  if (!update || !before.team) return { rep, team: before.team };
  // Already what the offer makes it (a store that keeps its state current as it writes): no copy of the team's passes.
  if (before.team.level === update.level && before.team.passes.get(update.repId) === update.pass) return { rep, team: before.team };
  return { rep, team: { level: update.level, passes: new Map(before.team.passes).set(update.repId, update.pass) } };
}
