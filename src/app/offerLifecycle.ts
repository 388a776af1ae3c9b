import type { Config } from '../config/schema.ts';
import type { WebhookEvent } from '../domain/settings.ts';
import type { Clock } from '../domain/clock.ts';
import { leadRef } from '../domain/lead.ts';
import { decideOffer, type HistoryRecord, type LeadFacts, type OfferCommand, type OfferEffect, type OfferRejection } from '../domain/offers/offerMachine.ts';
import { whereaboutsOf, type LeadWhereabouts } from '../domain/offers/whereabouts.ts';
import type { Db } from '../adapters/sqlite/openDatabase.ts';
import type { SqliteLeadStore } from '../adapters/sqlite/sqliteLeadStore.ts';
import type { SqliteOfferStore } from '../adapters/sqlite/sqliteOfferStore.ts';
import { cardMessageKey, PRIORITY, type SqliteOutboxStore } from '../adapters/sqlite/sqliteOutboxStore.ts';
import { leadEventLog, type Logger } from '../adapters/logger.ts';
import type { LeadEvent, LeadEventName, LeadEventSink } from './leadEvents.ts';
import type { LeadRouter, RouteOutcome } from './routeLead.ts';
import { enqueueWriteBack } from './writeBack.ts';
import { enqueueEscalationMessage } from './escalationMessage.ts';

export interface OfferLifecycleDeps {
  db: Db;
  leads: SqliteLeadStore;
  offers: SqliteOfferStore;
  outbox: SqliteOutboxStore;
  router: LeadRouter;
  clock: Clock;
  config: () => Config;
  /** Each change a command made is logged here after commit (one line each)… */
  logger: Logger;
  /** …and then told here (the metrics). */
  onLeadEvent?: LeadEventSink;
  onEffects?: () => void;
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
      return messageOf({ type: 'update_offer_card', offerId: command.offerId });
    case 'take':
    case 'assign':
      return messageOf({ type: 'update_escalation', leadId });
    default:
      return null;
  }
}

/** The message an effect changes (the outbox's key for it), if any. */
function messageOf(effect: OfferEffect): string | null {
  return cardMessageKey(effect.type, effect);
}

/** Thrown inside a transaction when a compare-and-set lost: the transaction rolls back and the command is stale. */
class LostRace extends Error {}

/**
 * The offer lifecycle use cases: claim, pass, expire, remind, escalate, assign. Each command
 * loads the lead's facts, asks the pure state machine, and stores the outcome — offer and lead by
 * compare-and-set, history, outbox rows, and the next routing step — in ONE transaction. A stale
 * click, timer or retry changes nothing and says where the lead is now.
 */
/** Offers expired per transaction by `expireDue`. */
const EXPIRY_BATCH = 1000;

export function createOfferLifecycle(deps: OfferLifecycleDeps) {
  const { db, leads, offers, outbox, router, clock } = deps;
  const tell = leadEventLog(deps.logger, deps.onLeadEvent);

  /** What the state machine needs, and when the lead arrived (for the events' timings). */
  const factsOf = (leadId: number): { facts: LeadFacts; receivedAt: number } | null => {
    const stored = leads.getState(leadId);
    if (!stored) return null;
    return {
      facts: {
        id: stored.id,
        state: stored.state,
        version: stored.version,
        ownerId: stored.owner_id,
        offersMade: offers.countOfLead(leadId),
        pendingOffer: offers.pendingOfLead(leadId),
      },
      receivedAt: stored.received_at,
    };
  };

  /** Where the lead is now, for the ephemeral answer to a stale click. */
  const whereabouts = (leadId: number | null): LeadWhereabouts | null => {
    const stored = leadId === null ? undefined : leads.getLead(leadId);
    return stored ? whereaboutsOf(stored, offers.pendingOfLead(stored.id)?.repId ?? null) : null;
  };

  /** The effects as outbox rows; the update of the message a person clicked goes first (`waitingFor`). */
  const enqueueEffects = (leadId: number, effects: OfferEffect[], now: number, waitingFor: string | null) => {
    for (const effect of effects) {
      const priority = waitingFor !== null && messageOf(effect) === waitingFor ? PRIORITY.waiting : PRIORITY.background;
      outbox.enqueue({ leadId, kind: 'card', method: effect.type, payload: effect }, now, priority);
    }
  };

  /** After max_offers misses: the lead waits for a manager, who is pinged now and every claim_within. */
  const escalate = (leadId: number, now: number): LeadEvent => {
    const stored = leads.getLead(leadId);
    if (!stored) throw new LostRace();
    const config = deps.config();
    if (!leads.escalate({ id: leadId, version: stored.version, reason: 'max_offers', now, nextPingAt: now + config.sla.claimWithin })) throw new LostRace();
    const offersMade = offers.countOfLead(leadId);
    leads.appendHistory(leadId, now, 'system', 'escalated', { reason: 'max_offers', offers: offersMade });
    enqueueWriteBack({ leads, outbox, config }, leadId, 'lead.escalated', now, { reason: 'max_offers' });
    enqueueEscalationMessage({ leads, outbox }, leadId, now);
    return { event: 'lead.escalated', leadId, at: now, receivedAt: stored.received_at, by: 'system', reason: 'max_offers', attempt: offersMade };
  };

  const run = db.transaction((leadId: number, command: OfferCommand, click: ClickOrigin | undefined): CommandResult => {
    const now = clock.now();
    const config = deps.config();
    const loaded = factsOf(leadId);
    if (!loaded) return { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null };
    const { facts } = loaded;
    const outcome = decideOffer(facts, command, config.sla.maxOffers);
    /** The lead had an escalation message before this change: it follows the lead (a reminder or "done" changes nothing it says). */
    const hadEscalation = outcome.ok && command.type !== 'remind' && command.type !== 'done' && leads.escalation(leadId)?.escalation_reason != null;
    if (!outcome.ok) return { ...outcome, leadId, ref: leadRef(leadId), whereabouts: whereabouts(leadId) };

    if (outcome.offer) {
      const pending = facts.pendingOffer;
      if (!pending || !offers.resolve({ id: outcome.offer.id, version: pending.version, state: outcome.offer.state as Exclude<typeof outcome.offer.state, 'pending'>, reason: outcome.offer.reason ?? null, now })) {
        throw new LostRace();
      }
    }
    if (outcome.reminded && facts.pendingOffer && !offers.markReminded(facts.pendingOffer.id, now)) throw new LostRace();
    if (outcome.lead.state !== facts.state || outcome.lead.ownerId !== facts.ownerId) {
      if (!leads.setState({ id: leadId, version: facts.version, state: outcome.lead.state, ownerId: outcome.lead.ownerId, now })) throw new LostRace();
    }
    if (outcome.lead.state === 'claimed') leads.endEscalation(leadId);
    for (const record of outcome.history) leads.appendHistory(leadId, now, record.actor, record.event, record.detail);
    const writeBackEvent = WRITE_BACK_EVENTS[command.type];
    if (writeBackEvent) enqueueWriteBack({ leads, outbox, config }, leadId, writeBackEvent, now, { by: 'by' in command ? command.by : 'system' });

    const rep = outcome.lead.ownerId ?? facts.pendingOffer?.repId;
    const offerOutcome = outcome.offer && outcome.offer.state !== 'pending' ? outcome.offer.state : undefined;
    const events: LeadEvent[] = [
      {
        event: COMMAND_EVENTS[command.type],
        leadId,
        at: now,
        receivedAt: loaded.receivedAt,
        by: 'by' in command ? command.by : 'system',
        ...(rep ? { rep } : {}),
        // The state machine's history record names who held the lead before a reassignment.
        ...(command.type === 'reassign' ? { from: holderOf(outcome.history) } : {}),
        ...(command.type === 'withdraw' ? { reason: command.reason } : {}),
        ...(offerOutcome ? { offerOutcome } : {}),
        ...(facts.state !== 'claimed' && outcome.lead.state === 'claimed' ? { firstOwner: true } : {}),
      },
    ];

    let then: RouteOutcome | { kind: 'escalated' } | undefined;
    if (outcome.then === 'route_next') then = router.routeWithinTransaction(leadId);
    else if (outcome.then === 'escalate') {
      events.push(escalate(leadId, now));
      then = { kind: 'escalated' };
    }
    // The next rep's card (or the escalation) goes out before the old card's update: chat.update is
    // paced far slower than new posts (Tier 3), and a lead must never wait on a dead card.
    enqueueEffects(leadId, outcome.effects, now, click ? clickedMessage(leadId, command) : null);
    // No message keeps words that are no longer true: a reminder of an offer that ended says so, and
    // a lead's escalation message follows the lead (now offered to Bob, taken by Carol, …).
    // A claimed lead handed to someone else: the card that says "claimed by you" says it moved on.
    if (command.type === 'reassign' && facts.state === 'claimed') {
      const claimedCard = offers.currentCardOf(leadId);
      if (claimedCard !== null) outbox.enqueue({ leadId, kind: 'card', method: 'update_offer_card', payload: { offerId: claimedCard } }, now);
    }
    const ended = outcome.offer && outcome.offer.state !== 'pending' ? facts.pendingOffer : null;
    if (ended && ended.remindedAt !== null) outbox.enqueue({ leadId, kind: 'card', method: 'update_reminder', payload: { offerId: ended.id } }, now);
    if (hadEscalation && !outcome.effects.some((e) => e.type === 'update_escalation')) {
      outbox.enqueue({ leadId, kind: 'card', method: 'update_escalation', payload: { leadId } }, now);
    }
    return { ok: true, leadId, ref: leadRef(leadId), events, ...(then ? { then } : {}), ...(outcome.freesCapacity ? { freesCapacity: true } : {}) };
  });

  /**
   * One command in its own savepoint: a lost compare-and-set (a concurrent change won) rolls back
   * alone and answers as stale. A click's response_url is kept for the message clicked, in the same
   * transaction, whatever the outcome: the message is replaced through it.
   */
  const attempt = (leadId: number, command: OfferCommand, click?: ClickOrigin): CommandResult => {
    let result: CommandResult;
    try {
      result = run(leadId, command, click);
    } catch (error) {
      if (!(error instanceof LostRace)) throw error;
      result = { ok: false, reason: 'stale', leadId, ref: leadRef(leadId), whereabouts: whereabouts(leadId) };
    }
    if (click) rememberClick(leadId, command, click, result);
    return result;
  };

  /**
   * The click's response_url answers it: a change it made replaces the clicked message through it;
   * a click on a stale card (its update still waiting for chat.update's pace) makes that update go
   * now, through the URL, and the clicker is told ephemerally where the lead is (one post on it).
   */
  const rememberClick = (leadId: number, command: OfferCommand, click: ClickOrigin, result: CommandResult) => {
    const key = clickedMessage(leadId, command);
    if (key === null || click.responseUrl === null || click.message === null) return;
    const now = clock.now();
    outbox.rememberResponseUrl(key, click.responseUrl, now, result.ok ? 0 : 1);
    // The click proves the card is in Slack, even when its post's answer is not recorded yet.
    if (command.type === 'claim' || command.type === 'pass') offers.learnMessage(command.offerId, click.message.channel, click.message.ts);
    if (!result.ok) outbox.prioritize(key, now);
  };

  const afterCommit = (leadId: number, result: CommandResult) => {
    if (!result.ok) return;
    for (const event of result.events) tell(event);
    if (result.then && result.then.kind !== 'escalated') router.committed(leadId, result.then);
    // A rep's capacity was freed: queued leads may be served now.
    if (result.freesCapacity) router.rerouteQueued();
  };

  const attemptAlone = db.transaction(attempt);

  /** Runs one command on a lead in its own transaction. */
  const execute = (leadId: number | null, command: OfferCommand, click?: ClickOrigin): CommandResult => {
    if (leadId === null) return { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null };
    const result = attemptAlone.immediate(leadId, command, click);
    afterCommit(leadId, result);
    if (result.ok || click) deps.onEffects?.();
    return result;
  };

  /**
   * Runs many timer commands (expiries, reminders) in ONE transaction — one fsync for a burst of
   * 10,000 deadlines instead of 10,000 — each in its own savepoint.
   */
  /** Expires up to `limit` offers whose deadline has passed, in one transaction; how many moved on. */
  const expireBatch = (limit: number): number => {
    const commands = offers
      .dueDeadlines(clock.now(), limit)
      .map((offer) => ({ leadId: offer.lead_id, command: { type: 'expire' as const, offerId: offer.id, offerVersion: offer.version } }));
    return commands.length === 0 ? 0 : executeBatch(commands);
  };

  const executeBatch = (commands: { leadId: number; command: OfferCommand }[]): number => {
    const results = db.transaction(() => router.inBatch(() => commands.map(({ leadId, command }) => attempt(leadId, command)))).immediate();
    let applied = 0;
    results.forEach((result, i) => {
      const item = commands[i];
      if (!item) return;
      afterCommit(item.leadId, result);
      if (result.ok) applied += 1;
    });
    if (applied > 0) deps.onEffects?.();
    return applied;
  };

  const leadOfOffer = (offerId: number) => offers.get(offerId)?.lead_id ?? null;

  return {
    whereabouts,

    /** A click on Claim or Pass on an offer card (or on its buttons in `/leads`, the App Home). */
    onCard(command: Extract<OfferCommand, { type: 'claim' | 'pass' }>, click?: ClickOrigin): CommandResult {
      return execute(leadOfOffer(command.offerId), command, click);
    },

    /** `/leads done L-17` or the Done button: the owner (or a manager) closes the lead. */
    done(leadId: number, by: string, byManager: boolean): CommandResult {
      return execute(leadId, { type: 'done', by, byManager });
    },

    /** `/reassign L-17 @rep [reason]`: the owner or a manager hands the lead over; an offer in flight is withdrawn. */
    reassign(leadId: number, command: Omit<Extract<OfferCommand, { type: 'reassign' }>, 'type'>): CommandResult {
      return execute(leadId, { type: 'reassign', ...command });
    },

    /** A rep went away: each of their pending offers is withdrawn and moves on to the next rep at once. */
    withdrawOffersOf(repId: string, by: string): number {
      const commands = offers.pendingOfRep(repId).map((offer) => ({
        leadId: offer.lead_id,
        command: { type: 'withdraw' as const, offerId: offer.id, offerVersion: offer.version, by, reason: 'away' as const },
      }));
      return commands.length === 0 ? 0 : executeBatch(commands);
    },

    /** A manager's "Take it myself" or assignment on an escalation. */
    onEscalation(leadId: number, command: Extract<OfferCommand, { type: 'take' | 'assign' }>, click?: ClickOrigin): CommandResult {
      return execute(leadId, command, click);
    },

    /**
     * An offer whose card Slack refused for good (user_not_found, account_inactive, …) cannot be
     * claimed: it ends now, like an expiry, and the lead moves on (or escalates).
     */
    offerUndeliverable(offerId: number): CommandResult {
      const offer = offers.get(offerId);
      if (!offer || offer.state !== 'pending') return { ok: false, reason: 'stale', leadId: offer?.lead_id ?? null, ref: null, whereabouts: null };
      return execute(offer.lead_id, { type: 'expire', offerId, offerVersion: offer.version });
    },

    /**
     * A duplicate of the lead arrived: the rep holding it (the pending offer, else the claimed one)
     * gets a note in the card's thread. Runs inside the caller's transaction.
     */
    noteSeenAgain(leadId: number, text: string, now: number): void {
      const card = offers.currentCardOf(leadId);
      if (card !== null) outbox.enqueue({ leadId, kind: 'card', method: 'thread_note', payload: { offerId: card, text } }, now);
    },

    /** When the next pending offer's deadline is (epoch ms), for a precise timer; null when none. */
    nextDeadlineAt: () => offers.nextDeadlineAt(),

    /** Expires every offer past its deadline (the sweep runs every second and once at start). */
    expireDue(): number {
      let expired = 0;
      for (;;) {
        const progress = expireBatch(EXPIRY_BATCH);
        expired += progress;
        if (progress === 0) return expired;
      }
    },

    /**
     * Like `expireDue`, yielding to the event loop between batches of `batchSize`, so that a burst of
     * deadlines (thousands at once) never keeps Slack's interactions (acked within 3 s), intake or
     * /healthz waiting for the whole burst. What the timers run.
     */
    async expireDueSoon(batchSize = EXPIRY_BATCH): Promise<number> {
      let expired = 0;
      for (;;) {
        const progress = expireBatch(batchSize);
        expired += progress;
        if (progress === 0) return expired;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },


    /** Posts the reminder of every offer past its remind_at. */
    remindDue(): number {
      const commands = offers
        .dueReminders(clock.now(), 1000)
        .map((offer) => ({ leadId: offer.lead_id, command: { type: 'remind' as const, offerId: offer.id, offerVersion: offer.version } }));
      return commands.length === 0 ? 0 : executeBatch(commands);
    },

    /** Re-pings every escalation still unassigned after another claim_within. */
    repingDue(): number {
      const now = clock.now();
      const ids = leads.escalationsDue(now, 1000);
      if (ids.length === 0) return 0;
      const config = deps.config();
      db.transaction(() => {
        for (const id of ids) {
          leads.recordReping(id, now + config.sla.claimWithin);
          outbox.enqueue({ leadId: id, kind: 'card', method: 'reping_escalation', payload: { leadId: id } }, now);
        }
      }).immediate();
      deps.onEffects?.();
      return ids.length;
    },
  };
}

export type OfferLifecycle = ReturnType<typeof createOfferLifecycle>;
