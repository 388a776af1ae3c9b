import type { RoundRobinUpdate } from '../domain/routing/index.ts';
import type { Tx } from './ports.ts';

export interface StartOfferInput {
  leadId: number;
  repId: string;
  /** A one-line reason for the rep ("Why you"). */
  why: string;
  roundRobin?: RoundRobinUpdate | undefined;
  /** From the SLA (src/domain/offers/deadlines.ts). */
  deadlineAt: number;
  remindAt: number | null;
  now: number;
}

/**
 * The seam between routing and the offer lifecycle: records that `repId` is offered the lead, with
 * its deadline and reminder time, advances the round-robin state and queues the claim card. Runs
 * inside the caller's transaction, after the lead's state moved to `offered`.
 */
export async function startOffer(tx: Tx, input: StartOfferInput): Promise<{ offerId: number; attempt: number }> {
  const offer = await tx.offers.create({ leadId: input.leadId, repId: input.repId, offeredAt: input.now, deadlineAt: input.deadlineAt, remindAt: input.remindAt, why: input.why });
  if (input.roundRobin) await tx.routing.saveRoundRobin(input.roundRobin);
  await tx.routing.recordOfferMade(input.repId, input.now);
  await tx.leads.appendHistory(input.leadId, input.now, 'system', 'offered', { rep: input.repId, attempt: offer.attempt, why: input.why });
  // The card is rendered from the stored offer when it is delivered, so it is never out of date.
  await tx.outbox.enqueue(input.leadId, { type: 'post_offer_card', offerId: offer.id }, input.now);
  return { offerId: offer.id, attempt: offer.attempt };
}
