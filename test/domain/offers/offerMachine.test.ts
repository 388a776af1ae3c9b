import { describe, expect, it } from 'vitest';
import { decideOffer, type LeadFacts } from '../../../src/domain/offers/offerMachine.ts';

const offered: LeadFacts = {
  id: 17,
  state: 'offered',
  version: 3,
  ownerId: null,
  offersMade: 1,
  pendingOffer: { id: 5, repId: 'U0ALICE', version: 0, deadlineAt: 1000, remindAt: 500, remindedAt: null },
};
const escalated: LeadFacts = { ...offered, state: 'escalated', offersMade: 3, pendingOffer: null };

describe('decideOffer', () => {
  describe('claim', () => {
    it('makes the offered rep the owner and updates the card', () => {
      expect(decideOffer(offered, { type: 'claim', offerId: 5, offerVersion: 0, by: 'U0ALICE' }, 3)).toEqual({
        ok: true,
        lead: { state: 'claimed', ownerId: 'U0ALICE' },
        offer: { id: 5, state: 'claimed' },
        then: null,
        effects: [{ type: 'update_offer_card', offerId: 5 }],
        history: [{ actor: 'U0ALICE', event: 'claimed', detail: { offer: 5 } }],
      });
    });

    it('does nothing for a click on an older version of the offer', () => {
      expect(decideOffer(offered, { type: 'claim', offerId: 5, offerVersion: 1, by: 'U0ALICE' }, 3)).toEqual({ ok: false, reason: 'stale' });
    });

    it('does nothing for a click on an offer that is no longer pending', () => {
      expect(decideOffer({ ...offered, pendingOffer: null }, { type: 'claim', offerId: 5, offerVersion: 0, by: 'U0ALICE' }, 3)).toEqual({ ok: false, reason: 'stale' });
      expect(decideOffer({ ...offered, state: 'claimed' }, { type: 'claim', offerId: 5, offerVersion: 0, by: 'U0ALICE' }, 3)).toEqual({ ok: false, reason: 'stale' });
    });

    it('refuses someone else clicking the card', () => {
      expect(decideOffer(offered, { type: 'claim', offerId: 5, offerVersion: 0, by: 'U0BOB' }, 3)).toEqual({ ok: false, reason: 'not_yours' });
    });
  });

  describe('pass and expire', () => {
    it('moves the lead on to the next rep while offers remain', () => {
      const outcome = decideOffer(offered, { type: 'pass', offerId: 5, offerVersion: 0, by: 'U0ALICE', reason: ' on holiday ' }, 3);
      expect(outcome).toMatchObject({ ok: true, offer: { id: 5, state: 'passed', reason: 'on holiday' }, then: 'route_next' });
      expect(outcome).toMatchObject({ history: [{ actor: 'U0ALICE', event: 'passed', detail: { offer: 5, reason: 'on holiday' } }] });
    });

    it('escalates once max_offers offers were made', () => {
      expect(decideOffer({ ...offered, offersMade: 3 }, { type: 'expire', offerId: 5, offerVersion: 0 }, 3)).toMatchObject({
        ok: true,
        offer: { id: 5, state: 'expired' },
        then: 'escalate',
        history: [{ actor: 'system', event: 'expired', detail: { offer: 5, rep: 'U0ALICE' } }],
      });
    });

    it('ignores a deadline that fires after the offer was claimed', () => {
      expect(decideOffer({ ...offered, state: 'claimed', pendingOffer: null }, { type: 'expire', offerId: 5, offerVersion: 0 }, 3)).toEqual({ ok: false, reason: 'stale' });
    });
  });

  describe('remind', () => {
    it('posts one reminder', () => {
      expect(decideOffer(offered, { type: 'remind', offerId: 5, offerVersion: 0 }, 3)).toMatchObject({ ok: true, reminded: true, effects: [{ type: 'post_reminder', offerId: 5 }] });
      const reminded = { ...offered, pendingOffer: { ...offered.pendingOffer!, remindedAt: 600 } };
      expect(decideOffer(reminded, { type: 'remind', offerId: 5, offerVersion: 0 }, 3)).toEqual({ ok: false, reason: 'stale' });
    });
  });

  describe('escalation', () => {
    it('lets a manager take the lead', () => {
      expect(decideOffer(escalated, { type: 'take', leadVersion: 3, by: 'U0MGR', byManager: true }, 3)).toMatchObject({
        ok: true,
        lead: { state: 'claimed', ownerId: 'U0MGR' },
        effects: [{ type: 'update_escalation', leadId: 17 }],
      });
    });

    it('lets a manager assign a rep, who is told by DM', () => {
      expect(decideOffer(escalated, { type: 'assign', leadVersion: 3, by: 'U0MGR', byManager: true, repId: 'U0BOB', repKnown: true }, 3)).toMatchObject({
        ok: true,
        lead: { state: 'claimed', ownerId: 'U0BOB' },
        effects: [{ type: 'update_escalation', leadId: 17 }, { type: 'dm_assigned', leadId: 17, repId: 'U0BOB', by: 'U0MGR' }],
        history: [{ actor: 'U0MGR', event: 'assigned', detail: { owner: 'U0BOB' } }],
      });
    });

    it('refuses people who are not managers', () => {
      expect(decideOffer(escalated, { type: 'take', leadVersion: 3, by: 'U0ALICE', byManager: false }, 3)).toEqual({ ok: false, reason: 'not_manager' });
    });

    it('refuses an unknown rep', () => {
      expect(decideOffer(escalated, { type: 'assign', leadVersion: 3, by: 'U0MGR', byManager: true, repId: 'U0X', repKnown: false }, 3)).toEqual({ ok: false, reason: 'unknown_rep' });
    });

    it('does nothing for an escalation that was already handled', () => {
      expect(decideOffer({ ...escalated, state: 'claimed', version: 4 }, { type: 'take', leadVersion: 3, by: 'U0MGR', byManager: true }, 3)).toEqual({ ok: false, reason: 'stale' });
    });
  });
});
