/**
 * Who gets a lead, and why: a pure function of the lead, the config, a snapshot of the
 * runtime state and the time. The app loads the snapshot, calls decideRoute, and stores the
 * decision (and its round-robin update) with the offer, in one transaction.
 *
 * Order:
 * 1. Pre-routed leads (the source named `owner` and/or `team`) skip the rules: the owner if
 *    eligible; else the lead's `team`, or failing that the owner's first team, by its distribution.
 * 2. Otherwise the rules, top to bottom. A rule without `when` always matches. The first rule that
 *    matches AND can be served wins; a matched rule that cannot be served (nobody eligible, no
 *    account owner) is recorded and evaluation continues with the next rule.
 * 3. Then the `fallback` target; if nobody there is eligible either, the lead is queued, named
 *    after the last team tried, and the trace records where its escalation goes.
 *
 * Re-offering after a pass or an expiry is the same call with the rep added to `excludedReps`.
 */
import type { Settings, Rep, Target } from '../settings.ts';
import type { EnrichmentTrace } from '../enrichment.ts';
import { leadDomain, normalizeDomain, normalizeEmail, type Lead } from '../lead.ts';
import { escalationTarget } from '../people.ts';
import { skipReason } from './checkEligibility.ts';
import { compileRouting, isCompiledRouting, type CompiledRouting } from './compileRouting.ts';
import { LocalWeekClock } from './localWeekClock.ts';
import { conditionFailure } from './matchCondition.ts';
import { distributeLead, type AssessedRep } from './distributeLead.ts';
import { skipWords } from './traceText.ts';
import {
  DEFAULT_REP_RUNTIME,
  type AccountTrace,
  type AttemptTrace,
  type CandidateTrace,
  type FiredTrace,
  type RoundRobinUpdate,
  type RoutingDecision,
  type RoutingSnapshot,
  type RoutingTrace,
  type RuleTrace,
} from './types.ts';

export interface DecideRouteInput {
  lead: Lead;
  /**
   * The lead's company domain for account routing, normalized (`acme.com`); null = none. When
   * omitted it is derived from the lead (company.domain, else a non-free-mail e-mail domain).
   */
  domain?: string | null;
  /** The config, or compileRouting(config) to skip preparing it again for every lead. */
  config: Settings | CompiledRouting;
  /** What enrichment did to the lead (already merged into `lead`), recorded in the trace. */
  enrichment?: EnrichmentTrace | null;
  snapshot: RoutingSnapshot;
  /** The decision's time, epoch ms. */
  now: number;
  /**
   * List every eligible member of the teams tried in the trace (`leadrelay route --all`); by default
   * only the skipped members, the chosen one and the runner-up are listed and the rest counted.
   */
  listAllCandidates?: boolean;
}

/** How a target was served: a rep (with the team that picked them), or a sequence. */
type Served =
  | { kind: 'rep'; repId: string; teamId: string | null; via: 'owner' | 'account_owner' | 'rep' | 'team'; roundRobin?: RoundRobinUpdate }
  | { kind: 'sequence'; sequenceId: string };

type Attempted = { served: Served } | { served: null; notServed: string };

/** A rep as assessed for one decision; its trace entry is described when first asked for. */
class Assessment implements AssessedRep {
  private described: CandidateTrace | undefined;

  constructor(
    readonly rep: Rep,
    readonly runtime: AssessedRep['runtime'],
    readonly skip: AssessedRep['skip'],
    private readonly describe: (rep: Rep, runtime: AssessedRep['runtime'], skip: AssessedRep['skip']) => CandidateTrace,
  ) {}

  get candidate(): CandidateTrace {
    return (this.described ??= this.describe(this.rep, this.runtime, this.skip));
  }
}

/** One decision's working state: reps are assessed at most once each, however many rules try them. */
class DecisionContext {
  /** By the rep's place in the config (compiled `repIndex`): no map of ids built per decision. */
  private readonly assessed: (AssessedRep | undefined)[];
  private readonly clock: LocalWeekClock;
  /** The last team whose distribution was tried: the team that had nobody when a lead is queued. */
  lastTeamTried: string | null = null;

  constructor(
    readonly routing: CompiledRouting,
    readonly snapshot: RoutingSnapshot,
    readonly now: number,
    readonly listAllCandidates = false,
  ) {
    this.clock = new LocalWeekClock(now);
    this.assessed = new Array<AssessedRep | undefined>(routing.reps.size);
  }

  /** A rep of the config (from `findRep` or a team's members), assessed once per decision; `index` is its place, when the caller knows it. */
  assess(rep: Rep, index = this.routing.repIndex.get(rep.id) as number): AssessedRep {
    const known = this.assessed[index];
    if (known) return known;
    const runtime = this.snapshot.reps.get(rep.id) ?? DEFAULT_REP_RUNTIME;
    const skip = skipReason(rep, runtime, this.snapshot.excludedReps, this.now, this.clock);
    // The trace entry is made only for the reps a trace lists (skipped, chosen, runner-up): in a
    // team of 400 most are neither, and a decision should not cost what its team is large.
    const assessed = new Assessment(rep, runtime, skip, this.describe);
    this.assessed[index] = assessed;
    return assessed;
  }

  private readonly describe = (rep: Rep, runtime: AssessedRep['runtime'], skip: AssessedRep['skip']): CandidateTrace => {
    const candidate: CandidateTrace = { repId: rep.id };
    if (rep.name !== undefined) candidate.name = rep.name;
    if (skip === null) return candidate;
    candidate.skip = skip;
    switch (skip) {
      case 'away':
        candidate.awayUntil = runtime.awayUntil !== null && Number.isFinite(runtime.awayUntil) ? runtime.awayUntil : null;
        break;
      case 'outside_hours':
        candidate.hours = this.routing.hoursText.get(rep.id) ?? '';
        candidate.timezone = rep.timezone;
        break;
      case 'at_capacity':
        candidate.open = runtime.openLeads;
        candidate.capacity = runtime.capacityOverride ?? rep.capacity ?? null;
        break;
      case 'daily_cap':
        candidate.today = runtime.offersToday;
        candidate.dailyCap = rep.dailyCap ?? 0;
        break;
      case 'already_offered':
        break;
    }
    return candidate;
  };

  /** A rep by id, or by e-mail for owners given that way. */
  findRep(idOrEmail: string): Rep | undefined {
    return this.routing.reps.get(idOrEmail) ?? (idOrEmail.includes('@') ? this.routing.repsByEmail.get(normalizeEmail(idOrEmail)) : undefined);
  }

  serveRep(repId: string, via: 'owner' | 'account_owner' | 'rep', attempts: AttemptTrace[]): Attempted {
    const rep = this.findRep(repId);
    if (!rep) {
      attempts.push({ kind: 'unknown', what: 'rep', id: repId });
      return { served: null, notServed: `${repId} is not a rep in the config` };
    }
    const { skip, candidate } = this.assess(rep);
    attempts.push({ kind: 'rep', candidate, chosen: skip === null });
    if (skip === null) return { served: { kind: 'rep', repId: rep.id, teamId: null, via } };
    return { served: null, notServed: `${rep.id} is not eligible: ${skipWords(candidate)}` };
  }

  serveTeam(teamId: string, attempts: AttemptTrace[]): Attempted {
    const team = this.routing.teams.get(teamId);
    if (!team) {
      attempts.push({ kind: 'unknown', what: 'team', id: teamId });
      return { served: null, notServed: `there is no team ${teamId}` };
    }
    this.lastTeamTried = teamId;
    const members = team.members.map((rep, i) => this.assess(rep, team.memberIndexes[i]));
    const { attempt, update } = distributeLead(team, members, this.snapshot.roundRobin.get(teamId), { listAll: this.listAllCandidates });
    attempts.push(attempt);
    if (!update) return { served: null, notServed: `nobody eligible in team ${teamId}` };
    return { served: { kind: 'rep', repId: update.repId, teamId, via: 'team', roundRobin: update } };
  }

  serveTarget(target: Target, attempts: AttemptTrace[]): Attempted {
    if ('team' in target) return this.serveTeam(target.team, attempts);
    if ('rep' in target) return this.serveRep(target.rep, 'rep', attempts);
    if (!this.routing.sequences.has(target.sequence)) {
      attempts.push({ kind: 'unknown', what: 'sequence', id: target.sequence });
      return { served: null, notServed: `there is no sequence ${target.sequence}` };
    }
    attempts.push({ kind: 'sequence', sequenceId: target.sequence });
    return { served: { kind: 'sequence', sequenceId: target.sequence } };
  }

  /** The domain's owner: set at runtime (null = cleared), else from the config's accounts. */
  accountOwner(domain: string | null): AccountTrace {
    if (domain === null) return { domain, owner: null, source: 'none' };
    const runtime = this.snapshot.accountOwners.get(domain);
    if (runtime !== undefined) return runtime === null ? { domain, owner: null, source: 'cleared' } : { domain, owner: runtime, source: 'runtime' };
    const configured = this.routing.accounts.get(domain);
    return configured === undefined ? { domain, owner: null, source: 'none' } : { domain, owner: configured, source: 'config' };
  }

  /** route: account_owner: the owner if eligible, else the owner's first team; else not served. */
  serveAccountOwner(account: AccountTrace, attempts: AttemptTrace[]): Attempted {
    if (account.domain === null) return { served: null, notServed: 'the lead has no company domain' };
    if (account.owner === null) {
      return { served: null, notServed: account.source === 'cleared' ? `the owner of ${account.domain} was cleared` : `${account.domain} has no account owner` };
    }
    const owner = this.serveRep(account.owner, 'account_owner', attempts);
    if (owner.served) return owner;
    const rep = this.findRep(account.owner);
    if (!rep) return owner;
    const teamId = this.routing.firstTeamOf.get(rep.id);
    if (teamId === undefined) return { served: null, notServed: `${owner.notServed}, and they are in no team` };
    const team = this.serveTeam(teamId, attempts);
    return team.served ? team : { served: null, notServed: `${owner.notServed}; ${team.notServed} (the owner's team)` };
  }
}

function resolveDomain(input: DecideRouteInput): string | null {
  if (input.domain === undefined) return leadDomain(input.lead);
  if (input.domain === null) return null;
  const domain = normalizeDomain(input.domain);
  return domain === '' ? null : domain;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

type Fired = { served: Served; fired: FiredTrace; rule: string };

/** Pre-routed: the named owner if eligible, else the lead's team, else the owner's first team. */
function routePreRouted(context: DecisionContext, owner: string | undefined, team: string | undefined, trace: RoutingTrace): Fired | null {
  const attempts: AttemptTrace[] = [];
  const preRouted: NonNullable<RoutingTrace['preRouted']> = { ...(owner ? { owner } : {}), ...(team ? { team } : {}), served: false, attempts };
  trace.preRouted = preRouted;
  let result: Attempted | undefined = owner === undefined ? undefined : context.serveRep(owner, 'owner', attempts);
  if (!result?.served) {
    const ownerRep = owner === undefined ? undefined : context.findRep(owner);
    const teamId = team ?? (ownerRep ? context.routing.firstTeamOf.get(ownerRep.id) : undefined);
    if (teamId !== undefined) {
      const before = result;
      result = context.serveTeam(teamId, attempts);
      if (!result.served && before && !before.served) result = { served: null, notServed: `${before.notServed}; ${result.notServed}` };
    } else if (result && !result.served && ownerRep) {
      result = { served: null, notServed: `${result.notServed}, and they are in no team` };
    }
  }
  if (result?.served) {
    preRouted.served = true;
    return { served: result.served, fired: { by: 'pre-routed' }, rule: 'pre-routed' };
  }
  if (result && !result.served) preRouted.notServed = result.notServed;
  return null;
}

/** The rules, top to bottom: the first that matches AND can be served wins. */
function routeByRules(context: DecisionContext, lead: Lead, trace: RoutingTrace): Fired | null {
  for (const rule of context.routing.rules) {
    const failure = conditionFailure(rule.condition, lead);
    if (failure !== null) {
      trace.rules.push({ index: rule.index, name: rule.name, route: rule.route, matched: false, detail: failure });
      continue;
    }
    const attempts: AttemptTrace[] = [];
    const entry: RuleTrace = { index: rule.index, name: rule.name, route: rule.route, matched: true, detail: rule.summary, served: false, attempts };
    trace.rules.push(entry);
    let result: Attempted;
    if (rule.route === 'account_owner') {
      entry.account = context.accountOwner(trace.domain);
      result = context.serveAccountOwner(entry.account, attempts);
    } else {
      result = context.serveTarget(rule.route, attempts);
    }
    if (result.served) {
      entry.served = true;
      return { served: result.served, fired: { by: 'rule', index: rule.index, name: rule.name, summary: rule.summary }, rule: rule.name };
    }
    entry.notServed = result.notServed;
  }
  return null;
}

/** The fallback target; null when nobody there is eligible either. */
function routeToFallback(context: DecisionContext, trace: RoutingTrace): Fired | null {
  const route = context.routing.compiledFrom.fallback;
  const attempts: AttemptTrace[] = [];
  const result = context.serveTarget(route, attempts);
  trace.fallback = { route, served: result.served !== null, attempts };
  if (result.served) return { served: result.served, fired: { by: 'fallback' }, rule: 'fallback' };
  trace.fallback.notServed = result.notServed;
  return null;
}

/** Decides where a lead goes: a rep, a sequence, or the holding queue, with the full trace. */
export function decideRoute(input: DecideRouteInput): RoutingDecision {
  const routing = isCompiledRouting(input.config) ? input.config : compileRouting(input.config);
  const context = new DecisionContext(routing, input.snapshot, input.now, input.listAllCandidates ?? false);
  const trace: RoutingTrace = {
    at: input.now,
    domain: resolveDomain(input),
    ...(input.enrichment ? { enrichment: input.enrichment } : {}),
    rules: [],
    fired: null,
    outcome: { kind: 'queued', teamId: null },
  };

  const owner = nonEmpty(input.lead.owner);
  const team = nonEmpty(input.lead.team);
  const fired =
    (owner !== undefined || team !== undefined ? routePreRouted(context, owner, team, trace) : routeByRules(context, input.lead, trace)) ??
    routeToFallback(context, trace);

  if (fired === null) {
    const fallback = routing.compiledFrom.fallback;
    const teamId = context.lastTeamTried ?? ('rep' in fallback ? (routing.firstTeamOf.get(fallback.rep) ?? null) : null);
    trace.outcome = { kind: 'queued', teamId, escalateTo: escalationTarget(routing.compiledFrom, teamId) };
    return { kind: 'queued', teamId, trace };
  }
  trace.fired = fired.fired;
  const { served, rule } = fired;
  if (served.kind === 'sequence') {
    trace.outcome = { kind: 'sequence', sequenceId: served.sequenceId };
    return { kind: 'sequence', sequenceId: served.sequenceId, rule, trace };
  }
  trace.outcome = { kind: 'rep', repId: served.repId, teamId: served.teamId, via: served.via };
  return { kind: 'rep', repId: served.repId, teamId: served.teamId, rule, trace, ...(served.roundRobin ? { roundRobin: served.roundRobin } : {}) };
}
