/**
 * The data the routing core takes and gives: the runtime snapshot the app loads before a
 * decision, the decision, and its trace. Everything here is plain data; the trace in particular holds
 * no Map, Set or RegExp, so it can be stored as JSON and rendered again later (formatTrace, whyYou).
 */
import type { Distribution, Route, Target } from '../settings.ts';
import type { EnrichmentTrace } from '../enrichment.ts';
import type { EscalationTarget } from '../people.ts';

/** One rep's runtime state, read from the database before a decision. */
export interface RepRuntime {
  /**
   * Away until this instant (epoch ms); null = not away. Away with no return time set (`/away`
   * without a duration) is `Number.POSITIVE_INFINITY`.
   */
  awayUntil: number | null;
  /** A capacity set at runtime, winning over the config's `capacity`; null = the config's. */
  capacityOverride: number | null;
  /** Open leads: claimed, not done. */
  openLeads: number;
  /** Offers made to the rep since their local midnight (see localDayStart). */
  offersToday: number;
  /** When the rep was last offered a lead (epoch ms); null = never. */
  lastOfferAt: number | null;
}

/** What a rep missing from `RoutingSnapshot.reps` is taken to be. */
export const DEFAULT_REP_RUNTIME: Readonly<RepRuntime> = Object.freeze({
  awayUntil: null,
  capacityOverride: null,
  openLeads: 0,
  offersToday: 0,
  lastOfferAt: null,
});

/**
 * A team's round-robin state (see distributeLead.ts for the algorithm): the team's level and each
 * member's pass. A member without a pass starts at the level.
 */
export interface RoundRobinState {
  level: number;
  passes: ReadonlyMap<string, number>;
}

/** The runtime state a decision depends on, loaded by the app in one read before deciding. */
export interface RoutingSnapshot {
  /** By rep id; a rep missing from the map has DEFAULT_REP_RUNTIME (present, nothing open, never offered). */
  reps: ReadonlyMap<string, RepRuntime>;
  /** By team id; a team missing from the map is at level 0 with no passes. */
  roundRobin: ReadonlyMap<string, RoundRobinState>;
  /** By company domain: owners set with `/owner`; null = explicitly cleared (hides the config's owner). */
  accountOwners: ReadonlyMap<string, string | null>;
  /** Reps who already passed on or let expire THIS lead. */
  excludedReps: ReadonlySet<string>;
}

/** Why an otherwise listed rep is not offered the lead, in the order they are checked. */
export type SkipReason = 'away' | 'outside_hours' | 'at_capacity' | 'daily_cap' | 'already_offered';


/** The round-robin state change a decision asks the caller to store when it makes the offer. */
export interface RoundRobinUpdate {
  teamId: string;
  repId: string;
  /** The chosen rep's new pass in that team. */
  pass: number;
  /** The team's new level. */
  level: number;
}

export type RoutingDecision =
  | {
      kind: 'rep';
      repId: string;
      /** The team whose distribution picked the rep; null when the rep was named (owner, `{ rep }` target). */
      teamId: string | null;
      /** The rule's name, `fallback` or `pre-routed`. */
      rule: string;
      trace: RoutingTrace;
      roundRobin?: RoundRobinUpdate;
    }
  | { kind: 'sequence'; sequenceId: string; rule: string; trace: RoutingTrace }
  | {
      kind: 'queued';
      /** The team that had nobody: the last team tried (the fallback's, when it is a team), else the fallback rep's team; null = none. */
      teamId: string | null;
      trace: RoutingTrace;
    };

// ---------------------------------------------------------------------------------------------
// The trace

/** One rep considered for a lead, with what decided it. */
export interface CandidateTrace {
  repId: string;
  name?: string;
  /** Why the rep was skipped; absent when eligible. */
  skip?: SkipReason;
  /** `away`: when they are back; null = no return time set. */
  awayUntil?: number | null;
  /** `outside_hours`: their working hours and time zone. */
  hours?: string;
  timezone?: string;
  /** `at_capacity`, and every eligible member of a least_loaded team: open leads and capacity (null = unlimited). */
  open?: number;
  capacity?: number | null;
  /** `daily_cap`: offers today and the cap. */
  today?: number;
  dailyCap?: number;
  /** Eligible members of a team: their effective round-robin pass, max(pass, level). */
  pass?: number;
}

/** How a team's distribution picked among its eligible members. */
export interface ChoiceTrace {
  by: Distribution;
  /** How many members were eligible. */
  eligible: number;
  /**
   * What separated the chosen rep from the nearest other eligible one when the main criterion tied:
   * `round_robin` (least_loaded only: equal load, lower pass), `last_offer` (longest since their last
   * offer), `config_order`; null when the main criterion decided (or nobody else was eligible).
   */
  tie: 'round_robin' | 'last_offer' | 'config_order' | null;
  /** The chosen rep's effective pass, and their pass after this lead. */
  pass: number;
  nextPass: number;
  /** least_loaded: the chosen rep's open leads and the capacity they were measured against. */
  open?: number;
  capacity?: number;
  /** The eligible member who would have got the lead instead (next in pass or load order); absent when nobody else was eligible. */
  runnerUp?: string;
}

/** One attempt to serve a lead. */
export type AttemptTrace =
  | {
      kind: 'team';
      teamId: string;
      distribution: Distribution;
      /** The team's level before this decision. */
      level: number;
      /** least_loaded: the capacity that members with unlimited capacity were counted with. */
      unlimitedCapacityAs?: number;
      /**
       * In config order: every member skipped (with why), the chosen member and the runner-up; with
       * `listAll` (leadrelay route --all), every member. So a stored trace does not grow with the team.
       */
      candidates: CandidateTrace[];
      /** Eligible members not listed in `candidates`: behind the chosen one and the runner-up in pass (load) order. */
      othersEligible?: number;
      chosen: string | null;
      choice?: ChoiceTrace;
    }
  | { kind: 'rep'; candidate: CandidateTrace; chosen: boolean }
  | { kind: 'sequence'; sequenceId: string }
  | { kind: 'unknown'; what: 'team' | 'rep' | 'sequence'; id: string };

/** Who owns the lead's account (route account_owner), and where that came from. */
export interface AccountTrace {
  domain: string | null;
  owner: string | null;
  /** `runtime`: set with /owner; `config`: the accounts list; `cleared`: /owner … none; `none`: no owner known. */
  source: 'runtime' | 'config' | 'cleared' | 'none';
}

/** A rule as evaluated. Rules after the one that fired are not listed. */
export interface RuleTrace {
  /** 0-based position in `rules`. */
  index: number;
  name: string;
  route: Route;
  matched: boolean;
  /** Not matched: the first failing clause in words. Matched: the condition in words (`always` without `when`). */
  detail: string;
  /** Matched rules only: whether the route could be served, and if not, why. */
  served?: boolean;
  notServed?: string;
  account?: AccountTrace;
  attempts?: AttemptTrace[];
}

/** The lead named its owner and/or team: rules were skipped. */
export interface PreRoutedTrace {
  owner?: string;
  team?: string;
  served: boolean;
  notServed?: string;
  attempts: AttemptTrace[];
}

export interface FallbackTrace {
  route: Target;
  served: boolean;
  notServed?: string;
  attempts: AttemptTrace[];
}

export type FiredTrace =
  | { by: 'rule'; index: number; name: string; /** The rule's condition in words. */ summary: string }
  | { by: 'fallback' }
  | { by: 'pre-routed' };

export type OutcomeTrace =
  | {
      kind: 'rep';
      repId: string;
      teamId: string | null;
      /** `owner`: pre-routed to them; `account_owner`: they own the account; `rep`: a `{ rep }` target; `team`: a team's distribution. */
      via: 'owner' | 'account_owner' | 'rep' | 'team';
    }
  | { kind: 'sequence'; sequenceId: string }
  | {
      kind: 'queued';
      /** See RoutingDecision. */
      teamId: string | null;
      /** Where the escalation about the queued lead goes; absent in traces stored before it was recorded. */
      escalateTo?: EscalationTarget | null;
    };

/** Everything a routing decision considered, as plain JSON-serializable data. */
export interface RoutingTrace {
  /** The decision's time (epoch ms). */
  at: number;
  /** The company domain used for account routing. */
  domain: string | null;
  /** What enrichment filled in before routing, and from where; absent when the lead was not enriched. */
  enrichment?: EnrichmentTrace;
  preRouted?: PreRoutedTrace;
  /** Rules in the order tried, up to the one that fired. Empty for pre-routed leads. */
  rules: RuleTrace[];
  fallback?: FallbackTrace;
  /** What fired; null when the lead was queued. */
  fired: FiredTrace | null;
  outcome: OutcomeTrace;
}
