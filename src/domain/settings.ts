/**
 * What leadrelay.yml declares, in the domain's words: reps, teams, routes, conditions, the SLA,
 * signal rules, write-back targets. src/config validates the file (zod) and maps it into these types
 * once, at load (`toSettings`); from there on routing, the offer lifecycle and the use cases read
 * only these. Pure data: no I/O, no schema library.
 */
import type { WorkingHours } from './workingHours.ts';

/** How a team hands out its leads: weighted, fair turns, or the fewest open leads relative to capacity. */
export const DISTRIBUTIONS = ['round_robin', 'least_loaded'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

/** Where a rule sends a lead: exactly one of a team, a rep or a sequence. */
export type Target = { team: string } | { rep: string } | { sequence: string };

/** A rule's destination: the account owner, or a fixed target. */
export type Route = 'account_owner' | Target;

/** The lead fields rules may test, plus `fields.<name>` for the free-form attributes. */
export const LEAD_PATHS = [
  'source', 'score', 'email', 'linkedin_url', 'name', 'title', 'phone', 'message', 'external_id', 'owner', 'team', 'crm_url',
  'company.name', 'company.domain', 'company.employees', 'company.industry', 'company.country', 'company.region',
] as const;

export type LeadPath = (typeof LEAD_PATHS)[number] | `fields.${string}`;

export function isLeadPath(path: string): path is LeadPath {
  return (LEAD_PATHS as readonly string[]).includes(path) || (path.startsWith('fields.') && path.length > 'fields.'.length);
}

export type Scalar = string | number | boolean;

/**
 * The tests on one lead field; all given must hold. The file's `not_in` is `notIn` here; a plain
 * value in the file (`source: form`) is `{ eq: value }`. `matches` is compiled case-insensitively,
 * because lead data (titles, industries) is typed by people in any case.
 */
export interface Operators {
  eq?: Scalar;
  ne?: Scalar;
  in?: Scalar[];
  notIn?: Scalar[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  exists?: boolean;
  matches?: RegExp;
  contains?: string;
}

/**
 * A rule's `when`: every listed lead path must pass its operators (AND), and when `any` is given,
 * at least one of its conditions must hold too (OR; nestable). An empty condition always holds.
 */
export type Condition = { [Path in LeadPath]?: Operators } & { any?: Condition[] };

export const SIGNAL_KINDS = [
  'reply_positive', 'reply_negative', 'reply', 'profile_view', 'email_open', 'link_click', 'meeting_booked', 'connection_accepted',
] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const SIGNAL_CHANNELS = ['linkedin', 'email', 'whatsapp', 'web'] as const;
export type SignalChannel = (typeof SIGNAL_CHANNELS)[number];

/**
 * A signal rule's `when`. `count` counts the lead's signals matching kind and channel (the arriving
 * one included), over the last `within` ms when given, otherwise over the lead's whole history.
 */
export interface SignalCondition {
  kind?: { in: SignalKind[] };
  channel?: { in: SignalChannel[] };
  count?: { gte?: number; gt?: number; eq?: number };
  within?: number;
}

/** A rep of the config. `timezone` is resolved (the config's default when the rep gives none). */
export interface Rep {
  id: string;
  name?: string;
  email?: string;
  /** Max open (claimed, not done) leads; absent = unlimited. */
  capacity?: number;
  /** Max new leads per local day. */
  dailyCap?: number;
  /** Share in round-robin. */
  weight: number;
  timezone: string;
  /** Outside these hours the rep is not offered leads. */
  hours?: WorkingHours;
}

export interface Team {
  id: string;
  manager?: string;
  members: string[];
  distribution: Distribution;
}

/** Account-based routing: a company domain and its owner. */
export interface Account {
  domain: string;
  owner: string;
}

export interface Sequence {
  id: string;
  /** Told (signed POST) about every lead sent to the sequence. */
  webhook?: string;
  /** Gets a note about every lead sent to the sequence. */
  channel?: string;
}

export interface Rule {
  name: string;
  when?: Condition;
  route: Route;
}

export interface SignalRule {
  name: string;
  when?: SignalCondition;
  route: Route;
}

/** The claim SLA. */
export interface Sla {
  /** The time (ms) a rep has to claim an offer; also the escalation re-ping interval. */
  claimWithin: number;
  /** The reminder in the card's thread, as a fraction (0–1) of `claimWithin`; absent = no reminder. */
  remindAt?: number;
  /** Offers per lead before it escalates. */
  maxOffers: number;
}

/** The ownership events a CRM can be told about (`webhooks:`). */
export const WEBHOOK_EVENTS = ['lead.claimed', 'lead.assigned', 'lead.reassigned', 'lead.escalated', 'lead.done'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** A CRM write-back target. */
export interface Webhook {
  url: string;
  events: WebhookEvent[];
  /** Signs its deliveries; absent = the shared webhook secret. */
  secret?: string;
}

/** Everything the domain and the use cases read from the config. */
export interface Settings {
  /** The default time zone of reps without one. */
  timezone: string;
  sla: Sla;
  dedupe: { window: number };
  escalation?: { channel?: string };
  managers: string[];
  reps: Rep[];
  teams: Team[];
  accounts: Account[];
  sequences: Sequence[];
  rules: Rule[];
  signals: SignalRule[];
  /** Where a lead goes when no rule matches or can be served. */
  fallback: Target;
  webhooks: Webhook[];
}
