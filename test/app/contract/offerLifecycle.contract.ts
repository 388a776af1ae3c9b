import { describe, expect, it } from 'vitest';
import { expireOffers } from '../../../src/app/offerLifecycle.ts';
import type { Effect } from '../../../src/domain/effects.ts';
import { ROUTING_YAML, routingConfig } from '../../support/routingConfig.ts';
import type { StoreFactory } from './stores.ts';
import { closeStoresAfterEach, useCasesOn, type UseCasesUnderTest } from './useCases.ts';

const MINUTE = 60_000;
/** The shared config, with a CRM write-back receiver. */
const WITH_CRM = routingConfig(`${ROUTING_YAML}webhooks:\n  - { url: "https://crm.example.com/hook" }\n`);

const card = async (t: UseCasesUnderTest, leadId: number) => {
  const pending = await t.pending(leadId);
  if (!pending) throw new Error(`L-${leadId} has no pending offer`);
  return pending;
};
const types = (effects: Effect[]) => effects.map((effect) => (effect.type === 'webhook' ? `webhook ${effect.event}` : effect.type));
const delivered = async (t: UseCasesUnderTest) => types((await t.deliverAll()).map((row) => row.effect));

/** The offer lifecycle: claim, pass, expire, remind, withdraw, escalate, take, assign, reassign, done. */
export function offerLifecycleContract(factory: StoreFactory): void {
  describe('offer lifecycle', () => {
    closeStoresAfterEach();

    it('lets the offered rep claim the lead: owner, history, the card updated first for the clicker, the CRM told', async () => {
      const t = await useCasesOn(factory, { config: WITH_CRM });
      const id = await t.add({ email: 'jane@beta.io', score: 90 });
      expect(await delivered(t)).toEqual(['post_offer_card']);
      const offer = await card(t, id);
      const click = { responseUrl: 'https://hooks.slack.example/r/1', message: { channel: 'D0ALICE', ts: '1.1' } };
      const result = await t.lifecycle.onCard({ type: 'claim', offerId: offer.id, offerVersion: offer.version, by: 'U0ALICE' }, click);
      expect(result).toMatchObject({ ok: true, leadId: id, ref: `L-${id}`, events: [{ event: 'lead.claimed', rep: 'U0ALICE', offerOutcome: 'claimed', firstOwner: true }] });
      expect(await t.lead(id)).toMatchObject({ state: 'claimed', ownerId: 'U0ALICE', claimedAt: t.clock.now(), firstOwnedAt: t.clock.now() });
      expect((await t.offers(id))[0]).toMatchObject({ state: 'claimed', channelId: 'D0ALICE', messageTs: '1.1' });
      const rows = await t.deliverAll();
      expect(rows.map((row) => [row.effect.type, row.priority])).toEqual([['update_offer_card', 0], ['webhook', 1]]);
      expect(await t.uow.read((tx) => tx.outbox.usableResponseUrl(`offer:${offer.id}`, t.clock.now()))).toMatchObject({ url: 'https://hooks.slack.example/r/1', uses: 0 });
      expect(await t.historyOf(id)).toEqual(['received', 'routed', 'offered', 'claimed']);
      expect(t.told()).toEqual(['lead.received', 'lead.offered', 'lead.claimed']);
    });

    it('refuses a claim by someone else, and a stale click, changing nothing but where the clicker is answered', async () => {
      const t = await useCasesOn(factory);
      const id = await t.add({ email: 'jane@beta.io', score: 90 });
      const offer = await card(t, id);
      expect(await t.lifecycle.onCard({ type: 'claim', offerId: offer.id, offerVersion: offer.version, by: 'U0BOB' })).toMatchObject({ ok: false, reason: 'not_yours', whereabouts: { kind: 'offered', repId: 'U0ALICE' } });
      const click = { responseUrl: 'https://hooks.slack.example/r/2', message: { channel: 'D0ALICE', ts: '1.1' } };
      expect(await t.lifecycle.onCard({ type: 'claim', offerId: offer.id, offerVersion: offer.version + 1, by: 'U0ALICE' }, click)).toMatchObject({ ok: false, reason: 'stale' });
      expect(await t.lead(id)).toMatchObject({ state: 'offered', ownerId: null, version: 1 });
      // The stale click's URL is kept, one use promised to the ephemeral answer.
      expect(await t.uow.read((tx) => tx.outbox.usableResponseUrl(`offer:${offer.id}`, t.clock.now()))).toMatchObject({ uses: 1 });
    });

    it('answers stale and stores nothing when a compare-and-set loses to a concurrent change', async () => {
      let lose = false;
      const t = await useCasesOn(factory, {
        decorate: (repositories) => ({ ...repositories, leads: { ...repositories.leads, setState: async (change) => !lose && repositories.leads.setState(change) } }),
      });
      const id = await t.add({ email: 'jane@beta.io', score: 90 });
      const offer = await card(t, id);
      lose = true;
      expect(await t.lifecycle.onCard({ type: 'claim', offerId: offer.id, offerVersion: offer.version, by: 'U0ALICE' })).toMatchObject({ ok: false, reason: 'stale', leadId: id });
      expect((await t.offers(id))[0]).toMatchObject({ state: 'pending', version: 0 });
      expect(await t.historyOf(id)).toEqual(['received', 'routed', 'offered']);
      expect(t.told()).toEqual(['lead.received', 'lead.offered']);
    });

    it('moves a passed lead on to the next eligible rep, telling the pass before the new offer', async () => {
      const t = await useCasesOn(factory);
      const id = await t.add({ email: 'jane@beta.io', score: 50 });
      const first = await card(t, id);
      const result = await t.lifecycle.onCard({ type: 'pass', offerId: first.id, offerVersion: first.version, by: first.repId, reason: ' Not my territory ' });
      expect(result).toMatchObject({ ok: true, then: { kind: 'rep' } });
      expect((await t.offers(id)).map((o) => [o.repId, o.state, o.reason])).toEqual([[first.repId, 'passed', 'Not my territory'], [expect.not.stringMatching(first.repId), 'pending', null]]);
      expect(t.told()).toEqual(['lead.received', 'lead.offered', 'lead.passed', 'lead.offered']);
      // The next rep's card goes out before the old card's update.
      expect(await delivered(t)).toEqual(['post_offer_card', 'post_offer_card', 'update_offer_card']);
    });

    it('expires offers past their deadline down the chain, then escalates after max_offers', async () => {
      const t = await useCasesOn(factory, { config: WITH_CRM });
      // Hot: Alice (senior), then the fallback team's two reps, then a manager.
      const id = await t.add({ email: 'jane@beta.io', score: 90 });
      expect(await t.lifecycle.expireBatch(100)).toBe(0);
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        t.clock.advance(5 * MINUTE);
        expect(await t.lifecycle.expireBatch(100)).toBe(1);
      }
      expect(await t.lead(id)).toMatchObject({ state: 'escalated' });
      expect((await t.offers(id)).map((o) => o.state)).toEqual(['expired', 'expired', 'expired']);
      expect(await t.uow.read((tx) => tx.leads.escalation(id))).toMatchObject({ reason: 'max_offers', pings: 1 });
      expect(t.told().slice(-2)).toEqual(['lead.expired', 'lead.escalated']);
      expect(await delivered(t)).toContain('post_escalation');
      expect(await delivered(t)).toEqual([]);
      expect(await t.uow.read((tx) => tx.offers.nextDeadlineAt())).toBeNull();
    });

    it('expires a batch in one go, and only what is due', async () => {
      const t = await useCasesOn(factory);
      const ids = [];
      for (let i = 0; i < 4; i += 1) ids.push(await t.add({ email: `b${i}@beta.io`, score: 50 }));
      t.clock.advance(MINUTE);
      const late = await t.add({ email: 'late@beta.io', score: 50 });
      t.clock.advance(4 * MINUTE);
      expect(await t.uow.read((tx) => tx.offers.nextDeadlineAt())).toBe(t.clock.now());
      expect(await t.lifecycle.expireBatch(3)).toBe(3);
      expect(await t.lifecycle.expireBatch(100)).toBe(1);
      expect((await t.offers(late)).map((o) => o.state)).toEqual(['pending']);
    });

    it('expires a batch with one set-based update: each offer re-offered exactly once, a claimed one left alone', async () => {
      const calls = { resolve: 0, resolveMany: 0 };
      const t = await useCasesOn(factory, {
        decorate: (repositories) => ({
          ...repositories,
          offers: {
            ...repositories.offers,
            resolve: (change) => {
              calls.resolve += 1;
              return repositories.offers.resolve(change);
            },
            resolveMany: (change) => {
              calls.resolveMany += 1;
              return repositories.offers.resolveMany(change);
            },
          },
        }),
      });
      const ids = [];
      for (let i = 0; i < 5; i += 1) ids.push(await t.add({ email: `x${i}@beta.io`, score: 50 }));
      const claimed = ids[2] as number;
      const offer = await card(t, claimed);
      expect((await t.lifecycle.onCard({ type: 'claim', offerId: offer.id, offerVersion: offer.version, by: offer.repId })).ok).toBe(true);
      await t.deliverAll();
      const before = { resolve: calls.resolve, resolveMany: calls.resolveMany };
      t.clock.advance(5 * MINUTE);
      expect(await t.lifecycle.expireBatch(100)).toBe(4);
      expect({ resolve: calls.resolve - before.resolve, resolveMany: calls.resolveMany - before.resolveMany }).toEqual({ resolve: 0, resolveMany: 1 });
      for (const id of ids.filter((id) => id !== claimed)) {
        const offers = await t.offers(id);
        expect(offers.map((o) => o.state)).toEqual(['expired', 'pending']);
        expect(offers[1]?.repId).not.toBe(offers[0]?.repId);
        expect((await t.historyOf(id)).slice(-4)).toEqual(['offered', 'expired', 'routed', 'offered']);
      }
      expect(await t.lead(claimed)).toMatchObject({ state: 'claimed', ownerId: offer.repId });
      expect((await t.offers(claimed)).map((o) => o.state)).toEqual(['claimed']);
      // Each expired lead: the new card, and the old card updated (no longer claimable); the claimed lead: nothing.
      const rows = await t.deliverAll();
      for (const id of ids) expect(rows.filter((row) => row.leadId === id).map((row) => row.effect.type).sort()).toEqual(id === claimed ? [] : ['post_offer_card', 'update_offer_card']);
      expect(await t.lifecycle.expireBatch(100)).toBe(0);
    });

    it("writes a batch of expiries set-based: each lead's history in order, its cards in lane order, a lead changed meanwhile not offered", async () => {
      const single: string[] = [];
      const many: string[] = [];
      let staleLead: number | null = null;
      const t = await useCasesOn(factory, {
        decorate: (repositories) => {
          const count = <T extends object>(name: string, repo: T, names: string[], into: string[]): T => {
            const wrapped = { ...repo } as Record<string, unknown>;
            for (const method of names) {
              const original = (repo as Record<string, (...args: unknown[]) => unknown>)[method] as (...args: unknown[]) => unknown;
              wrapped[method] = (...args: unknown[]) => {
                into.push(`${name}.${method}`);
                return original.apply(repo, args);
              };
            }
            return wrapped as T;
          };
          const leads = count('leads', count('leads', repositories.leads, ['appendHistory', 'applyRouting', 'setState', 'get', 'getState'], single), ['appendHistoryMany', 'applyRoutingMany'], many);
          return {
            ...repositories,
            // A lead changed between the batch's read and its write: its version read is one behind.
            leads: { ...leads, getMany: async (ids) => (await repositories.leads.getMany(ids)).map((lead) => (lead.id === staleLead ? { ...lead, version: lead.version - 1 } : lead)) },
            offers: count('offers', count('offers', repositories.offers, ['create', 'resolve'], single), ['createMany'], many),
            routing: count('routing', repositories.routing, ['saveRoundRobin', 'recordOfferMade'], single),
            outbox: count('outbox', count('outbox', repositories.outbox, ['enqueue'], single), ['enqueueMany'], many),
          };
        },
      });
      const ids = [];
      for (let i = 0; i < 4; i += 1) ids.push(await t.add({ email: `z${i}@beta.io`, score: 50 }));
      await t.deliverAll();
      staleLead = ids[3] as number;
      const firstOffers = await Promise.all(ids.map((id) => card(t, id)));
      single.length = 0;
      many.length = 0;
      t.clock.advance(5 * MINUTE);
      expect(await t.lifecycle.expireBatch(100)).toBe(4);
      // No write of one row: one statement per kind of row for the whole batch.
      expect(single).toEqual([]);
      expect(many.sort()).toEqual(['leads.appendHistoryMany', 'leads.appendHistoryMany', 'leads.applyRoutingMany', 'offers.createMany', 'outbox.enqueueMany', 'outbox.enqueueMany']);
      for (const [i, id] of ids.entries()) {
        const history = await t.write((tx) => tx.leads.history(id));
        const offers = await t.offers(id);
        const first = firstOffers[i] as Awaited<ReturnType<typeof card>>;
        if (id === staleLead) {
          // Expired, but not routed on a version that moved on: no second offer.
          expect(history.map((entry) => entry.event)).toEqual(['received', 'routed', 'offered', 'expired']);
          expect(offers.map((o) => o.state)).toEqual(['expired']);
          continue;
        }
        const next = offers[1] as (typeof offers)[number];
        expect(offers.map((o) => o.state)).toEqual(['expired', 'pending']);
        expect(history.slice(3)).toEqual([
          { at: t.clock.now(), actor: 'system', event: 'expired', detail: { offer: first.id, rep: first.repId } },
          { at: t.clock.now(), actor: 'system', event: 'routed', detail: expect.objectContaining({ to: next.repId }) },
          { at: t.clock.now(), actor: 'system', event: 'offered', detail: { rep: next.repId, attempt: 2, why: next.why } },
        ]);
        expect(await t.write((tx) => tx.leads.trace(id))).toMatchObject({ outcome: { kind: 'rep', repId: next.repId } });
      }
      // Each lead's rows in the order a lone expiry writes them: the next card, then the old card's update.
      const rows = await t.deliverAll();
      for (const id of ids) {
        const own = rows.filter((row) => row.leadId === id).sort((a, b) => a.id - b.id).map((row) => row.effect.type);
        expect(own).toEqual(id === staleLead ? ['update_offer_card'] : ['post_offer_card', 'update_offer_card']);
      }
      const posts = rows.filter((row) => row.effect.type === 'post_offer_card').sort((a, b) => a.id - b.id);
      expect(posts.map((row) => row.leadId)).toEqual(ids.filter((id) => id !== staleLead));
      expect(t.told().slice(-7)).toEqual(['lead.expired', 'lead.expired', 'lead.expired', 'lead.expired', 'lead.offered', 'lead.offered', 'lead.offered']);
    });

    it('expires only the offers of a taken batch that are still pending at the version taken', async () => {
      const t = await useCasesOn(factory);
      const ids = [];
      for (let i = 0; i < 3; i += 1) ids.push(await t.add({ email: `y${i}@beta.io`, score: 50 }));
      t.clock.advance(5 * MINUTE);
      // Taken in a transaction of its own (it locks them on PostgreSQL), which ends before the click.
      const due = await t.write((tx) => tx.offers.takeDueDeadlines(t.clock.now(), 100));
      expect(due.map((d) => d.leadId)).toEqual(ids);
      // After the batch was taken: a click claims the first, the second's version is not the one taken.
      const first = await card(t, ids[0] as number);
      expect((await t.lifecycle.onCard({ type: 'claim', offerId: first.id, offerVersion: first.version, by: first.repId })).ok).toBe(true);
      const stale = due.map((d, i) => (i === 1 ? { ...d, version: d.version + 1 } : d));
      const ctx = { clock: t.clock, settings: () => t.config, events: t.events, router: t.router };
      expect(await t.write((tx) => expireOffers(ctx, tx, stale))).toEqual({ applied: 1, freesCapacity: false });
      expect((await t.offers(ids[0] as number)).map((o) => o.state)).toEqual(['claimed']);
      expect((await t.offers(ids[1] as number)).map((o) => o.state)).toEqual(['pending']);
      expect((await t.offers(ids[2] as number)).map((o) => o.state)).toEqual(['expired', 'pending']);
      expect(await t.historyOf(ids[1] as number)).toEqual(['received', 'routed', 'offered']);
    });

    it('posts the reminder once, at remind_at, and its update once the offer ended', async () => {
      const t = await useCasesOn(factory);
      const id = await t.add({ email: 'jane@beta.io', score: 90 });
      await t.deliverAll();
      t.clock.advance(2.5 * MINUTE);
      expect(await t.lifecycle.remindDue()).toBe(1);
      expect(await t.lifecycle.remindDue()).toBe(0);
      expect(await delivered(t)).toEqual(['post_reminder']);
      const offer = await card(t, id);
      await t.lifecycle.onCard({ type: 'claim', offerId: offer.id, offerVersion: offer.version, by: 'U0ALICE' });
      expect(await delivered(t)).toEqual(['update_offer_card', 'update_reminder']);
    });

    it('lets the owner mark a lead done, refusing anyone else; a manager may', async () => {
      const t = await useCasesOn(factory);
      const id = await t.add({ email: 'jane@beta.io', score: 90 });
      const offer = await card(t, id);
      await t.lifecycle.onCard({ type: 'claim', offerId: offer.id, offerVersion: offer.version, by: 'U0ALICE' });
      expect(await t.lifecycle.done(id, 'U0BOB', false)).toMatchObject({ ok: false, reason: 'not_owner' });
      expect(await t.lifecycle.done(id, 'U0MGR', true)).toMatchObject({ ok: true, freesCapacity: true, events: [{ event: 'lead.done' }] });
      expect(await t.lead(id)).toMatchObject({ state: 'done', doneAt: t.clock.now() });
      expect(await t.lifecycle.done(id, 'U0ALICE', false)).toMatchObject({ ok: false, reason: 'stale', whereabouts: { kind: 'done', repId: 'U0ALICE' } });
    });

    it('reassigns a claimed lead: both reps told, the old card says it moved on', async () => {
      const t = await useCasesOn(factory, { config: WITH_CRM });
      const id = await t.add({ email: 'jane@beta.io', score: 90 });
      const offer = await card(t, id);
      await t.lifecycle.onCard({ type: 'claim', offerId: offer.id, offerVersion: offer.version, by: 'U0ALICE' });
      await t.deliverAll();
      expect(await t.lifecycle.reassign(id, { by: 'U0MGR', byManager: true, repId: 'U0BOB', repKnown: true, reason: 'vacation' })).toMatchObject({ ok: true, events: [{ event: 'lead.reassigned', from: 'U0ALICE', rep: 'U0BOB' }] });
      expect(await t.lead(id)).toMatchObject({ state: 'claimed', ownerId: 'U0BOB' });
      // The DMs keep their order (one lane); the card update and the CRM do not wait for them.
      expect(await delivered(t)).toEqual(['webhook lead.reassigned', 'dm_assigned', 'update_offer_card', 'dm_reassigned_away']);
      expect(await t.lifecycle.reassign(id, { by: 'U0MGR', byManager: true, repId: 'U0BOB', repKnown: true, reason: null })).toMatchObject({ ok: false, reason: 'same_owner' });
      expect(await t.lifecycle.reassign(id, { by: 'U0CAROL', byManager: false, repId: 'U0CAROL', repKnown: true, reason: null })).toMatchObject({ ok: false, reason: 'not_owner' });
    });

    it('lets a manager take or assign an escalated lead in one click; the escalation message follows', async () => {
      const t = await useCasesOn(factory);
      const ids = [await t.add({ email: 'one@beta.io', score: 90 }), await t.add({ email: 'two@beta.io', score: 90 })];
      await t.expireRounds(3);
      await t.deliverAll();
      const [one, two] = await Promise.all(ids.map((id) => t.lead(id)));
      expect(await t.lifecycle.onEscalation(ids[0]!, { type: 'take', leadVersion: one!.version, by: 'U0BOB', byManager: false })).toMatchObject({ ok: false, reason: 'not_manager' });
      expect(await t.lifecycle.onEscalation(ids[0]!, { type: 'take', leadVersion: one!.version, by: 'U0MGR', byManager: true })).toMatchObject({ ok: true, events: [{ event: 'lead.claimed', rep: 'U0MGR', firstOwner: true }] });
      expect(await t.lifecycle.onEscalation(ids[1]!, { type: 'assign', leadVersion: two!.version, by: 'U0MGR', byManager: true, repId: 'U0CAROL', repKnown: true })).toMatchObject({ ok: true });
      expect(await t.lead(ids[1]!)).toMatchObject({ state: 'claimed', ownerId: 'U0CAROL' });
      expect(await delivered(t)).toEqual(['update_escalation', 'update_escalation', 'dm_assigned']);
      // Handled: nothing to re-ping.
      t.clock.advance(10 * MINUTE);
      expect(await t.lifecycle.repingDue()).toBe(0);
    });

    it('re-pings an escalation nobody handled, every claim_within', async () => {
      const t = await useCasesOn(factory);
      const id = await t.add({ email: 'one@beta.io', score: 90 });
      await t.expireRounds(3);
      expect(await t.lifecycle.repingDue()).toBe(0);
      t.clock.advance(5 * MINUTE);
      expect(await t.lifecycle.repingDue()).toBe(1);
      expect(await t.lifecycle.repingDue()).toBe(0);
      expect(await t.uow.read((tx) => tx.leads.escalation(id))).toMatchObject({ pings: 2 });
      expect((await t.deliverAll()).map((row) => row.effect.type)).toContain('reping_escalation');
    });

    it('ends an offer whose card Slack refused for good, and records why', async () => {
      const t = await useCasesOn(factory);
      const id = await t.add({ email: 'jane@beta.io', score: 50 });
      const first = await card(t, id);
      await t.events.publish({ type: 'deliveryFailed', leadId: id, effect: { type: 'post_offer_card', offerId: first.id }, error: 'user_not_found' });
      expect((await t.offers(id)).map((o) => o.state)).toEqual(['expired', 'pending']);
      expect((await card(t, id)).repId).not.toBe(first.repId);
      expect(await t.historyOf(id)).toEqual(['received', 'routed', 'offered', 'delivery_failed', 'expired', 'routed', 'offered']);
    });

    it('notes a duplicate on the card of whoever holds the lead', async () => {
      const t = await useCasesOn(factory);
      const id = await t.add({ email: 'jane@beta.io', score: 50 });
      await t.deliverAll();
      const offer = await card(t, id);
      await t.write((tx) => t.lifecycle.noteSeenAgain(tx, id, 'seen again via LinkedIn', t.clock.now()));
      expect((await t.deliverAll()).map((row) => row.effect)).toEqual([{ type: 'thread_note', offerId: offer.id, text: 'seen again via LinkedIn' }]);
    });
  });
}
