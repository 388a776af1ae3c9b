/**
 * The offer lifecycle: claim, pass, expire, remind, withdraw, escalate, take, assign, reassign,
 * done. One command inside the caller's transaction (`attemptCommand`): the lead's facts are loaded,
 * the pure state machine decides (src/domain/offers/offerMachine.ts), and the outcome is stored —
 * offer and lead by compare-and-set, history, write-back, outbox rows, and the next routing step
 * (the next rep, or a manager). A lost compare-and-set rolls the command's savepoint back and
 * answers stale, saying where the lead is now. `createOfferLifecycle` gives each occasion (a click,
 * a command, a batch of deadlines or reminders) its transaction.
 */
import type { Clock } from '../domain/clock.ts';
import { effectLabel, messageKeyOf, type Effect } from '../domain/effects.ts';
import { leadRef } from '../domain/lead.ts';
import { nextEscalationPingAt } from '../domain/offers/deadlines.ts';
import { decideOffer, type HistoryRecord, type LeadFacts, type OfferCommand, type OfferEffect, type OfferRejection, type OfferTransition } from '../domain/offers/offerMachine.ts';
import { whereaboutsOf, type LeadWhereabouts } from '../domain/offers/whereabouts.ts';
import type { Settings, WebhookEvent } from '../domain/settings.ts';
import { LostRace } from './errors.ts';
import { enqueueEscalationMessage } from './escalationMessage.ts';
import type { AppEventOf, EventBus } from './events.ts';
import type { LeadEvent, LeadEventName } from './leadEvents.ts';
import type { Logger } from './logger.ts';
import { PRIORITY, type DueOffer, type HistoryRecordOf, type ResolvedOffer, type StoredLead, type Tx, type UnitOfWork } from './ports.ts';
import { routingInputsChanged, type RouteOutcome } from './route.ts';
import type { LeadRouter } from './routeLead.ts';
import { enqueueWriteBack } from './writeBack.ts';

/** What a command runs on. */
export interface CommandContext {
  clock: Clock;
  settings: () => Settings;
  /** Each change is told after commit (`leadChanged`, `effectsQueued`). */
  events: EventBus;
  router: Pick<LeadRouter, 'route' | 'routeMany'>;
}

/**
 * Where a click came from, as Slack says: its response_url (absent for a click in the App Home), and
 * the message clicked when that is the card or escalation itself (not a copy of its buttons in an
 * ephemeral `/leads` reply). The clicked message is replaced through the response_url.
 */
export interface ClickOrigin {
  responseUrl: string | null;
  message: { channel: string; ts: string } | null;
}

export type CommandResult =
  | { ok: true; leadId: number; ref: string; then?: RouteOutcome | { kind: 'escalated' }; freesCapacity?: boolean; events: LeadEvent[] }
  | (OfferRejection & { leadId: number | null; ref: string | null; whereabouts: LeadWhereabouts | null });

/** The CRM events (`webhooks:`) a successful command causes. */
const WRITE_BACK_EVENTS: Partial<Record<OfferCommand['type'], WebhookEvent>> = {
  claim: 'lead.claimed',
  take: 'lead.claimed',
  assign: 'lead.assigned',
  reassign: 'lead.reassigned',
  done: 'lead.done',
};

/** The event each successful command is logged and counted as. */
const COMMAND_EVENTS: Record<OfferCommand['type'], LeadEventName> = {
  claim: 'lead.claimed',
  take: 'lead.claimed',
  assign: 'lead.assigned',
  pass: 'lead.passed',
  expire: 'lead.expired',
  remind: 'lead.reminded',
  withdraw: 'lead.withdrawn',
  done: 'lead.done',
  reassign: 'lead.reassigned',
};

/** The previous holder a reassignment's history record names. */
const holderOf = (history: readonly HistoryRecord[]): string | null => {
  const from = history[0]?.detail?.from;
  return typeof from === 'string' ? from : null;
};

/** The message a click acts on: the offer's card, or the lead's escalation message. */
function clickedMessage(leadId: number, command: OfferCommand): string | null {
  switch (command.type) {
    case 'claim':
    case 'pass':
      return messageKeyOf({ type: 'update_offer_card', offerId: command.offerId });
    case 'take':
    case 'assign':
      return messageKeyOf({ type: 'update_escalation', leadId });
    default:
      return null;
  }
}

const stale = (leadId: number | null, whereabouts: LeadWhereabouts | null = null): CommandResult => ({ ok: false, reason: 'stale', leadId, ref: leadId === null ? null : leadRef(leadId), whereabouts });

/**
 * What the state machine needs, and when the lead arrived (for the events' timings). `resolved`: the
 * lead's offer a set-based change (a batch of expiries) already moved on, as it was while pending.
 */
async function factsOf(tx: Tx, leadId: number, resolved?: ResolvedOffer): Promise<{ facts: LeadFacts; receivedAt: number } | null> {
  const stored = await tx.leads.getState(leadId);
  if (!stored) return null;
  const pendingOffer = resolved ? { id: resolved.id, repId: resolved.repId, version: resolved.version, deadlineAt: resolved.deadlineAt, remindAt: resolved.remindAt, remindedAt: resolved.remindedAt } : await tx.offers.pendingOfLead(leadId);
  const facts = { id: stored.id, state: stored.state, version: stored.version, ownerId: stored.ownerId, offersMade: await tx.offers.countOfLead(leadId), pendingOffer };
  return { facts, receivedAt: stored.receivedAt };
}

/** Where the lead is now, for the ephemeral answer to a stale click. */
async function whereaboutsIn(tx: Pick<Tx, 'leads' | 'offers'>, leadId: number | null): Promise<LeadWhereabouts | null> {
  const stored = leadId === null ? null : await tx.leads.get(leadId);
  return stored ? whereaboutsOf(stored, (await tx.offers.pendingOfLead(stored.id))?.repId ?? null) : null;
}

/** After max_offers misses: the lead waits for a manager, who is pinged now and every claim_within. */
async function escalate(ctx: CommandContext, tx: Tx, leadId: number, now: number): Promise<LeadEvent> {
  const stored = await tx.leads.getState(leadId);
  if (!stored) throw new LostRace();
  const settings = ctx.settings();
  if (!(await tx.leads.escalate({ id: leadId, version: stored.version, reason: 'max_offers', now, nextPingAt: nextEscalationPingAt(settings.sla, now) }))) throw new LostRace();
  const offersMade = await tx.offers.countOfLead(leadId);
  await tx.leads.appendHistory(leadId, now, 'system', 'escalated', { reason: 'max_offers', offers: offersMade });
  await enqueueWriteBack(tx, settings, leadId, 'lead.escalated', now, { reason: 'max_offers' });
  await enqueueEscalationMessage(tx, leadId, now);
  return { event: 'lead.escalated', leadId, at: now, receivedAt: stored.receivedAt, by: 'system', reason: 'max_offers', attempt: offersMade };
}

/**
 * The offer and the lead by compare-and-set, and the history: what the state machine decided. An
 * offer already moved on by a set-based change (`resolved`) must be the one the decision moves.
 */
async function storeTransition(tx: Tx, facts: LeadFacts, outcome: OfferTransition, now: number, resolved: ResolvedOffer | undefined): Promise<void> {
  const pending = facts.pendingOffer;
  if (resolved) {
    if (outcome.offer?.id !== resolved.id) throw new Error(`offer ${resolved.id} was resolved with its batch, but the decision moves ${outcome.offer?.id ?? 'no offer'}`);
  } else if (outcome.offer) {
    const state = outcome.offer.state;
    if (state === 'pending' || !pending || !(await tx.offers.resolve({ id: outcome.offer.id, version: pending.version, state, reason: outcome.offer.reason ?? null, now }))) throw new LostRace();
  }
  if (outcome.reminded && pending && !(await tx.offers.markReminded(pending.id, now))) throw new LostRace();
  if (outcome.lead.state !== facts.state || outcome.lead.ownerId !== facts.ownerId) {
    if (!(await tx.leads.setState({ id: facts.id, version: facts.version, state: outcome.lead.state, ownerId: outcome.lead.ownerId, now }))) throw new LostRace();
    // Who holds what changed (open leads, capacity): decisions later in this transaction read it again.
    routingInputsChanged(tx);
  }
  if (outcome.lead.state === 'claimed') await tx.leads.endEscalation(facts.id);
  for (const record of outcome.history) await tx.leads.appendHistory(facts.id, now, record.actor, record.event, record.detail);
}

/**
 * The effects as outbox rows; the update of the message a person clicked goes first. The next rep's
 * card (or the escalation) was enqueued before the old card's update: chat.update is paced far
 * slower than new posts (Tier 3), and a lead must never wait on a dead card. No message keeps
 * words that are no longer true: a reminder of an offer that ended says so, and a lead's
 * escalation message follows the lead (now offered to Bob, taken by Carol, …).
 */
async function enqueueEffects(tx: Tx, facts: LeadFacts, command: OfferCommand, outcome: OfferTransition, hadEscalation: boolean, waitingFor: string | null, now: number): Promise<void> {
  const leadId = facts.id;
  for (const effect of outcome.effects) {
    await tx.outbox.enqueue(leadId, effect, now, waitingFor !== null && messageKeyOf(effect) === waitingFor ? PRIORITY.waiting : PRIORITY.background);
  }
  // A claimed lead handed to someone else: the card that says "claimed by you" says it moved on.
  if (command.type === 'reassign' && facts.state === 'claimed') {
    const claimedCard = await tx.offers.currentCardOf(leadId);
    if (claimedCard !== null) await tx.outbox.enqueue(leadId, { type: 'update_offer_card', offerId: claimedCard }, now);
  }
  const ended = outcome.offer && outcome.offer.state !== 'pending' ? facts.pendingOffer : null;
  if (ended && ended.remindedAt !== null) await tx.outbox.enqueue(leadId, { type: 'update_reminder', offerId: ended.id }, now);
  if (hadEscalation && !outcome.effects.some((e: OfferEffect) => e.type === 'update_escalation')) await tx.outbox.enqueue(leadId, { type: 'update_escalation', leadId }, now);
}

/** The event a successful command is told as. */
function eventOf(facts: LeadFacts, command: OfferCommand, outcome: OfferTransition, receivedAt: number, now: number): LeadEvent {
  const rep = outcome.lead.ownerId ?? facts.pendingOffer?.repId;
  const offerOutcome = outcome.offer && outcome.offer.state !== 'pending' ? outcome.offer.state : undefined;
  return {
    event: COMMAND_EVENTS[command.type],
    leadId: facts.id,
    at: now,
    receivedAt,
    by: 'by' in command ? command.by : 'system',
    ...(rep ? { rep } : {}),
    // The state machine's history record names who held the lead before a reassignment.
    ...(command.type === 'reassign' ? { from: holderOf(outcome.history) } : {}),
    ...(command.type === 'withdraw' ? { reason: command.reason } : {}),
    ...(offerOutcome ? { offerOutcome } : {}),
    ...(facts.state !== 'claimed' && outcome.lead.state === 'claimed' ? { firstOwner: true } : {}),
  };
}

/** One command inside the caller's transaction: decided, stored, and its next step (the next rep, or a manager). */
async function decideAndStore(ctx: CommandContext, tx: Tx, leadId: number, command: OfferCommand, click: ClickOrigin | undefined, resolved?: ResolvedOffer): Promise<CommandResult> {
  const now = ctx.clock.now();
  const settings = ctx.settings();
  const loaded = await factsOf(tx, leadId, resolved);
  if (!loaded) return stale(null);
  const { facts } = loaded;
  const outcome = decideOffer(facts, command, settings.sla.maxOffers);
  if (!outcome.ok) return { ...outcome, leadId, ref: leadRef(leadId), whereabouts: await whereaboutsIn(tx, leadId) };
  // The lead had an escalation message before this change: it follows the lead (a reminder or "done" changes nothing it says).
  const hadEscalation = command.type !== 'remind' && command.type !== 'done' && (await tx.leads.escalation(leadId))?.reason != null;
  await storeTransition(tx, facts, outcome, now, resolved);
  const writeBackEvent = WRITE_BACK_EVENTS[command.type];
  if (writeBackEvent) await enqueueWriteBack(tx, settings, leadId, writeBackEvent, now, { by: 'by' in command ? command.by : 'system' });
  const told = [eventOf(facts, command, outcome, loaded.receivedAt, now)];
  // Told before what the next step tells (the next rep's offer): in the order things happened.
  tx.afterCommit(() => {
    for (const event of told) ctx.events.publish({ type: 'leadChanged', event });
  });
  let then: RouteOutcome | { kind: 'escalated' } | undefined;
  if (outcome.then === 'route_next') then = await ctx.router.route(tx, leadId);
  else if (outcome.then === 'escalate') {
    told.push(await escalate(ctx, tx, leadId, now));
    then = { kind: 'escalated' };
  }
  await enqueueEffects(tx, facts, command, outcome, hadEscalation, click ? clickedMessage(leadId, command) : null, now);
  return { ok: true, leadId, ref: leadRef(leadId), events: told, ...(then ? { then } : {}), ...(outcome.freesCapacity ? { freesCapacity: true } : {}) };
}

/**
 * The click's response_url answers it: a change it made replaces the clicked message through it;
 * a click on a stale card (its update still waiting for chat.update's pace) makes that update go
 * now, through the URL, and the clicker is told ephemerally where the lead is (one post on it).
 */
async function rememberClick(ctx: CommandContext, tx: Tx, leadId: number, command: OfferCommand, click: ClickOrigin, result: CommandResult): Promise<void> {
  const key = clickedMessage(leadId, command);
  if (key === null || click.responseUrl === null || click.message === null) return;
  const now = ctx.clock.now();
  await tx.outbox.rememberResponseUrl(key, click.responseUrl, now, result.ok ? 0 : 1);
  // The click proves the card is in Slack, even when its post's answer is not recorded yet.
  if (command.type === 'claim' || command.type === 'pass') await tx.offers.learnMessage(command.offerId, click.message.channel, click.message.ts);
  if (!result.ok) await tx.outbox.prioritize(key, now);
}

/**
 * One command in its own savepoint: a lost compare-and-set (a concurrent change won) rolls back
 * alone and answers as stale. A click's response_url is kept for the message clicked, in the same
 * transaction, whatever the outcome.
 */
export async function attemptCommand(ctx: CommandContext, tx: Tx, leadId: number, command: OfferCommand, click?: ClickOrigin): Promise<CommandResult> {
  let result: CommandResult;
  try {
    result = await tx.savepoint((inner) => decideAndStore(ctx, inner, leadId, command, click));
  } catch (error) {
    if (!(error instanceof LostRace)) throw error;
    result = stale(leadId, await whereaboutsIn(tx, leadId));
  }
  if (click) await rememberClick(ctx, tx, leadId, command, click, result);
  if (result.ok || click) tx.afterCommit(() => ctx.events.publish({ type: 'effectsQueued' }));
  return result;
}


/**
 * Expires a batch of due offers inside the caller's transaction: ONE set-based update moves every
 * offer still pending at its version (one claimed or passed meanwhile is left alone); then the
 * state machine decides each expired offer's lead, in memory, and the batch is written set-based:
 * the history of the expiries in one statement, the next offers through `routeMany` (the routing
 * decisions made one after the other on the transaction's shared routing state, then the leads,
 * offers, history, round-robin state and cards written in one statement each), then the expired
 * cards' updates in one. Each lead's history and outbox rows keep the order a lone expiry writes
 * them in (expired, routed, offered; the next card, then the old card's update). A lead whose
 * expiry does more (escalates after max_offers, changes its state) is expired alone through
 * `decideAndStore`. The offers are already moved when a lead's step runs, so a step that fails
 * fails the batch (rolled back whole, taken again by the next sweep).
 */
export async function expireOffers(ctx: CommandContext, tx: Tx, due: readonly DueOffer[]): Promise<{ applied: number; freesCapacity: boolean }> {
  const now = ctx.clock.now();
  const expired = await tx.offers.resolveMany({ offers: due, state: 'expired', reason: null, now });
  if (expired.length === 0) return { applied: 0, freesCapacity: false };
  const settings = ctx.settings();
  const leadIds = expired.map((offer) => offer.leadId);
  const leads = new Map((await tx.leads.getMany(leadIds)).map((stored) => [stored.id, stored]));
  const counts = await tx.offers.countsOfLeads(leadIds);
  const escalations = await tx.leads.escalationReasonsOf(leadIds);
  let freesCapacity = false;
  const batch: { offer: ResolvedOffer; stored: StoredLead; outcome: Extract<ReturnType<typeof decideOffer>, { ok: true }> }[] = [];
  const alone: ResolvedOffer[] = [];
  for (const offer of expired) {
    const stored = leads.get(offer.leadId);
    if (!stored) throw new Error(`offer ${offer.id} was expired with its batch, but its lead ${offer.leadId} is unknown`);
    const pendingOffer = { id: offer.id, repId: offer.repId, version: offer.version, deadlineAt: offer.deadlineAt, remindAt: offer.remindAt, remindedAt: offer.remindedAt };
    const facts: LeadFacts = { id: stored.id, state: stored.state, version: stored.version, ownerId: stored.ownerId, offersMade: counts.get(stored.id) ?? 0, pendingOffer };
    const outcome = decideOffer(facts, { type: 'expire', offerId: offer.id, offerVersion: offer.version }, settings.sla.maxOffers);
    if (!outcome.ok) throw new Error(`offer ${offer.id} was expired with its batch, but its lead refused the expiry (${outcome.reason})`);
    if (outcome.offer?.id !== offer.id) throw new Error(`offer ${offer.id} was resolved with its batch, but the decision moves ${outcome.offer?.id ?? 'no offer'}`);
    // The plain case, batched: the lead stays as it is and goes on to the next rep.
    const plain = outcome.then === 'route_next' && !outcome.reminded && outcome.lead.state === stored.state && outcome.lead.ownerId === stored.ownerId;
    if (plain) batch.push({ offer, stored, outcome });
    else alone.push(offer);
    freesCapacity ||= outcome.freesCapacity === true;
  }
  for (const offer of alone) {
    const command: OfferCommand = { type: 'expire', offerId: offer.id, offerVersion: offer.version };
    const result = await tx.savepoint((inner) => decideAndStore(ctx, inner, offer.leadId, command, undefined, offer));
    if (!result.ok) throw new Error(`offer ${offer.id} was expired with its batch, but its lead refused the expiry (${result.reason})`);
  }
  if (batch.length > 0) {
    const history: HistoryRecordOf[] = [];
    for (const { stored, outcome } of batch) for (const record of outcome.history) history.push({ leadId: stored.id, at: now, actor: record.actor, event: record.event, detail: record.detail ?? null });
    await tx.leads.appendHistoryMany(history);
    for (const { stored, offer, outcome } of batch) {
      const event = eventOf({ id: stored.id, state: stored.state, version: stored.version, ownerId: stored.ownerId, offersMade: 0, pendingOffer: offer }, { type: 'expire', offerId: offer.id, offerVersion: offer.version }, outcome, stored.receivedAt, now);
      tx.afterCommit(() => ctx.events.publish({ type: 'leadChanged', event }));
    }
    await ctx.router.routeMany(
      tx,
      batch.map(({ stored }) => stored),
    );
    // The expired cards' updates (and a reminder's, an escalation message's), after the next cards: see enqueueEffects.
    const effects: { leadId: number; effect: Effect }[] = [];
    for (const { stored, offer, outcome } of batch) {
      for (const effect of outcome.effects) effects.push({ leadId: stored.id, effect });
      if (offer.remindedAt !== null) effects.push({ leadId: stored.id, effect: { type: 'update_reminder', offerId: offer.id } });
      if (escalations.has(stored.id) && !outcome.effects.some((e: OfferEffect) => e.type === 'update_escalation')) effects.push({ leadId: stored.id, effect: { type: 'update_escalation', leadId: stored.id } });
    }
    await tx.outbox.enqueueMany(effects, now);
  }
  tx.afterCommit(() => ctx.events.publish({ type: 'effectsQueued' }));
  return { applied: expired.length, freesCapacity };
}

/** A command on a lead, as the batches (expiries, reminders, withdrawals) hold them. */
export type LeadCommand = { leadId: number; command: OfferCommand };

/**
 * Many commands inside the caller's transaction (one fsync for a burst of 10,000 deadlines instead
 * of 10,000), each in its own savepoint; how many were applied, and whether any freed capacity.
 */
export async function applyCommands(ctx: CommandContext, tx: Tx, commands: readonly LeadCommand[]): Promise<{ applied: number; freesCapacity: boolean }> {
  let applied = 0;
  let freesCapacity = false;
  for (const { leadId, command } of commands) {
    const result = await attemptCommand(ctx, tx, leadId, command);
    if (!result.ok) continue;
    applied += 1;
    freesCapacity ||= result.freesCapacity === true;
  }
  return { applied, freesCapacity };
}

/**
 * The outbox gave up on an effect: the lead's history says so, and an offer whose card Slack
 * refused for good (user_not_found, account_inactive, …) cannot be claimed, so it ends now, like an
 * expiry (the lead moves on, or escalates).
 */
export async function recordDeliveryFailure(ctx: CommandContext, tx: Tx, { leadId, effect, error }: AppEventOf<'deliveryFailed'>): Promise<void> {
  if (leadId === null) return;
  await tx.leads.appendHistory(leadId, ctx.clock.now(), 'system', 'delivery_failed', { method: effectLabel(effect), error });
  const offer = effect.type === 'post_offer_card' ? await tx.offers.get(effect.offerId) : null;
  if (offer?.state === 'pending') await attemptCommand(ctx, tx, offer.leadId, { type: 'expire', offerId: offer.id, offerVersion: offer.version });
}

export interface OfferLifecycleDeps {
  uow: UnitOfWork;
  router: Pick<LeadRouter, 'route' | 'routeMany' | 'rerouteQueued'>;
  clock: Clock;
  settings: () => Settings;
  /** Each change is told after commit (`leadChanged`, `effectsQueued`); `deliveryFailed` is listened to. */
  events: EventBus;
  logger: Logger;
}

const unknownLead: CommandResult = { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null };

/**
 * The offer lifecycle use cases: each click or command stored in ONE transaction
 * (`attemptCommand`), a batch of timer commands (a burst of expiries) many in one. A stale click,
 * timer or retry changes nothing and says where the lead is now.
 */
export function createOfferLifecycle(deps: OfferLifecycleDeps) {
  const { uow, router, clock, events } = deps;
  const ctx: CommandContext = { clock, settings: deps.settings, events, router };
  /** Runs one command on a lead in its own transaction; queued leads are offered when it freed a rep's capacity. */
  const execute = async (leadId: number | null, command: OfferCommand, click?: ClickOrigin): Promise<CommandResult> => {
    if (leadId === null) return unknownLead;
    const result = await uow.run((tx) => attemptCommand(ctx, tx, leadId, command, click));
    if (result.ok && result.freesCapacity) await router.rerouteQueued();
    return result;
  };

  /** A batch of timer commands in one transaction; how many were applied. */
  const executeBatch = async (take: (tx: Tx, now: number) => Promise<LeadCommand[]>): Promise<number> => {
    const { applied, freesCapacity } = await uow.run(async (tx) => applyCommands(ctx, tx, await take(tx, clock.now())));
    if (freesCapacity) await router.rerouteQueued();
    return applied;
  };

  const leadOfOffer = async (offerId: number) => (await uow.read((tx) => tx.offers.get(offerId)))?.leadId ?? null;

  // The outbox gave up on an effect: recorded on the lead; an offer whose card Slack refused for good ends now.
  events.subscribe('deliveryFailed', (failure) => uow.run((tx) => recordDeliveryFailure(ctx, tx, failure)).catch((error: unknown) => deps.logger.error({ err: error }, 'recording a failed delivery failed')));

  return {
    /** Where the lead is now (the answer to a click that changed nothing). */
    whereabouts: (leadId: number | null) => uow.read((tx) => whereaboutsIn(tx, leadId)),

    /** A click on Claim or Pass on an offer card (or on its buttons in `/leads`, the App Home). */
    async onCard(command: Extract<OfferCommand, { type: 'claim' | 'pass' }>, click?: ClickOrigin): Promise<CommandResult> {
      return execute(await leadOfOffer(command.offerId), command, click);
    },

    /** `/leads done L-17` or the Done button: the owner (or a manager) closes the lead. */
    done: (leadId: number, by: string, byManager: boolean) => execute(leadId, { type: 'done', by, byManager }),

    /** `/reassign L-17 @rep [reason]`: the owner or a manager hands the lead over; an offer in flight is withdrawn. */
    reassign: (leadId: number, command: Omit<Extract<OfferCommand, { type: 'reassign' }>, 'type'>) => execute(leadId, { type: 'reassign', ...command }),

    /** A manager's "Take it myself" or assignment on an escalation. */
    onEscalation: (leadId: number, command: Extract<OfferCommand, { type: 'take' | 'assign' }>, click?: ClickOrigin) => execute(leadId, command, click),

    /** A rep went away: inside the caller's transaction, each of their pending offers is withdrawn and moves on to the next rep; how many. */
    async withdrawOffersOf(tx: Tx, repId: string, by: string): Promise<number> {
      const offers = await tx.offers.pendingOfRep(repId);
      const commands = offers.map((offer): LeadCommand => ({ leadId: offer.leadId, command: { type: 'withdraw', offerId: offer.id, offerVersion: offer.version, by, reason: 'away' } }));
      return (await applyCommands(ctx, tx, commands)).applied;
    },

    /** A duplicate of the lead arrived: the rep holding it (the pending offer, else the claimed one) gets a note in the card's thread. Inside the caller's transaction. */
    async noteSeenAgain(tx: Tx, leadId: number, text: string, now: number): Promise<void> {
      const card = await tx.offers.currentCardOf(leadId);
      if (card !== null) await tx.outbox.enqueue(leadId, { type: 'thread_note', offerId: card, text }, now);
      tx.afterCommit(() => events.publish({ type: 'effectsQueued' }));
    },

    /** When the next pending offer's deadline is (epoch ms), for a precise timer; null when none. */
    nextDeadlineAt: () => uow.read((tx) => tx.offers.nextDeadlineAt()),

    /** Expires up to `limit` offers past their deadline, in one transaction that takes them (expireOffers); how many moved on. */
    async expireBatch(limit: number): Promise<number> {
      const { applied, freesCapacity } = await uow.run(async (tx) => expireOffers(ctx, tx, await tx.offers.takeDueDeadlines(clock.now(), limit)));
      if (freesCapacity) await router.rerouteQueued();
      return applied;
    },

    /** Posts the reminder of every offer past its remind_at (up to 1,000 at a time). */
    remindDue: () =>
      executeBatch(async (tx, now) =>
        (await tx.offers.takeDueReminders(now, 1000)).map((offer): LeadCommand => ({ leadId: offer.leadId, command: { type: 'remind', offerId: offer.id, offerVersion: offer.version } })),
      ),

    /** Re-pings every escalation still unassigned after another claim_within. */
    async repingDue(): Promise<number> {
      return uow.run(async (tx) => {
        const now = clock.now();
        const ids = await tx.leads.escalationsDue(now, 1000);
        const nextPingAt = nextEscalationPingAt(deps.settings().sla, now);
        for (const id of ids) {
          await tx.leads.recordReping(id, nextPingAt);
          await tx.outbox.enqueue(id, { type: 'reping_escalation', leadId: id }, now);
        }
        if (ids.length > 0) tx.afterCommit(() => events.publish({ type: 'effectsQueued' }));
        return ids.length;
      });
    },
  };
}

export type OfferLifecycle = ReturnType<typeof createOfferLifecycle>;
