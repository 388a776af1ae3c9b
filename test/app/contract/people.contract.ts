import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './stores.ts';
import { closeStoresAfterEach, useCasesOn } from './useCases.ts';

const HOUR = 3_600_000;

/** Availability (`/away`, the App Home toggle) and account owners (`/owner`). */
export function peopleContract(factory: StoreFactory): void {
  describe('availability', () => {
    closeStoresAfterEach();

    it('takes a rep out of rotation and moves their pending offers on in the same transaction, telling it after the commit', async () => {
      const t = await useCasesOn(factory);
      const ids = [await t.add({ email: 'one@beta.io', score: 90 }), await t.add({ email: 'two@beta.io', score: 90 })];
      expect(await t.availability.setAway('U0ALICE', t.clock.now() + HOUR, 'U0ALICE')).toBe(2);
      expect(await t.availability.state('U0ALICE')).toEqual({ away: true, until: t.clock.now() + HOUR });
      for (const id of ids) expect((await t.offers(id)).map((o) => [o.repId, o.state, o.reason])).toEqual([['U0ALICE', 'withdrawn', 'away'], [expect.stringMatching(/U0BOB|U0CAROL/), 'pending', null]]);
      expect(t.told()).toEqual(['lead.received', 'lead.offered', 'lead.received', 'lead.offered', 'lead.withdrawn', 'lead.offered', 'lead.withdrawn', 'lead.offered']);
    });

    it('withdraws nothing and tells nothing when going away fails half-way', async () => {
      let offersMade = 0;
      const t = await useCasesOn(factory, {
        decorate: (repositories) => ({
          ...repositories,
          routing: {
            ...repositories.routing,
            recordOfferMade: async (repId, now) => {
              offersMade += 1;
              if (offersMade === 4) throw new Error('disk says no');
              return repositories.routing.recordOfferMade(repId, now);
            },
          },
        }),
      });
      const ids = [await t.add({ email: 'one@beta.io', score: 90 }), await t.add({ email: 'two@beta.io', score: 90 })];
      const toldBefore = t.told();
      // The first offer moves on, the second one's next offer fails: the whole change is rolled back.
      await expect(t.availability.setAway('U0ALICE', null, 'U0ALICE')).rejects.toThrow('disk says no');
      expect(await t.availability.state('U0ALICE')).toEqual({ away: false });
      for (const id of ids) expect((await t.offers(id)).map((o) => o.state)).toEqual(['pending']);
      expect(t.told()).toEqual(toldBefore);
    });

    it('brings a rep back by hand or at the time they gave, offering them queued leads', async () => {
      const t = await useCasesOn(factory);
      for (const rep of ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAN']) await t.availability.setAway(rep, rep === 'U0CAROL' ? t.clock.now() + HOUR : null, 'U0MGR');
      const id = await t.add({ email: 'one@beta.io', score: 50 });
      expect((await t.lead(id))?.state).toBe('queued');
      expect(await t.availability.setBack('U0BOB', 'U0BOB')).toBe(true);
      expect(await t.availability.setBack('U0BOB', 'U0BOB')).toBe(false);
      expect((await t.pending(id))?.repId).toBe('U0BOB');
      t.clock.advance(HOUR);
      expect(await t.availability.returnDue()).toBe(1);
      expect(await t.availability.returnDue()).toBe(0);
      expect(await t.availability.state('U0CAROL')).toEqual({ away: false });
      expect(await t.availability.state('U0ALICE')).toEqual({ away: true, until: null });
      expect((await t.deliverAll()).map((row) => row.effect).filter((e) => e.type === 'post_message')).toEqual([{ type: 'post_message', channel: 'U0CAROL', text: "👋 You're back in rotation: new leads can come your way again." }]);
    });
  });

  describe('account owners', () => {
    closeStoresAfterEach();

    it('shows the config\'s owner until one is set at runtime, and a cleared one hides it', async () => {
      const t = await useCasesOn(factory);
      expect(await t.accountOwners.get('acme.com')).toEqual({ owner: 'U0CAROL', source: 'config' });
      expect(await t.accountOwners.get('beta.io')).toEqual({ owner: null, source: 'none' });
      await t.accountOwners.set('acme.com', 'U0BOB', 'U0MGR');
      expect(await t.accountOwners.get('acme.com')).toEqual({ owner: 'U0BOB', source: 'runtime', setBy: 'U0MGR', setAt: t.clock.now() });
      expect((await t.pending(await t.add({ email: 'jane@acme.com', score: 50 })))?.repId).toBe('U0BOB');
      await t.accountOwners.set('acme.com', null, 'U0MGR');
      expect(await t.accountOwners.get('acme.com')).toMatchObject({ owner: null, source: 'cleared' });
      expect((await t.lead(await t.add({ email: 'joe@acme.com', score: 50 })))?.routedBy).toBe('fallback');
    });
  });
}
