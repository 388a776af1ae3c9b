/**
 * Replaying leads through the routing core on simulated time (SPEC 10, `leadrelay simulate`): who
 * would get what under a config, each rep's share against the share their weights call for, and what
 * a second config would change. Pure and deterministic: the same leads and config give the same
 * result, whatever the machine or the clock.
 *
 * The model, kept deliberately simple so that the numbers are easy to reason about:
 * - Each lead is routed with decideRoute at its arrival time, in arrival order (file order for equal
 *   times). A lead without an arrival time arrives SIMULATION_STEP after the previous file position,
 *   counting from SIMULATION_START: the n-th lead of the file (from 0) at START + n minutes.
 * - Every offer to a rep is claimed at once and done at once: it counts toward the rep's daily_cap
 *   (offers since their local midnight) and sets their last offer time, but open leads never
 *   accumulate, so capacity never binds.
 * - The round-robin update of each decision is applied, as the app does when it makes the offer.
 * - Nobody is away, no capacity is overridden, account owners come from the config only, and no
 *   rep has passed on a lead. A queued lead stays queued (it is not offered later).
 */
import type { Config } from '../../config/schema.ts';
import type { Lead } from '../lead.ts';
import { compileRouting, isCompiledRouting, type CompiledRouting } from './compileRouting.ts';
import { decideRoute } from './decideRoute.ts';
import { localDayStart, nextLocalDayStart } from './localDayStart.ts';
import type { RepRuntime, RoutingDecision } from './types.ts';

/** Monday 2026-01-05 09:00 UTC: when the first lead without an arrival time arrives. */
export const SIMULATION_START = Date.UTC(2026, 0, 5, 9, 0, 0);
/** The gap between leads without an arrival time: one minute. */
export const SIMULATION_STEP = 60_000;

/** A lead to replay, prepared as the app would route it (pre-routing resolved, domain derived). */
export interface SimulatedLead {
  /** Where the lead is in the input (a line number), to name it in the results. */
  line: number;
  lead: Lead;
  domain: string | null;
  /** Arrival time, epoch ms. */
  at: number;
}

/** Where one lead went. */
export type SimulatedDestination =
  | { kind: 'rep'; repId: string; teamId: string | null }
  | { kind: 'sequence'; sequenceId: string }
  | { kind: 'queued'; teamId: string | null };

export interface SimulatedRoute {
  line: number;
  /** The lead's e-mail, else LinkedIn URL, else external id. */
  label: string;
  at: number;
  destination: SimulatedDestination;
  /** The rule that fired (a rule's name, `fallback`, `pre-routed`); null when queued. */
  rule: string | null;
}

/** Arrival times: the given one, else SIMULATION_START + position × SIMULATION_STEP. */
export function arrivalTimes(leads: readonly { at?: number | undefined }[]): number[] {
  return leads.map((lead, index) => lead.at ?? SIMULATION_START + index * SIMULATION_STEP);
}

/** How a lead is named in a simulation's results. */
export function leadLabel(lead: Pick<Lead, 'email' | 'linkedin_url' | 'external_id'>): string {
  return lead.email ?? lead.linkedin_url ?? lead.external_id ?? '(unnamed)';
}

function destinationOf(decision: RoutingDecision): SimulatedDestination {
  switch (decision.kind) {
    case 'rep':
      return { kind: 'rep', repId: decision.repId, teamId: decision.teamId };
    case 'sequence':
      return { kind: 'sequence', sequenceId: decision.sequenceId };
    case 'queued':
      return { kind: 'queued', teamId: decision.teamId };
  }
}

/** Offers a rep has had since the start of one local day. */
interface DayCount {
  dayStart: number;
  count: number;
}

/**
 * Routes every lead in arrival order against a runtime state that evolves as described above,
 * starting empty. Returns the routes in the order of `leads` (not of arrival).
 */
export function simulateRouting(config: Config | CompiledRouting, leads: readonly SimulatedLead[]): SimulatedRoute[] {
  const routing = isCompiledRouting(config) ? config : compileRouting(config);
  const reps = routing.compiledFrom.reps;
  const lastOfferAt = new Map<string, number>();
  const offersToday = new Map<string, DayCount>();
  const roundRobin = new Map<string, { level: number; passes: Map<string, number> }>();
  // The local day per time zone, kept while time stays inside it: computing it is the costly part.
  const days = new Map<string, { start: number; end: number }>();
  const dayOf = (timeZone: string, now: number): number => {
    let day = days.get(timeZone);
    if (day === undefined || now < day.start || now >= day.end) {
      day = { start: localDayStart(timeZone, now), end: nextLocalDayStart(timeZone, now) };
      days.set(timeZone, day);
    }
    return day.start;
  };
  const noOwners = new Map<string, string | null>();
  const nobody = new Set<string>();

  const order = leads.map((_, index) => index).sort((x, y) => (leads[x]?.at ?? 0) - (leads[y]?.at ?? 0) || x - y);
  const routes: SimulatedRoute[] = new Array<SimulatedRoute>(leads.length);
  for (const index of order) {
    const entry = leads[index];
    if (!entry) continue;
    const now = entry.at;
    const runtime = new Map<string, RepRuntime>();
    for (const rep of reps) {
      const dayStart = dayOf(rep.timezone, now);
      const today = offersToday.get(rep.id);
      runtime.set(rep.id, {
        awayUntil: null,
        capacityOverride: null,
        openLeads: 0,
        offersToday: today !== undefined && today.dayStart === dayStart ? today.count : 0,
        lastOfferAt: lastOfferAt.get(rep.id) ?? null,
      });
    }
    const decision = decideRoute({ lead: entry.lead, domain: entry.domain, config: routing, snapshot: { reps: runtime, roundRobin, accountOwners: noOwners, excludedReps: nobody }, now });

    if (decision.kind === 'rep') {
      const rep = routing.reps.get(decision.repId);
      const dayStart = rep ? dayOf(rep.timezone, now) : now;
      const today = offersToday.get(decision.repId);
      offersToday.set(decision.repId, { dayStart, count: today !== undefined && today.dayStart === dayStart ? today.count + 1 : 1 });
      lastOfferAt.set(decision.repId, now);
      const update = decision.roundRobin;
      if (update) {
        const teamPasses = roundRobin.get(update.teamId)?.passes ?? new Map<string, number>();
        roundRobin.set(update.teamId, { level: update.level, passes: teamPasses.set(update.repId, update.pass) });
      }
    }
    routes[index] = {
      line: entry.line,
      label: leadLabel(entry.lead),
      at: now,
      destination: destinationOf(decision),
      rule: decision.kind === 'queued' ? null : decision.rule,
    };
  }
  return routes;
}

// ---------------------------------------------------------------------------------------------
// Summaries

export interface SimulationTotals {
  leads: number;
  toReps: number;
  toSequences: number;
  queued: number;
}

export interface RepShare {
  repId: string;
  name?: string;
  /** The teams listing the rep, in config order. */
  teams: string[];
  leads: number;
  /** Of all leads routed to reps; null when none were. */
  share: number | null;
  /**
   * What the weights call for: for each of the rep's teams, the leads that team's distribution
   * handed out × the rep's weight / the sum of the members' weights, summed over the rep's teams,
   * divided by all leads routed to reps. Leads routed to a rep directly (pre-routed owner, account
   * owner, `{ rep }` target) count toward nobody's target. Null when no lead went to a rep.
   */
  target: number | null;
}

export interface SimulationSummary {
  totals: SimulationTotals;
  /** Every rep in config order. */
  reps: RepShare[];
  /** Every sequence in config order. */
  sequences: { sequenceId: string; leads: number }[];
  /** How many leads each rule sent somewhere: the config's rules in order, then `pre-routed` and `fallback` when used. */
  rules: { rule: string; leads: number }[];
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Totals, per-rep shares against weights, per-sequence and per-rule counts. */
export function summarizeSimulation(config: Config, routes: readonly SimulatedRoute[]): SimulationSummary {
  const byRep = new Map<string, number>();
  const byTeam = new Map<string, number>();
  const bySequence = new Map<string, number>();
  const byRule = new Map<string, number>();
  const totals: SimulationTotals = { leads: routes.length, toReps: 0, toSequences: 0, queued: 0 };
  for (const route of routes) {
    const destination = route.destination;
    if (route.rule !== null) increment(byRule, route.rule);
    if (destination.kind === 'rep') {
      totals.toReps += 1;
      increment(byRep, destination.repId);
      if (destination.teamId !== null) increment(byTeam, destination.teamId);
    } else if (destination.kind === 'sequence') {
      totals.toSequences += 1;
      increment(bySequence, destination.sequenceId);
    } else {
      totals.queued += 1;
    }
  }
  const weights = new Map(config.reps.map((rep) => [rep.id, rep.weight] as const));
  const reps = config.reps.map((rep): RepShare => {
    const teams = config.teams.filter((team) => team.members.includes(rep.id));
    const expected = teams.reduce((sum, team) => {
      const total = team.members.reduce((s, member) => s + (weights.get(member) ?? 1), 0);
      return sum + ((byTeam.get(team.id) ?? 0) * rep.weight) / total;
    }, 0);
    const leads = byRep.get(rep.id) ?? 0;
    return {
      repId: rep.id,
      ...(rep.name === undefined ? {} : { name: rep.name }),
      teams: teams.map((team) => team.id),
      leads,
      share: totals.toReps === 0 ? null : leads / totals.toReps,
      target: totals.toReps === 0 ? null : expected / totals.toReps,
    };
  });
  const ruleNames = [...config.rules.map((rule) => rule.name), 'pre-routed', 'fallback'];
  const rules = ruleNames
    .map((rule, index) => ({ rule, leads: byRule.get(rule) ?? 0, configured: index < config.rules.length }))
    .filter((entry) => entry.configured || entry.leads > 0)
    .map(({ rule, leads }) => ({ rule, leads }));
  return {
    totals,
    reps,
    sequences: config.sequences.map((sequence) => ({ sequenceId: sequence.id, leads: bySequence.get(sequence.id) ?? 0 })),
    rules,
  };
}

// ---------------------------------------------------------------------------------------------
// Comparing two configs

/** A destination as one comparable key: the rep's id, `sequence:<id>`, or `queued`. */
function destinationKey(destination: SimulatedDestination): string {
  if (destination.kind === 'rep') return destination.repId;
  if (destination.kind === 'sequence') return `sequence:${destination.sequenceId}`;
  return 'queued';
}

export interface MovedLead {
  line: number;
  label: string;
  from: SimulatedDestination;
  to: SimulatedDestination;
  ruleA: string | null;
  ruleB: string | null;
}

/** One row of the comparison: a rep, a sequence or the holding queue, with its leads under each config. */
export interface ComparedDestination {
  kind: 'rep' | 'sequence' | 'queued';
  /** Rep or sequence id; `queued` for the queue. */
  id: string;
  name?: string;
  a: number;
  b: number;
}

export interface SimulationComparison {
  /** Leads whose destination (rep, sequence or queue) differs; a different rule to the same rep is not a move. */
  moved: MovedLead[];
  /** Reps (a's in config order, then b's new ones), then sequences, then the queue when either config queued a lead. */
  destinations: ComparedDestination[];
}

/** What replaying the same leads through config b instead of config a changes. `a` and `b` are in the same lead order. */
export function compareSimulations(configA: Config, a: readonly SimulatedRoute[], configB: Config, b: readonly SimulatedRoute[]): SimulationComparison {
  const moved: MovedLead[] = [];
  const countsA = new Map<string, number>();
  const countsB = new Map<string, number>();
  a.forEach((routeA, index) => {
    const routeB = b[index];
    increment(countsA, destinationKey(routeA.destination));
    if (!routeB) return;
    if (destinationKey(routeA.destination) !== destinationKey(routeB.destination)) {
      moved.push({ line: routeA.line, label: routeA.label, from: routeA.destination, to: routeB.destination, ruleA: routeA.rule, ruleB: routeB.rule });
    }
  });
  for (const route of b) increment(countsB, destinationKey(route.destination));

  const destinations: ComparedDestination[] = [];
  const listed = new Set<string>();
  const add = (row: Omit<ComparedDestination, 'a' | 'b'>, key: string) => {
    if (listed.has(key)) return;
    listed.add(key);
    destinations.push({ ...row, a: countsA.get(key) ?? 0, b: countsB.get(key) ?? 0 });
  };
  for (const rep of [...configA.reps, ...configB.reps]) add({ kind: 'rep', id: rep.id, ...(rep.name === undefined ? {} : { name: rep.name }) }, rep.id);
  for (const sequence of [...configA.sequences, ...configB.sequences]) add({ kind: 'sequence', id: sequence.id }, `sequence:${sequence.id}`);
  if ((countsA.get('queued') ?? 0) + (countsB.get('queued') ?? 0) > 0) add({ kind: 'queued', id: 'queued' }, 'queued');
  return { moved, destinations };
}
