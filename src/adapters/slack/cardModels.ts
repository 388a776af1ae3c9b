import type { ReadTx, StoredOffer, UnitOfWork } from '../../app/ports.ts';
import { leadRef } from '../../domain/lead.ts';
import { whereaboutsOf } from '../../domain/offers/whereabouts.ts';
import type { Settings } from '../../domain/settings.ts';
import type { EscalationModel } from './renderEscalation.ts';
import { MAX_CARD_SIGNALS, type OfferCardModel } from './renderOfferCard.ts';

/** Signals read for a card: more than it shows, so it can say "and N more". */
const CARD_SIGNALS_READ = Math.max(20, MAX_CARD_SIGNALS);

/**
 * Builds the renderers' models from the store's repositories: the one place that knows how stored
 * state becomes what a card shows. Read-only, each model one consistent read.
 */
export function createCardModels(deps: { uow: UnitOfWork; settings: () => Settings }) {
  const { uow } = deps;

  /** The card's model, and the offer as stored (where its card and reminder are in Slack). */
  const offerCard = async (tx: ReadTx, offerId: number): Promise<{ offer: StoredOffer; model: OfferCardModel } | null> => {
    const offer = await tx.offers.get(offerId);
    const stored = offer ? await tx.leads.get(offer.leadId) : null;
    if (!offer || !stored) return null;
    // Where the lead is now matters only on a card whose offer ended.
    const pending = offer.state === 'pending' ? null : await tx.offers.pendingOfLead(stored.id);
    const signals = await tx.signals.recentOfLead(stored.id, CARD_SIGNALS_READ);
    // Fewer signals than asked for: they are all of the lead's, a positive reply among them if there is one.
    const positiveReply = async () => (signals.length < CARD_SIGNALS_READ ? signals.some((signal) => signal.kind === 'reply_positive') : tx.signals.hasPositiveReply(stored.id));
    const model: OfferCardModel = {
      ref: leadRef(stored.id),
      lead: stored.lead,
      domain: stored.domain,
      offer: {
        id: offer.id,
        version: offer.version,
        repId: offer.repId,
        attempt: offer.attempt,
        state: offer.state,
        offeredAt: offer.offeredAt,
        deadlineAt: offer.deadlineAt,
        resolvedAt: offer.resolvedAt,
        reason: offer.reason,
      },
      why: offer.why ?? '',
      whereabouts: offer.state === 'pending' ? null : whereaboutsOf(stored, pending?.repId ?? null),
      signals,
      urgent: offer.state === 'pending' && (await positiveReply()),
      maxOffers: deps.settings().sla.maxOffers,
    };
    return { offer, model };
  };

  const escalation = async (tx: ReadTx, leadId: number): Promise<EscalationModel | null> => {
    const stored = await tx.leads.get(leadId);
    const info = await tx.leads.escalation(leadId);
    if (!stored || !info?.reason) return null;
    const handled = [...(await tx.leads.history(leadId))].reverse().find((entry) => entry.event === 'assigned' || entry.event === 'claimed');
    const owner = stored.state === 'claimed' || stored.state === 'done' ? stored.ownerId : null;
    return {
      ref: leadRef(leadId),
      lead: stored.lead,
      leadId,
      leadVersion: stored.version,
      reason: info.reason,
      offers: (await tx.offers.ofLead(leadId)).map((o) => ({ repId: o.repId, state: o.state, resolvedAt: o.resolvedAt })),
      teamId: stored.teamId,
      assignedTo: owner && handled?.event === 'assigned' ? owner : null,
      assignedBy: owner && handled?.event === 'assigned' ? handled.actor : null,
      claimedBy: owner && handled?.event !== 'assigned' ? owner : null,
      pingCount: Math.max(1, info.pings),
      domain: stored.domain,
      whereabouts: whereaboutsOf(stored, (await tx.offers.pendingOfLead(leadId))?.repId ?? null),
    };
  };

  return {
    /** An offer's card as it should show now, with the offer as stored; null when the offer or its lead is gone. */
    offerCard: (offerId: number) => uow.read((tx) => offerCard(tx, offerId)),
    escalation: (leadId: number) => uow.read((tx) => escalation(tx, leadId)),
    async assigned(leadId: number, by: string) {
      const stored = await uow.read((tx) => tx.leads.get(leadId));
      return stored ? { ref: leadRef(leadId), lead: stored.lead, domain: stored.domain, assignedBy: by } : null;
    },
  };
}

export type CardModels = ReturnType<typeof createCardModels>;
