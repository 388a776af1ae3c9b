/**
 * What a routing decision does to a lead, as a plan the app writes through its ports in one
 * transaction: the lead's new state (compare-and-set on the version the decision was made on), the
 * history record, the offer to start, the effects (a sequence's webhook and channel note), and the
 * escalation of a lead nobody can take. Pure.
 */
import type { Effect } from '../effects.ts';
import { leadRef, type Lead, type LeadState } from '../lead.ts';
import { nextEscalationPingAt, offerDeadlines } from '../offers/deadlines.ts';
import type { Settings } from '../settings.ts';
import type { RoundRobinUpdate, RoutingDecision } from './types.ts';
import { whyYou } from './whyYou.ts';

/** The lead as a decision was made on it. */
export interface RoutedLead {
  id: number;
  state: LeadState;
  version: number;
  receivedAt: number;
  lead: Lead;
}

interface PlanBase {
  transition: { state: 'offered' | 'in_sequence' | 'queued'; teamId: string | null; sequenceId: string | null; routedBy: string | null };
  history: { event: 'routed' | 'sent_to_sequence' | 'queued'; detail: Record<string, unknown> };
  /** The lead leaves the holding queue: its escalation stops being re-pinged, and its message follows the lead. */
  leavesQueue: boolean;
}

export type RoutePlan =
  /** An offer to make, with its deadlines. */
  | (PlanBase & { kind: 'rep'; rule: string; teamId: string | null; offer: { repId: string; why: string; roundRobin?: RoundRobinUpdate; deadlineAt: number; remindAt: number | null } })
  /** The sequence's webhook and channel note. */
  | (PlanBase & { kind: 'sequence'; rule: string; sequenceId: string; effects: Effect[] })
  /** Nobody can take the lead: it is escalated at once and re-pinged every claim_within until it has an owner. */
  | (PlanBase & { kind: 'queued'; teamId: string | null; escalation: { nextPingAt: number } });

/** What a sequence's webhook receives (signed like requests to POST /leads). */
export function sequencePayload(lead: RoutedLead, sequenceId: string, rule: string, now: number) {
  return {
    event: 'lead.sequenced',
    at: new Date(now).toISOString(),
    sequence: sequenceId,
    rule,
    lead: { ref: leadRef(lead.id), received_at: new Date(lead.receivedAt).toISOString(), ...lead.lead },
  };
}

/** The plan of `decision` for `lead` at `now`; null when there is nothing to do (a queued lead that stays queued). */
export function planRoute(lead: RoutedLead, decision: RoutingDecision, settings: Settings, now: number): RoutePlan | null {
  const leavesQueue = lead.state === 'queued';
  switch (decision.kind) {
    case 'rep': {
      const teamId = decision.teamId;
      return {
        kind: 'rep',
        transition: { state: 'offered', teamId, sequenceId: null, routedBy: decision.rule },
        history: { event: 'routed', detail: { rule: decision.rule, to: decision.repId, ...(teamId ? { team: teamId } : {}) } },
        leavesQueue,
        rule: decision.rule,
        teamId,
        offer: { repId: decision.repId, why: whyYou(decision.trace), ...(decision.roundRobin ? { roundRobin: decision.roundRobin } : {}), ...offerDeadlines(settings.sla, now) },
      };
    }
    case 'sequence': {
      const sequence = settings.sequences.find((s) => s.id === decision.sequenceId);
      const effects: Effect[] = [];
      if (sequence?.webhook) effects.push({ type: 'webhook', event: 'sequence', url: sequence.webhook, body: sequencePayload(lead, sequence.id, decision.rule, now) });
      // Rendered at delivery from the stored lead, like the cards.
      if (sequence?.channel) effects.push({ type: 'sequence_note', channel: sequence.channel, sequenceId: sequence.id, rule: decision.rule });
      return {
        kind: 'sequence',
        transition: { state: 'in_sequence', teamId: null, sequenceId: decision.sequenceId, routedBy: decision.rule },
        history: { event: 'sent_to_sequence', detail: { rule: decision.rule, sequence: decision.sequenceId } },
        leavesQueue,
        rule: decision.rule,
        sequenceId: decision.sequenceId,
        effects,
      };
    }
    case 'queued':
      if (lead.state === 'queued') return null;
      return {
        kind: 'queued',
        transition: { state: 'queued', teamId: decision.teamId, sequenceId: null, routedBy: null },
        history: { event: 'queued', detail: { ...(decision.teamId ? { team: decision.teamId } : {}), reason: 'nobody eligible' } },
        leavesQueue: false,
        teamId: decision.teamId,
        escalation: { nextPingAt: nextEscalationPingAt(settings.sla, now) },
      };
  }
}
