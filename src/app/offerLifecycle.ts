import type { Clock } from '../domain/clock.ts';
import { nextEscalationPingAt } from '../domain/offers/deadlines.ts';
import type { OfferCommand } from '../domain/offers/offerMachine.ts';
import type { Settings } from '../domain/settings.ts';
import type { EventBus } from './events.ts';
import type { Logger } from './logger.ts';
import { applyCommands, attemptCommand, recordDeliveryFailure, whereaboutsIn, type ClickOrigin, type CommandContext, type CommandResult, type LeadCommand } from './offerCommand.ts';
import type { DueOffer, Tx, UnitOfWork } from './ports.ts';
import type { LeadRouter } from './routeLead.ts';

export type { ClickOrigin, CommandResult } from './offerCommand.ts';

export interface OfferLifecycleDeps {
  uow: UnitOfWork;
  router: Pick<LeadRouter, 'route' | 'rerouteQueued'>;
  clock: Clock;
  settings: () => Settings;
  /** Each change is told after commit (`leadChanged`, `effectsQueued`); `deliveryFailed` is listened to. */
  events: EventBus;
  logger: Logger;
}

const unknownLead: CommandResult = { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null };

/**
 * The offer lifecycle use cases: claim, pass, expire, remind, withdraw, escalate, take, assign,
 * reassign, done — each command stored in ONE transaction (src/app/offerCommand.ts); the batches
 * of timer commands (a burst of expiries) many in one. A stale click, timer or retry changes
 * nothing and says where the lead is now.
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

  const expiryOf = (offer: DueOffer): LeadCommand => ({ leadId: offer.leadId, command: { type: 'expire', offerId: offer.id, offerVersion: offer.version } });

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

    /** Expires up to `limit` offers past their deadline, in one transaction that takes them; how many moved on. */
    expireBatch: (limit: number) => executeBatch(async (tx, now) => (await tx.offers.takeDueDeadlines(now, limit)).map(expiryOf)),

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
