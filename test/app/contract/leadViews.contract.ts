import { describe, expect, it } from 'vitest';
import { ROUTING_YAML, routingConfig } from '../../support/routingConfig.ts';
import type { StoreFactory } from './stores.ts';
import { closeStoresAfterEach, useCasesOn } from './useCases.ts';

const MINUTE = 60_000;

/** What `/leads`, `/leads team`, `/leads stats` and the App Home show, from the store's read models. */
export function leadViewsContract(factory: StoreFactory): void {
  describe('lead views', () => {
    closeStoresAfterEach();

    it('shows a rep their offers and open leads, and their stats', async () => {
      const t = await useCasesOn(factory, { config: routingConfig(ROUTING_YAML.replace('capacity: 1', 'capacity: 5')) });
      const claimed = await t.add({ email: 'one@beta.io', name: 'One', score: 90 });
      const offer = (await t.pending(claimed))!;
      t.clock.advance(MINUTE);
      await t.lifecycle.onCard({ type: 'claim', offerId: offer.id, offerVersion: offer.version, by: 'U0ALICE' });
      const waiting = await t.add({ email: 'two@beta.io', name: 'Two', score: 90 });
      const mine = await t.views.myLeads('U0ALICE');
      expect(mine.openLeads).toMatchObject([{ leadId: claimed, ref: `L-${claimed}`, lead: { name: 'One' }, claimedAt: t.clock.now() }]);
      expect(mine.pendingOffers).toMatchObject([{ leadId: waiting, offerId: (await t.pending(waiting))!.id, attempt: 1 }]);
      const stats = await t.views.repStats(t.config, t.clock.now(), ['U0ALICE']);
      expect(stats.reps).toEqual([{ repId: 'U0ALICE', name: 'Alice', last7d: { offered: 2, claimed: 1, passed: 0, expired: 0, medianClaimMs: MINUTE }, last30d: { offered: 2, claimed: 1, passed: 0, expired: 0, medianClaimMs: MINUTE } }]);
      const home = await t.views.appHome(t.config, 'U0ALICE', t.clock.now());
      expect(home).toMatchObject({ userId: 'U0ALICE', rep: { away: null, outsideHours: false, openLeads: [{ leadId: claimed }] }, teamBoard: null });
    });

    it('shows managers the queue, the escalations and each rep\'s load', async () => {
      const t = await useCasesOn(factory);
      const hot = await t.add({ email: 'one@beta.io', score: 90 });
      await t.expireRounds(3);
      await t.availability.setAway('U0BOB', null, 'U0MGR');
      await t.availability.setAway('U0CAROL', null, 'U0MGR');
      await t.availability.setAway('U0DAN', null, 'U0MGR');
      await t.availability.setAway('U0ALICE', null, 'U0MGR');
      const queued = await t.add({ email: 'two@beta.io', score: 50 });
      const board = await t.views.teamBoard(t.config, t.clock.now(), 'U0MGR');
      expect(board.escalated).toMatchObject([{ leadId: hot, reason: 'max_offers', pings: 1 }]);
      expect(board.queued).toMatchObject([{ leadId: queued, teamId: 'sdr', escalated: true }]);
      expect([board.queuedCount, board.escalatedCount]).toEqual([1, 1]);
      const bob = board.teams.find((team) => team.teamId === 'sdr')?.reps.find((rep) => rep.repId === 'U0BOB');
      expect(bob).toMatchObject({ away: { until: null }, pendingOffers: 0, openLeads: 0, offersToday: 1 });
      expect((await t.views.appHome(t.config, 'U0MGR', t.clock.now())).teamBoard?.queuedCount).toBe(1);
    });
  });
}
