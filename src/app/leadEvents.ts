import type { LeadSource } from '../domain/lead.ts';

/**
 * A committed change of a lead, told after commit to whoever listens: the log writes one line per
 * event and the metrics count it. It carries the lead's id and facts that are safe to log at
 * `info` — never the lead's e-mail, phone, name or message, nor text a person typed (a pass reason).
 */
export interface LeadEvent {
  event: LeadEventName;
  leadId: number;
  /** When it happened (the injected clock). */
  at: number;
  /** When the lead arrived: time to first offer and to claim are measured from it. */
  receivedAt?: number;
  /** Who caused it: a Slack user id, `system` or `api`. */
  by?: string;
  /** The rep it concerns: offered to, claimed by, the new owner, the rep whose offer expired. */
  rep?: string;
  /** The previous holder, on a reassignment. */
  from?: string | null;
  source?: LeadSource;
  rule?: string;
  team?: string;
  sequence?: string;
  /** The offer's number for this lead (1 for the first offer), on `lead.offered`. */
  attempt?: number;
  /** Why, from a fixed set: `max_offers`, `queued`, `away`, `reassigned`, `email`, `external_id`, … */
  reason?: string;
  /** The offer this change resolved, and how. */
  offerOutcome?: OfferOutcome;
  /** The lead got its first owner: a claim, a manager taking or assigning it, or a reassignment of an unowned lead. */
  firstOwner?: boolean;
  /** Signals: the channel and kind. */
  channel?: string;
  kind?: string;
}

export const LEAD_EVENT_NAMES = [
  'lead.received',
  'lead.duplicate',
  'lead.offered',
  'lead.sequenced',
  'lead.queued',
  'lead.claimed',
  'lead.passed',
  'lead.expired',
  'lead.withdrawn',
  'lead.reminded',
  'lead.escalated',
  'lead.assigned',
  'lead.reassigned',
  'lead.done',
  'lead.signal',
] as const;
export type LeadEventName = (typeof LEAD_EVENT_NAMES)[number];

export const OFFER_OUTCOMES = ['claimed', 'passed', 'expired', 'withdrawn'] as const;
export type OfferOutcome = (typeof OFFER_OUTCOMES)[number];

