import type { Config } from '../../config/schema.ts';
import { leadRef } from '../../domain/lead.ts';
import { whereaboutsOf } from '../../domain/offers/whereabouts.ts';
import type { Db } from '../sqlite/openDatabase.ts';
import type { SqliteLeadStore } from '../sqlite/sqliteLeadStore.ts';
import type { SqliteOfferStore } from '../sqlite/sqliteOfferStore.ts';
import type { EscalationModel } from './renderEscalation.ts';
import type { OfferCardModel, SignalModel } from './renderOfferCard.ts';

/**
 * Builds the renderers' models from the database: the one place that knows how stored state becomes
 * what a card shows. Read-only.
 */
export function createCardModels(deps: { db: Db; leads: SqliteLeadStore; offers: SqliteOfferStore; config: () => Config }) {
  const { leads, offers } = deps;
  const signalsOf = deps.db.prepare('SELECT channel, kind, at FROM signals WHERE lead_id = ? ORDER BY at DESC LIMIT 20');
  const recentPositiveReply = deps.db.prepare(`SELECT 1 FROM signals WHERE lead_id = ? AND kind = 'reply_positive' LIMIT 1`);

  return {
    offerCard(offerId: number): OfferCardModel | null {
      const offer = offers.get(offerId);
      const stored = offer ? leads.getLead(offer.lead_id) : undefined;
      if (!offer || !stored) return null;
      const pending = offers.pendingOfLead(stored.id);
      return {
        ref: leadRef(stored.id),
        lead: stored.lead,
        domain: stored.domain,
        offer: {
          id: offer.id,
          version: offer.version,
          repId: offer.rep_id,
          attempt: offer.attempt,
          state: offer.state,
          offeredAt: offer.offered_at,
          deadlineAt: offer.deadline_at,
          resolvedAt: offer.resolved_at,
          reason: offer.reason,
        },
        why: offer.why ?? '',
        whereabouts: offer.state === 'pending' ? null : whereaboutsOf(stored, pending?.repId ?? null),
        signals: signalsOf.all(stored.id) as SignalModel[],
        urgent: offer.state === 'pending' && recentPositiveReply.get(stored.id) !== undefined,
        maxOffers: deps.config().sla.maxOffers,
      };
    },

    escalation(leadId: number): EscalationModel | null {
      const stored = leads.getLead(leadId);
      const info = leads.escalation(leadId);
      if (!stored || !info?.escalation_reason) return null;
      const handled = [...leads.history(leadId)].reverse().find((entry) => entry.event === 'assigned' || entry.event === 'claimed');
      const owner = stored.state === 'claimed' || stored.state === 'done' ? stored.owner_id : null;
      return {
        ref: leadRef(leadId),
        lead: stored.lead,
        leadId,
        leadVersion: stored.version,
        reason: info.escalation_reason,
        offers: offers.ofLead(leadId).map((o) => ({ repId: o.rep_id, state: o.state, resolvedAt: o.resolved_at })),
        teamId: stored.team_id,
        assignedTo: owner && handled?.event === 'assigned' ? owner : null,
        assignedBy: owner && handled?.event === 'assigned' ? handled.actor : null,
        claimedBy: owner && handled?.event !== 'assigned' ? owner : null,
        pingCount: Math.max(1, info.escalation_pings),
        domain: stored.domain,
        whereabouts: whereaboutsOf(stored, offers.pendingOfLead(leadId)?.repId ?? null),
      };
    },

    assigned(leadId: number, by: string) {
      const stored = leads.getLead(leadId);
      if (!stored) return null;
      return { ref: leadRef(leadId), lead: stored.lead, domain: stored.domain, assignedBy: by };
    },
  };
}

export type CardModels = ReturnType<typeof createCardModels>;
