/**
 * The offer lifecycle as pure transitions: `(lead facts, command, now) -> outcome | rejection`.
 * No I/O: the app loads the facts, calls `decideOffer`, and stores the outcome (state, history,
 * effects as outbox rows) in one transaction, with compare-and-set on the versions read here — the
 * fencing tokens that make a stale timer, click or retry do nothing.
 */
import type { Effect } from '../effects.ts';
import type { LeadState } from '../lead.ts';

export type OfferState = 'pending' | 'claimed' | 'passed' | 'expired' | 'withdrawn';

export interface PendingOffer {
  id: number;
  repId: string;
  /** Fencing token of the offer: bumped on every change. */
  version: number;
  deadlineAt: number;
  remindAt: number | null;
  remindedAt: number | null;
}

/** What a transition needs to know about a lead. */
export interface LeadFacts {
  id: number;
  state: LeadState;
  version: number;
  ownerId: string | null;
  /** Offers made so far (every state). */
  offersMade: number;
  /** The lead's offer in state pending, if any (there is at most one). */
  pendingOffer: PendingOffer | null;
}

export type OfferCommand =
  /** A rep clicks Claim on their card. */
  | { type: 'claim'; offerId: number; offerVersion: number; by: string }
  /** A manager clicks "Take it myself" on an escalation. */
  | { type: 'take'; leadVersion: number; by: string; byManager: boolean }
  /** A manager picks a rep in the escalation's users_select. */
  | { type: 'assign'; leadVersion: number; by: string; byManager: boolean; repId: string; repKnown: boolean }
  /** A rep clicks Pass on their card. */
  | { type: 'pass'; offerId: number; offerVersion: number; by: string; reason?: string }
  /** The deadline sweep finds an offer past its deadline. */
  | { type: 'expire'; offerId: number; offerVersion: number }
  /** The reminder sweep finds an offer past its reminder time. */
  | { type: 'remind'; offerId: number; offerVersion: number }
  /** The offer is taken back: the rep went away, or the lead was reassigned. */
  | { type: 'withdraw'; offerId: number; offerVersion: number; by: string; reason: 'away' | 'reassigned' }
  /** The owner (or a manager) marks the lead done: it frees the owner's capacity. */
  | { type: 'done'; by: string; byManager: boolean }
  /** The owner or a manager hands the lead to another rep (`/reassign`). */
  | { type: 'reassign'; by: string; byManager: boolean; repId: string; repKnown: boolean; reason: string | null };

/** The effects a transition causes (see src/domain/effects.ts); the app stores them with the state change. */
export type OfferEffect = Extract<Effect, { type: 'update_offer_card' | 'post_reminder' | 'update_escalation' | 'dm_assigned' | 'dm_reassigned_away' }>;

export interface HistoryRecord {
  actor: string;
  event: string;
  detail?: Record<string, unknown>;
}

export type OfferRejection =
  | { ok: false; reason: 'stale' }
  | { ok: false; reason: 'not_owner' }
  | { ok: false; reason: 'same_owner' }
  | { ok: false; reason: 'not_yours' }
  | { ok: false; reason: 'not_manager' }
  | { ok: false; reason: 'unknown_rep' };

export interface OfferTransition {
  ok: true;
  /** The lead's new state and owner; `then` says what the app does next. */
  lead: { state: LeadState; ownerId: string | null };
  /** The offer that changed, if any, and its new state. */
  offer?: { id: number; state: OfferState; reason?: string };
  /** After a pass or expiry: offer the lead to the next eligible rep, or escalate after max_offers. */
  then: 'route_next' | 'escalate' | null;
  /** The lead's queue may now be served (a rep's capacity was freed). */
  freesCapacity?: boolean;
  /** Reminder sent: mark it so it is sent once. */
  reminded?: boolean;
  effects: OfferEffect[];
  history: HistoryRecord[];
}

const stale = { ok: false, reason: 'stale' } as const;

/** Pure: what a command does to a lead and its offer, or why it does nothing. */
export function decideOffer(facts: LeadFacts, command: OfferCommand, maxOffers: number): OfferTransition | OfferRejection {
  const pending = facts.pendingOffer;
  const currentOffer = (offerId: number, offerVersion: number) =>
    facts.state === 'offered' && pending !== null && pending.id === offerId && pending.version === offerVersion ? pending : null;
  const afterMiss = (): 'route_next' | 'escalate' => (facts.offersMade >= maxOffers ? 'escalate' : 'route_next');

  switch (command.type) {
    case 'claim': {
      const offer = currentOffer(command.offerId, command.offerVersion);
      if (!offer) return stale;
      if (offer.repId !== command.by) return { ok: false, reason: 'not_yours' };
      return {
        ok: true,
        lead: { state: 'claimed', ownerId: command.by },
        offer: { id: offer.id, state: 'claimed' },
        then: null,
        effects: [{ type: 'update_offer_card', offerId: offer.id }],
        history: [{ actor: command.by, event: 'claimed', detail: { offer: offer.id } }],
      };
    }
    case 'pass': {
      const offer = currentOffer(command.offerId, command.offerVersion);
      if (!offer) return stale;
      if (offer.repId !== command.by) return { ok: false, reason: 'not_yours' };
      const reason = command.reason?.trim() || undefined;
      return {
        ok: true,
        lead: { state: facts.state, ownerId: null },
        offer: { id: offer.id, state: 'passed', ...(reason ? { reason } : {}) },
        then: afterMiss(),
        effects: [{ type: 'update_offer_card', offerId: offer.id }],
        history: [{ actor: command.by, event: 'passed', detail: { offer: offer.id, ...(reason ? { reason } : {}) } }],
      };
    }
    case 'expire': {
      const offer = currentOffer(command.offerId, command.offerVersion);
      if (!offer) return stale;
      return {
        ok: true,
        lead: { state: facts.state, ownerId: null },
        offer: { id: offer.id, state: 'expired' },
        then: afterMiss(),
        effects: [{ type: 'update_offer_card', offerId: offer.id }],
        history: [{ actor: 'system', event: 'expired', detail: { offer: offer.id, rep: offer.repId } }],
      };
    }
    case 'remind': {
      const offer = currentOffer(command.offerId, command.offerVersion);
      if (!offer || offer.remindedAt !== null) return stale;
      return { ok: true, lead: { state: facts.state, ownerId: facts.ownerId }, then: null, reminded: true, effects: [{ type: 'post_reminder', offerId: offer.id }], history: [] };
    }
    case 'withdraw': {
      const offer = currentOffer(command.offerId, command.offerVersion);
      if (!offer) return stale;
      return {
        ok: true,
        lead: { state: facts.state, ownerId: null },
        offer: { id: offer.id, state: 'withdrawn', reason: command.reason },
        // A withdrawal is nobody's miss: the lead goes on to the next rep, never straight to a manager.
        then: command.reason === 'away' ? 'route_next' : null,
        effects: [{ type: 'update_offer_card', offerId: offer.id }],
        history: [{ actor: command.by, event: 'withdrawn', detail: { offer: offer.id, rep: offer.repId, reason: command.reason } }],
      };
    }
    case 'done': {
      if (facts.state !== 'claimed') return stale;
      if (facts.ownerId !== command.by && !command.byManager) return { ok: false, reason: 'not_owner' };
      return {
        ok: true,
        lead: { state: 'done', ownerId: facts.ownerId },
        then: null,
        freesCapacity: true,
        effects: [],
        history: [{ actor: command.by, event: 'done' }],
      };
    }
    case 'reassign': {
      const holder = facts.state === 'claimed' ? facts.ownerId : facts.state === 'offered' ? (pending?.repId ?? null) : null;
      const isHolder = holder !== null && holder === command.by;
      if (!command.byManager && !isHolder) return { ok: false, reason: 'not_owner' };
      if (!command.repKnown) return { ok: false, reason: 'unknown_rep' };
      if (facts.state === 'done' || facts.state === 'received') return stale;
      if (facts.state === 'claimed' && facts.ownerId === command.repId) return { ok: false, reason: 'same_owner' };
      const effects: OfferEffect[] = [{ type: 'dm_assigned', leadId: facts.id, repId: command.repId, by: command.by }];
      if (facts.state === 'claimed' && facts.ownerId && facts.ownerId !== command.by) {
        effects.push({ type: 'dm_reassigned_away', leadId: facts.id, repId: facts.ownerId, by: command.by, to: command.repId });
      }
      if (facts.state === 'escalated' || facts.state === 'queued') effects.push({ type: 'update_escalation', leadId: facts.id });
      return {
        ok: true,
        lead: { state: 'claimed', ownerId: command.repId },
        ...(pending ? { offer: { id: pending.id, state: 'withdrawn' as const, reason: 'reassigned' } } : {}),
        then: null,
        freesCapacity: facts.state === 'claimed',
        effects: pending ? [{ type: 'update_offer_card', offerId: pending.id }, ...effects] : effects,
        history: [{ actor: command.by, event: 'reassigned', detail: { from: holder, to: command.repId, ...(command.reason ? { reason: command.reason } : {}) } }],
      };
    }
    case 'take':
    case 'assign': {
      if (!command.byManager) return { ok: false, reason: 'not_manager' };
      if (command.leadVersion !== facts.version || (facts.state !== 'escalated' && facts.state !== 'queued')) return stale;
      const owner = command.type === 'take' ? command.by : command.repId;
      if (command.type === 'assign' && !command.repKnown) return { ok: false, reason: 'unknown_rep' };
      const effects: OfferEffect[] = [{ type: 'update_escalation', leadId: facts.id }];
      if (owner !== command.by) effects.push({ type: 'dm_assigned', leadId: facts.id, repId: owner, by: command.by });
      return {
        ok: true,
        lead: { state: 'claimed', ownerId: owner },
        then: null,
        effects,
        history: [{ actor: command.by, event: command.type === 'take' ? 'claimed' : 'assigned', detail: { owner } }],
      };
    }
  }
}
