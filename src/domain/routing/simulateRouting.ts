/**
 * Replaying leads through the routing core on simulated time (`leadrelay simulate`): who
 * would get what under a config, each rep's share against the share their weights call for, and what
 * a second config would change. Pure and deterministic: the same leads and config give the same
 * result, whatever the machine or the clock.
 *
 * The model, kept deliberately simple so that the numbers are easy to reason about:
 * - Each lead is routed with decideRoute at its arrival time, in arrival order (file order for equal
 *   times). A lead without an arrival time arrives SIMULATION_STEP after the previous file position,
 *   counting from the start (SIMULATION_START unless given): the n-th lead of the file (from 0) at
 *   start + n minutes.
 * - Every offer to a rep is claimed at once and done at once: it counts toward the rep's daily_cap
 *   (offers since their local midnight) and sets their last offer time, but open leads never
 *   accumulate, so capacity never binds.
 * - The round-robin update of each decision is applied, as the app does when it makes the offer.
 * - Nobody is away, no capacity is overridden, account owners come from the config only, and no
 *   rep has passed on a lead. A queued lead stays queued (it is not offered later).
 * - Signals are events on the same timeline (same arrival rule as leads). A signal joins its lead's
 *   history and is checked against the config's signal rules (matchSignalRule); a rule that fires
 *   routes a lead in a sequence or queued to the rule's target (fallback still applies), as the app
 *   does, with the same evolving state. A signal for a lead that has not arrived is counted unmatched.
 */
import type { Settings, SignalRule } from '../settings.ts';
import { normalizeEmail, normalizeLinkedInUrl, type Lead } from '../lead.ts';
import { matchSignalRule, type SignalFact } from '../signals/matchSignalRule.ts';
import { compileRouting, isCompiledRouting, type CompiledRouting } from './compileRouting.ts';
import { decideRoute } from './decideRoute.ts';
import { localDayStart, nextLocalDayStart } from './localDayStart.ts';
import { afterOffer } from './afterOffer.ts';
import { DEFAULT_REP_RUNTIME, type RepRuntime, type RoundRobinState, type RoutingDecision } from './types.ts';

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

/** Which lead a signal is about: like POST /signals, the first of ref, external_id, email, linkedin_url. */
export interface SimulatedSignalLead {
  /** A `ref`, resolved: the 0-based index of the lead in the simulation's leads (out of range = unmatched). */
  index?: number;
  external_id?: string;
  email?: string;
  linkedin_url?: string;
}

/** A signal to replay. */
export interface SimulatedSignal {
  line: number;
  lead: SimulatedSignalLead;
  /** `at` is the signal's arrival time (epoch ms). */
  signal: SignalFact;
}

/** What one signal did. */
export interface SimulatedSignalOutcome {
  line: number;
  at: number;
  /** The lead's index in the simulation's leads; null when no lead had arrived that matches. */
  leadIndex: number | null;
  /** The signal rule that fired, or null. */
  rule: string | null;
  /** Where the rule moved the lead (out of a sequence or the queue); absent when it did not move it. */
  moved?: { from: SimulatedDestination; to: SimulatedDestination };
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
  /** The rule that fired on arrival (a rule's name, `fallback`, `pre-routed`); null when queued. */
  rule: string | null;
  /** Set when a signal rule moved the lead: `destination` is then where it ended up. */
  signal?: { rule: string; at: number; from: SimulatedDestination; decidedBy: string | null };
}

export interface SimulationResult {
  /** In the order of the leads given. */
  routes: SimulatedRoute[];
  /** In the order of the signals given. */
  signals: SimulatedSignalOutcome[];
}

/** Arrival times: the given one, else start + position × SIMULATION_STEP. */
export function arrivalTimes(leads: readonly { at?: number | undefined }[], start: number = SIMULATION_START): number[] {
  return leads.map((lead, index) => lead.at ?? start + index * SIMULATION_STEP);
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

/** The keys signals find their lead by, in POST /signals' order of preference. */
function signalKey(lead: SimulatedSignalLead): string | null {
  if (lead.external_id !== undefined) return `external_id:${lead.external_id}`;
  if (lead.email !== undefined) return `email:${normalizeEmail(lead.email)}`;
  if (lead.linkedin_url !== undefined) return `linkedin:${normalizeLinkedInUrl(lead.linkedin_url)}`;
  return null;
}

function leadKeys(lead: Lead): string[] {
  const keys: string[] = [];
  if (lead.external_id !== undefined) keys.push(`external_id:${lead.external_id}`);
  if (lead.email !== undefined) keys.push(`email:${normalizeEmail(lead.email)}`);
  if (lead.linkedin_url !== undefined) keys.push(`linkedin:${normalizeLinkedInUrl(lead.linkedin_url)}`);
  return keys;
}

/**
 * Routes every lead and plays every signal in time order (ties: file order, by line) against a
 * runtime state that evolves as described above, starting empty. Routes come back in the order of
 * `leads`, signal outcomes in the order of `signals`.
 */
export function simulateRouting(config: Settings | CompiledRouting, leads: readonly SimulatedLead[], signals: readonly SimulatedSignal[] = []): SimulationResult {
  const routing = isCompiledRouting(config) ? config : compileRouting(config);
  const source = routing.compiledFrom;
  const reps = source.reps;
  /** Each offered rep's runtime state, and the local day its `offersToday` counts. */
  const offered = new Map<string, { runtime: RepRuntime; dayStart: number }>();
  const roundRobin = new Map<string, RoundRobinState>();
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
  const signalRouting = new Map<SignalRule, CompiledRouting>();
  const routingFor = (rule: SignalRule): CompiledRouting => {
    let compiled = signalRouting.get(rule);
    if (!compiled) {
      compiled = compileRouting({ ...source, rules: [{ name: `signal: ${rule.name}`, route: rule.route }] });
      signalRouting.set(rule, compiled);
    }
    return compiled;
  };

  /** decideRoute on the current state, then the state updated as the app does when it offers (afterOffer). */
  const decide = (entry: SimulatedLead, compiled: CompiledRouting, now: number): RoutingDecision => {
    const runtime = new Map<string, RepRuntime>();
    for (const rep of reps) {
      const seen = offered.get(rep.id);
      // A new local day: the day's offers start again from none.
      if (seen !== undefined) runtime.set(rep.id, seen.dayStart === dayOf(rep.timezone, now) ? seen.runtime : { ...seen.runtime, offersToday: 0 });
    }
    const decision = decideRoute({ lead: entry.lead, domain: entry.domain, config: compiled, snapshot: { reps: runtime, roundRobin, accountOwners: noOwners, excludedReps: nobody }, now });
    if (decision.kind === 'rep') {
      const teamId = decision.roundRobin?.teamId;
      const next = afterOffer(decision, now, {
        rep: runtime.get(decision.repId) ?? DEFAULT_REP_RUNTIME,
        team: teamId === undefined ? undefined : (roundRobin.get(teamId) ?? { level: 0, passes: new Map() }),
      });
      const rep = routing.reps.get(decision.repId);
      offered.set(decision.repId, { runtime: next.rep, dayStart: rep ? dayOf(rep.timezone, now) : now });
      if (teamId !== undefined && next.team) roundRobin.set(teamId, next.team);
    }
    return decision;
  };

  type Event = { kind: 'lead'; index: number; at: number; line: number } | { kind: 'signal'; index: number; at: number; line: number };
  const events: Event[] = [
    ...leads.map((lead, index): Event => ({ kind: 'lead', index, at: lead.at, line: lead.line })),
    ...signals.map((signal, index): Event => ({ kind: 'signal', index, at: signal.signal.at, line: signal.line })),
  ];
  events.sort((x, y) => x.at - y.at || x.line - y.line || (x.kind === y.kind ? x.index - y.index : x.kind === 'lead' ? -1 : 1));

  const routes: SimulatedRoute[] = new Array<SimulatedRoute>(leads.length);
  const outcomes: SimulatedSignalOutcome[] = new Array<SimulatedSignalOutcome>(signals.length);
  const arrived = new Map<string, number>();
  const histories = new Map<number, SignalFact[]>();
  for (const event of events) {
    if (event.kind === 'lead') {
      const entry = leads[event.index];
      if (!entry) continue;
      const decision = decide(entry, routing, entry.at);
      routes[event.index] = {
        line: entry.line,
        label: leadLabel(entry.lead),
        at: entry.at,
        destination: destinationOf(decision),
        rule: decision.kind === 'queued' ? null : decision.rule,
      };
      for (const key of leadKeys(entry.lead)) arrived.set(key, event.index);
      continue;
    }
    const entry = signals[event.index];
    if (!entry) continue;
    const { signal } = entry;
    const key = entry.lead.index === undefined ? signalKey(entry.lead) : null;
    const leadIndex = entry.lead.index !== undefined ? (routes[entry.lead.index] ? entry.lead.index : null) : key === null ? null : (arrived.get(key) ?? null);
    const route = leadIndex === null ? undefined : routes[leadIndex];
    const lead = leadIndex === null ? undefined : leads[leadIndex];
    if (leadIndex === null || !route || !lead) {
      outcomes[event.index] = { line: entry.line, at: signal.at, leadIndex: null, rule: null };
      continue;
    }
    const history = histories.get(leadIndex) ?? [];
    history.push(signal);
    histories.set(leadIndex, history);
    const match = matchSignalRule(source.signals, signal, history, signal.at);
    const outcome: SimulatedSignalOutcome = { line: entry.line, at: signal.at, leadIndex, rule: match?.rule.name ?? null };
    if (match && route.destination.kind !== 'rep') {
      const decision = decide(lead, routingFor(match.rule), signal.at);
      const from = route.destination;
      const to = destinationOf(decision);
      if (destinationKey(from) !== destinationKey(to)) {
        outcome.moved = { from, to };
        route.destination = to;
        route.signal = { rule: match.rule.name, at: signal.at, from: route.signal?.from ?? from, decidedBy: decision.kind === 'queued' ? null : decision.rule };
      }
    }
    outcomes[event.index] = outcome;
  }
  return { routes, signals: outcomes };
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
  /** Of `leads`, those routed to the rep by name (pre-routed owner, account owner, `{ rep }` target), not by a team. */
  direct: number;
  /** Of all leads routed to reps; null when none were. */
  share: number | null;
  /**
   * What the weights call for: for each of the rep's teams, the leads that team's distribution
   * handed out × the rep's weight / the sum of the members' weights, summed over the rep's teams,
   * plus the rep's `direct` leads (nobody else could have had those), divided by all leads routed to
   * reps. The targets of all reps add up to 100%, like the shares. Who was eligible (working hours,
   * daily caps) is not part of it: a rep outside their hours falls below their target. Null when no
   * lead went to a rep.
   */
  target: number | null;
}

export interface SimulationSummary {
  totals: SimulationTotals;
  /** Every rep in config order. */
  reps: RepShare[];
  /** Every sequence in config order. */
  sequences: { sequenceId: string; leads: number }[];
  /** How many leads each rule sent somewhere on arrival: the config's rules in order, then `pre-routed` and `fallback` when used. */
  rules: { rule: string; leads: number }[];
  signals: SignalTotals;
}

export interface SignalTotals {
  /** Signals in the input. */
  read: number;
  /** Signals about no lead that had arrived by then. */
  unmatched: number;
  /** Signals that fired a rule, per signal rule (config order). */
  fired: { rule: string; signals: number }[];
  /** Leads a signal rule moved out of a sequence or the queue. */
  movedLeads: number;
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Totals, per-rep shares against weights, per-sequence and per-rule counts. */
export function summarizeSimulation(config: Settings, routes: readonly SimulatedRoute[], signals: readonly SimulatedSignalOutcome[] = []): SimulationSummary {
  const byRep = new Map<string, number>();
  const directByRep = new Map<string, number>();
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
      else increment(directByRep, destination.repId);
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
    const direct = directByRep.get(rep.id) ?? 0;
    return {
      repId: rep.id,
      ...(rep.name === undefined ? {} : { name: rep.name }),
      teams: teams.map((team) => team.id),
      leads,
      direct,
      share: totals.toReps === 0 ? null : leads / totals.toReps,
      target: totals.toReps === 0 ? null : (expected + direct) / totals.toReps,
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
    signals: summarizeSignals(config, routes, signals),
  };
}

function summarizeSignals(config: Settings, routes: readonly SimulatedRoute[], signals: readonly SimulatedSignalOutcome[]): SignalTotals {
  const fired = new Map<string, number>();
  for (const outcome of signals) if (outcome.rule !== null) increment(fired, outcome.rule);
  return {
    read: signals.length,
    unmatched: signals.filter((outcome) => outcome.leadIndex === null).length,
    fired: config.signals.map((rule) => ({ rule: rule.name, signals: fired.get(rule.name) ?? 0 })),
    movedLeads: routes.filter((route) => route.signal !== undefined).length,
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
export function compareSimulations(configA: Settings, a: readonly SimulatedRoute[], configB: Settings, b: readonly SimulatedRoute[]): SimulationComparison {
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
