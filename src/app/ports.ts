/**
 * The ports the use cases own: what they need from a store, in the domain's words, and nothing of
 * how a store keeps it. Two stores implement them: SQLite (src/adapters/sqlite, in process, one
 * writer) and PostgreSQL (networked, several instances). So every method that touches the store
 * returns a Promise, even where SQLite answers at once.
 *
 * The one way to change state is `UnitOfWork.run`: it hands a use case a `Tx` for ONE transaction,
 * and the use case writes the state change, its history and the effects it causes (outbox rows)
 * through it. Compare-and-set methods answer `false` when the row changed since it was read; the use
 * case then throws `LostRace` (src/app/errors.ts) and the work's writes are rolled back.
 *
 * Rules for a work given to `run`, `read` or `soon`:
 * - Await every call on the tx, one after the other; never run two calls (or two savepoints) at once.
 * - Await nothing but the tx inside it: no network, no timers. A transaction stays open while its work
 *   runs, and on SQLite every other writer waits for it.
 * - Never call `run` inside a work: a step of another use case takes the caller's tx.
 * - What must happen only once the change is durable (telling the outbox worker, logging, metrics)
 *   goes in `tx.afterCommit`.
 */
import type { Effect, Lane } from '../domain/effects.ts';
import type { EnrichmentTrace } from '../domain/enrichment.ts';
import type { Lead, LeadKeys, LeadState } from '../domain/lead.ts';
import type { OfferState, PendingOffer } from '../domain/offers/offerMachine.ts';
import type { RepRuntime, RoundRobinState, RoundRobinUpdate, RoutingSnapshot } from '../domain/routing/index.ts';
import type { Settings } from '../domain/settings.ts';
import type { SignalFact } from '../domain/signals/matchSignalRule.ts';
import type { ReadModels } from './readModels.ts';

// ---------------------------------------------------------------------------------------------
// Leads

export interface NewLead {
  lead: Lead;
  externalId: string | null;
  emailKey: string | null;
  linkedinKey: string | null;
  domain: string | null;
  receivedAt: number;
}

/** A lead found by one of its keys. */
export interface LeadMatch {
  id: number;
  state: LeadState;
  ownerId: string | null;
}

/** Where a lead is, without its payload: what a command on it decides on. */
export interface LeadStatus {
  id: number;
  state: LeadState;
  /** Fencing token: bumped by every state change; a change is made only against the version it read. */
  version: number;
  ownerId: string | null;
  receivedAt: number;
}

export interface StoredLead extends LeadStatus {
  teamId: string | null;
  sequenceId: string | null;
  /** The rule that fired: a rule name, `fallback` or `pre-routed`. */
  routedBy: string | null;
  domain: string | null;
  /** The lead as routed: as received, plus what enrichment filled in. */
  lead: Lead;
  /** What enrichment filled and from where; null when the lead was not enriched. */
  enrichment: EnrichmentTrace | null;
  updatedAt: number;
  firstOfferedAt: number | null;
  /** When the current owner got the lead (reset by a reassignment). */
  claimedAt: number | null;
  /** When the lead first got an owner: kept through reassignments. */
  firstOwnedAt: number | null;
  doneAt: number | null;
}

/** The states of a lead that has no owner yet and is not handed to a sequence. */
export type WaitingState = 'received' | 'offered' | 'queued' | 'escalated';

/** A routing decision's change of a lead, compare-and-set on `version`. */
export interface RoutingTransition {
  id: number;
  version: number;
  state: 'offered' | 'queued' | 'in_sequence';
  teamId: string | null;
  sequenceId: string | null;
  routedBy: string | null;
  /** The decision's trace (stored as JSON). */
  trace: unknown;
  now: number;
}

/** A history record of a lead, as a batch appends it. */
export interface HistoryRecordOf {
  leadId: number;
  at: number;
  actor: string;
  event: string;
  detail: Record<string, unknown> | null;
}

export interface HistoryEntry {
  at: number;
  actor: string;
  event: string;
  detail: Record<string, unknown> | null;
}

export interface EscalationInfo {
  reason: 'max_offers' | 'queued' | null;
  escalatedAt: number | null;
  pings: number;
  /** Where the escalation message is, once posted. */
  channel: string | null;
  ts: string | null;
}

/** Leads, their history and the keys they are found by. */
export interface LeadRepository {
  /** Stores a new lead as `received`; its id (the n of `L-n`, never reused). */
  insert(row: NewLead): Promise<number>;
  get(id: number): Promise<StoredLead | null>;
  getState(id: number): Promise<LeadStatus | null>;
  /** Moves the lead to `state` with `ownerId` (claimed_at, first_owned_at, done_at follow); false when its version moved on. */
  setState(change: { id: number; version: number; state: LeadState; ownerId: string | null; now: number }): Promise<boolean>;
  /** A routing decision's change (first_offered_at follows); false when the lead's version moved on. */
  applyRouting(change: RoutingTransition): Promise<boolean>;
  /**
   * Stores a `received` lead as enrichment left it and what enrichment did, on the version it was
   * read at (not a state change: the version stays); false when it changed.
   */
  recordEnrichment(change: { id: number; version: number; lead: Lead; domain: string | null; trace: EnrichmentTrace }): Promise<boolean>;
  /** The lead waits for a manager after max_offers misses, pinged again at `nextPingAt`; false when its version moved on. */
  escalate(change: { id: number; version: number; reason: 'max_offers'; now: number; nextPingAt: number }): Promise<boolean>;
  /** A queued lead is escalated too while it stays queued. */
  markQueuedEscalated(id: number, now: number, nextPingAt: number): Promise<void>;
  /** Stops re-pinging: the lead has an owner or an offer again. */
  endEscalation(id: number): Promise<void>;
  escalation(id: number): Promise<EscalationInfo | null>;
  setEscalationMessage(id: number, channel: string, ts: string): Promise<void>;
  /** Escalated or queued leads whose re-ping is due, soonest first. */
  escalationsDue(now: number, limit: number): Promise<number[]>;
  recordReping(id: number, nextPingAt: number): Promise<void>;
  /** Appends to the lead's history; `detail` holds no PII beyond what the history needs. */
  appendHistory(leadId: number, at: number, actor: string, event: string, detail?: Record<string, unknown>): Promise<void>;
  /** Appends many records in one statement, in the order given (so each lead's records keep their order). */
  appendHistoryMany(records: readonly HistoryRecordOf[]): Promise<void>;
  /** Many leads at once (a batch of expiries), each as `get` reads it, in the order of `ids`; unknown ids are left out. */
  getMany(ids: readonly number[]): Promise<StoredLead[]>;
  /** The escalation reason of those of `ids` that have one (an escalation message that follows the lead). */
  escalationReasonsOf(ids: readonly number[]): Promise<Map<number, 'max_offers' | 'queued'>>;
  /** Many routing decisions' changes in one statement, each compare-and-set on its version; the ids changed. */
  applyRoutingMany(changes: readonly RoutingTransition[]): Promise<Set<number>>;
  history(leadId: number): Promise<HistoryEntry[]>;
  /** The routing trace the last decision stored; null when none. */
  trace(leadId: number): Promise<unknown>;
  findByExternalId(externalId: string): Promise<LeadMatch | null>;
  /** The newest lead that is not done, received since `since`, with the same e-mail (first) or LinkedIn key. */
  findOpenByKeys(keys: LeadKeys, since: number): Promise<(LeadMatch & { via: 'email' | 'linkedin_url' }) | null>;
  /** The newest lead (open or not) with this normalized e-mail or LinkedIn key: what a signal is about. */
  findLatestByKey(key: { emailKey: string } | { linkedinKey: string }): Promise<number | null>;
  /**
   * Holds the keys of an arriving lead until the transaction ends, so that no other writer inserts
   * the same lead between this transaction's duplicate check and its insert. SQLite: nothing to do
   * (the write lock is held from the transaction's start); PostgreSQL: advisory transaction locks.
   */
  lockDedupeKeys(keys: LeadKeys & { externalId: string | null }): Promise<void>;
  /** Ids of leads in a state, oldest first; after `afterId` (to page through them). */
  idsInState(state: LeadState, limit: number, afterId?: number): Promise<number[]>;
  countInState(state: LeadState): Promise<number>;
  /** Leads without an owner yet, by state. */
  countWaiting(): Promise<Record<WaitingState, number>>;
}

/** Idempotency-Key values of accepted requests: a replay answers as the first time did. */
export interface IdempotencyRepository {
  find(key: string, scope: 'leads' | 'signals'): Promise<{ leadId: number; requestHash: string } | null>;
  record(key: string, scope: 'leads' | 'signals', requestHash: string, leadId: number, at: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Offers

export interface NewOffer {
  leadId: number;
  repId: string;
  offeredAt: number;
  deadlineAt: number;
  remindAt: number | null;
  why: string;
}

export interface StoredOffer {
  id: number;
  leadId: number;
  repId: string;
  /** 1 for the lead's first offer, 2 for the next, … */
  attempt: number;
  state: OfferState;
  /** Fencing token of the offer. */
  version: number;
  offeredAt: number;
  deadlineAt: number;
  remindAt: number | null;
  remindedAt: number | null;
  resolvedAt: number | null;
  reason: string | null;
  /** The one-line "Why you". */
  why: string | null;
  /** Where the card is, once posted. */
  channelId: string | null;
  messageTs: string | null;
  /** The reminder's ts in the card's thread, once posted. */
  reminderTs: string | null;
}

/** A pending offer whose deadline or reminder time has come. */
export interface DueOffer {
  id: number;
  leadId: number;
  version: number;
}

/** An offer a set-based change moved on, as it was while pending. */
export interface ResolvedOffer extends PendingOffer {
  leadId: number;
}

export interface OfferRepository {
  /** Records an offer as the lead's next attempt. */
  create(offer: NewOffer): Promise<{ id: number; attempt: number }>;
  /** Records many offers (one per lead at most) in one statement; each one's id and attempt, in the order given. */
  createMany(offers: readonly NewOffer[]): Promise<{ id: number; attempt: number }[]>;
  /** How many offers each of the leads had (leads with none are left out). */
  countsOfLeads(leadIds: readonly number[]): Promise<Map<number, number>>;
  get(id: number): Promise<StoredOffer | null>;
  /** Every offer of the lead, first attempt first. */
  ofLead(leadId: number): Promise<StoredOffer[]>;
  /** The lead's pending offer (there is at most one). */
  pendingOfLead(leadId: number): Promise<PendingOffer | null>;
  /** The rep's pending offers, oldest first. */
  pendingOfRep(repId: string): Promise<DueOffer[]>;
  countOfLead(leadId: number): Promise<number>;
  /** The card of whoever holds the lead: its pending offer, else its last claimed one; null when none. */
  currentCardOf(leadId: number): Promise<number | null>;
  /** Moves the pending offer at `version` to `state`; false when it changed meanwhile. */
  resolve(change: { id: number; version: number; state: Exclude<OfferState, 'pending'>; reason: string | null; now: number }): Promise<boolean>;
  /**
   * Moves every one of `offers` that is still pending at its version to `state`, in one set-based
   * statement (compare-and-set on each: one claimed or passed meanwhile is left alone); the offers
   * moved, in the order given, as they were while pending (`version` the one they had).
   */
  resolveMany(change: { offers: readonly { id: number; version: number }[]; state: Exclude<OfferState, 'pending'>; reason: string | null; now: number }): Promise<ResolvedOffer[]>;
  /** The reminder went: false when it already had (or the offer ended). */
  markReminded(id: number, now: number): Promise<boolean>;
  /**
   * Pending offers past their deadline, soonest first, taken for the transaction that expires them:
   * on PostgreSQL they are locked (`FOR UPDATE SKIP LOCKED`), so two instances never take the same.
   */
  takeDueDeadlines(now: number, limit: number): Promise<DueOffer[]>;
  /** Likewise, pending offers past their reminder time that have not been reminded. */
  takeDueReminders(now: number, limit: number): Promise<DueOffer[]>;
  /** The next pending offer's deadline; null when none. */
  nextDeadlineAt(): Promise<number | null>;
  /** Where the offer's card is, once posted. */
  setMessage(id: number, channelId: string, ts: string): Promise<void>;
  /** Where the card is, learned from a click on it (which proves it is in Slack); a recorded card is kept. */
  learnMessage(id: number, channelId: string, ts: string): Promise<void>;
  setReminderMessage(id: number, ts: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Routing state, availability, account owners, signals

/** The runtime state a routing decision reads ("fetch everything the decision needs, then decide"), and what an offer changes in it. */
export interface RoutingRepository {
  /**
   * Serializes routing decisions across writers until the transaction ends (round-robin state is
   * read, decided on and written back). SQLite: nothing to do; PostgreSQL: an advisory transaction lock.
   */
  lockForDecision(): Promise<void>;
  /** Some reps' runtime state as of `now`, each read by key; reps not in `settings` are left out. */
  loadReps(settings: Settings, repIds: Iterable<string>, now: number): Promise<Map<string, RepRuntime>>;
  /** Some teams' round-robin state (level 0, no passes when none is stored). */
  loadRoundRobin(teamIds: Iterable<string>): Promise<Map<string, RoundRobinState>>;
  /** The part of a snapshot particular to one lead (null: none): its account's runtime owner, the reps who already missed it. */
  loadLeadState(lead: { id: number | null; domain: string | null }): Promise<Pick<RoutingSnapshot, 'accountOwners' | 'excludedReps'>>;
  /** loadLeadState for many leads at once (the same answer for each), by lead id. */
  loadLeadStates(leads: readonly { id: number; domain: string | null }[]): Promise<Map<number, Pick<RoutingSnapshot, 'accountOwners' | 'excludedReps'>>>;
  /** Every rep's runtime state and every team's round-robin state. */
  loadTeamState(settings: Settings, now: number): Promise<Pick<RoutingSnapshot, 'reps' | 'roundRobin'>>;
  saveRoundRobin(update: RoundRobinUpdate): Promise<void>;
  recordOfferMade(repId: string, now: number): Promise<void>;
  /** What a batch of offers made changes, in the order made: saveRoundRobin and recordOfferMade for each, the last per team, rep and team member winning. */
  recordOffersMade(offers: readonly { repId: string; now: number; roundRobin?: RoundRobinUpdate | undefined }[]): Promise<void>;
}

/** A rep away: until an instant, or (`until: null`) until they turn it off. */
export interface Away {
  until: number | null;
}

/** `/away`: runtime availability, winning over the config. */
export interface AvailabilityRepository {
  /** Whether the rep is away at `now`, and until when; null when not. */
  awayOf(repId: string, now: number): Promise<Away | null>;
  setAway(repId: string, until: number | null, now: number, by: string): Promise<void>;
  /** Back in rotation; false when the rep was not away. */
  setBack(repId: string, now: number, by: string): Promise<boolean>;
  /** Reps whose away time (with a return time) has passed. */
  returnsDue(now: number): Promise<string[]>;
}

/** An account owner set with `/owner`; `ownerId` null: cleared (the config's owner no longer applies). */
export interface RuntimeAccountOwner {
  ownerId: string | null;
  setBy: string;
  setAt: number;
}

export interface AccountOwnerRepository {
  get(domain: string): Promise<RuntimeAccountOwner | null>;
  set(domain: string, ownerId: string | null, by: string, at: number): Promise<void>;
}

export interface SignalRepository {
  /** The lead a signal with this sender id was recorded on, if any. */
  leadOfKey(signalKey: string): Promise<number | null>;
  insert(leadId: number, signal: SignalFact, signalKey: string | null, receivedAt: number): Promise<void>;
  /** The lead's signals, oldest first. */
  ofLead(leadId: number): Promise<SignalFact[]>;
  /** The lead's newest signals first, at most `limit`. */
  recentOfLead(leadId: number, limit: number): Promise<SignalFact[]>;
  hasPositiveReply(leadId: number): Promise<boolean>;
}

/** Slack deliveries already processed (event ids), so Slack's retries act once. */
export interface SlackDeliveryLog {
  /** Records `key`; false when it was recorded before. */
  remember(key: string, at: number): Promise<boolean>;
  forgetBefore(at: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The outbox

/** Delivery order: what a person is waiting for (the answer to their click) goes before background changes. */
export const PRIORITY = { waiting: 0, background: 1 } as const;
export type Priority = (typeof PRIORITY)[keyof typeof PRIORITY];

/** An outbox row handed to the worker. */
export interface OutboxRow {
  id: number;
  leadId: number | null;
  effect: Effect;
  lane: Lane;
  attempts: number;
  createdAt: number;
  /** The leadrelay message the row posts or updates (`offer:12`), if any (messageKeyOf). */
  messageKey: string | null;
  /** Changes this (coalesced) update carries: it is done only if none arrived during its delivery. */
  changes: number;
  priority: Priority;
}

/** A click's response_url, as kept for the message it came from. */
export interface StoredResponseUrl {
  url: string;
  receivedAt: number;
  uses: number;
}

/** Slack lets a response_url be used this many times… */
export const RESPONSE_URL_USES = 5;
/** …within this long of the click. */
export const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;

/** The outbox inside a transaction: effects written with the change that causes them, and deliveries recorded. */
export interface Outbox {
  /**
   * Writes an effect; its row id. An update of a message that already has one pending joins it
   * instead (the id is then that row's): only the latest state is ever sent. `priority: waiting`
   * when a person is waiting for it.
   */
  enqueue(leadId: number | null, effect: Effect, now: number, priority?: Priority): Promise<number>;
  /** `enqueue` for many effects at once, in the order given (an update joins a pending one as with enqueue). */
  enqueueMany(rows: readonly { leadId: number | null; effect: Effect; priority?: Priority }[], now: number): Promise<void>;
  /** Whether a row of this effect (its type and message) is pending. */
  hasPending(effect: Effect): Promise<boolean>;
  /** Whether any row of these leads is pending (one that waited behind a delivery just recorded may be due now). */
  hasPendingOfLeads(leadIds: readonly number[]): Promise<boolean>;
  /** A person now waits for this message's pending update (they clicked it): it goes first, now. */
  prioritize(messageKey: string, now: number): Promise<void>;
  /** Keeps a click's response_url for the message it came from (the latest click's wins); `uses`: posts already promised on it. */
  rememberResponseUrl(messageKey: string, url: string, receivedAt: number, uses?: number): Promise<void>;
  /** The message's response_url while Slack still takes a post on it (fewer than 5 uses, not 29 minutes old); else null. */
  usableResponseUrl(messageKey: string, now: number): Promise<StoredResponseUrl | null>;
  /** Counts a post made with the message's response_url. */
  usedResponseUrl(messageKey: string, url: string): Promise<void>;
  /** Slack refused the URL (used up, expired): it is not tried again. */
  spentResponseUrl(messageKey: string, url: string): Promise<void>;
  /** Drops the response URLs Slack no longer takes; how many. */
  forgetExpiredResponseUrls(now: number): Promise<number>;
  /**
   * Records a delivery. An update that a newer change joined while it was delivered stays pending
   * (and due): it goes again with the newer state. Whether the row is done.
   */
  markDone(row: Pick<OutboxRow, 'id' | 'changes'>, result: unknown, now: number): Promise<boolean>;
  markRetry(id: number, error: string, nextAttemptAt: number): Promise<void>;
  /** Postpones a row without counting an attempt (pacing). */
  defer(id: number, nextAttemptAt: number): Promise<void>;
  markFailed(id: number, error: string, now: number): Promise<void>;
}

/** A webhook receiver whose deliveries fail and wait for a retry (for /healthz). */
export interface FailingWebhook {
  url: string;
  pending: number;
  since: number;
  lastError: string | null;
}

/** The outbox as the worker and the health checks see it: each call is its own consistent operation, outside use cases' transactions. */
export interface OutboxQueue {
  /**
   * Pending rows whose time has come, at most the oldest of each lead's lane (messageKeyOf / laneOf),
   * what people wait for first; with `maxPriority: waiting` only those. Claimed for `leaseMs` by
   * `instance` where several instances deliver (PostgreSQL); SQLite has one writer and ignores it.
   */
  claimDue(request: { now: number; limit: number; maxPriority?: Priority; instance: string; leaseMs: number }): Promise<OutboxRow[]>;
  /**
   * When the next pending row is due; null when nothing is pending. With `after`, the first time
   * later than it: the worker passes the time of its last claim, which took every row due by then
   * that could go (the rest are in flight, or wait behind an earlier row of their lane, and a
   * recorded delivery, not the clock, lets them go), so that it never spins on rows it cannot take.
   */
  nextDueAt(after?: number): Promise<number | null>;
  /** Ids of the rows pending now: at start-up, these may have been in flight when the process died. */
  pendingIds(): Promise<number[]>;
  backlog(now: number): Promise<{ pending: number; oldestAgeSeconds: number | null }>;
  failingWebhooks(): Promise<FailingWebhook[]>;
}

// ---------------------------------------------------------------------------------------------
// The unit of work

/** One transaction's repositories. */
export interface Tx {
  leads: LeadRepository;
  idempotency: IdempotencyRepository;
  offers: OfferRepository;
  routing: RoutingRepository;
  availability: AvailabilityRepository;
  accounts: AccountOwnerRepository;
  signals: SignalRepository;
  slackDeliveries: SlackDeliveryLog;
  outbox: Outbox;
  /** Runs `hook` once the transaction has committed (durable), in the order registered; never after a rollback. */
  afterCommit(hook: () => void): void;
  /**
   * Runs part of the work so that, if it throws, only its writes (and its after-commit hooks) are
   * rolled back; the error is rethrown and the rest of the work goes on. What a batch of commands
   * gives each command.
   */
  savepoint<T>(part: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Memory kept for the transaction (shared by the works SQLite commits together), under `key`;
   * `create` makes it on first use. Forgotten when any part of the transaction rolls back.
   */
  scratch<T>(key: symbol, create: () => T): T;
}

/** What a read-only work may use. */
export type ReadTx = Omit<Tx, 'afterCommit' | 'savepoint' | 'scratch'>;

export interface UnitOfWork {
  /**
   * Runs `work` in ONE transaction; resolves with its result once committed (durable), after the
   * tx.afterCommit hooks ran in order. A work that throws is rolled back (its hooks never run) and
   * the promise rejects with its error.
   */
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Read-only work outside a write transaction: a consistent read of committed state. */
  read<T>(work: (tx: ReadTx) => Promise<T>): Promise<T>;
  /**
   * Writes that need not be durable at once (a delivered outbox row): they may ride along with the
   * next commit; resolves once they are committed. Until then they are not visible to other readers.
   */
  soon<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Commits what `soon` holds, now (at shutdown, or when a caller must see it recorded). */
  flush(): Promise<void>;
}

/** Everything a store provides. */
export interface Store {
  uow: UnitOfWork;
  outboxQueue: OutboxQueue;
  readModels: ReadModels;
}
