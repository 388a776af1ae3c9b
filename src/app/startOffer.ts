import type { Config } from '../config/schema.ts';
import type { RoundRobinUpdate } from '../domain/routing/index.ts';
import type { SqliteLeadStore } from '../adapters/sqlite/sqliteLeadStore.ts';
import type { SqliteOfferStore } from '../adapters/sqlite/sqliteOfferStore.ts';
import type { SqliteOutboxStore } from '../adapters/sqlite/sqliteOutboxStore.ts';
import type { SqliteRoutingStore } from '../adapters/sqlite/sqliteRoutingStore.ts';

export interface StartOfferInput {
  leadId: number;
  repId: string;
  /** A one-line reason for the rep ("Why you"). */
  why: string;
  roundRobin?: RoundRobinUpdate | undefined;
  now: number;
}

/**
 * The seam between routing and the offer lifecycle: records that `repId` is offered the
 * lead, with its SLA deadline and reminder time, advances the round-robin state and queues the
 * claim card. Runs inside the caller's transaction, after the lead's state moved to `offered`.
 */
export function startOffer(
  deps: { leads: SqliteLeadStore; offers: SqliteOfferStore; routing: SqliteRoutingStore; outbox: SqliteOutboxStore; config: Config },
  input: StartOfferInput,
): { offerId: number; attempt: number; deadlineAt: number } {
  const { sla } = deps.config;
  const deadlineAt = input.now + sla.claimWithin;
  const remindAt = sla.remindAt === undefined ? null : input.now + Math.round(sla.claimWithin * sla.remindAt);
  const offer = deps.offers.create({ leadId: input.leadId, repId: input.repId, offeredAt: input.now, deadlineAt, remindAt, why: input.why });
  if (input.roundRobin) deps.routing.saveRoundRobin(input.roundRobin);
  deps.routing.recordOfferMade(input.repId, input.now);
  deps.leads.appendHistory(input.leadId, input.now, 'system', 'offered', { rep: input.repId, attempt: offer.attempt, why: input.why });
  // The card is rendered from the stored offer when it is delivered, so it is never out of date.
  deps.outbox.enqueue({ leadId: input.leadId, kind: 'card', method: 'post_offer_card', payload: { offerId: offer.id } }, input.now);
  return { offerId: offer.id, attempt: offer.attempt, deadlineAt };
}
