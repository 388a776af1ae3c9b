import { describe, expect, it } from 'vitest';
import { createLeadEnricher } from '../../../src/app/enrichLead.ts';
import type { LeadEnrichment } from '../../../src/app/route.ts';
import { ARRIVAL_BATCH, ROUTING_SHARE_UNDER_BURST } from '../../../src/app/routeArrivals.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import { ROUTING_YAML, routingConfig } from '../../support/routingConfig.ts';
import type { StoreFactory } from './stores.ts';
import { closeStoresAfterEach, useCasesOn, type UseCasesUnderTest } from './useCases.ts';

const MINUTE = 60_000;

/** Routes a stored lead in its own transaction, as an occasion of route(tx, leadId, options) does. */
const route = (t: UseCasesUnderTest, id: number, enrichment?: LeadEnrichment) => t.uow.run((tx) => t.router.route(tx, id, { enrichment }));
const setAway = (t: UseCasesUnderTest, repId: string, until: number | null) => t.write((tx) => tx.availability.setAway(repId, until, t.clock.now(), 'test'));

/** The routing use case: route(tx, leadId, options) and the occasions for it (arrival, restart, holding queue). */
export function routeLeadContract(factory: StoreFactory): void {
  describe('routeLead', () => {
    closeStoresAfterEach();

    it('offers a lead to a rep with the SLA deadline and reminder, and records decision, trace and history in one go', async () => {
      const t = await useCasesOn(factory);
      const id = await t.received({ email: 'jane@beta.io', score: 90 });
      expect(await route(t, id)).toMatchObject({ kind: 'rep', repId: 'U0ALICE' });
      expect(await t.lead(id)).toMatchObject({ state: 'offered', teamId: 'senior', routedBy: 'Hot lead', version: 1, firstOfferedAt: t.clock.now() });
      expect(await t.uow.read((tx) => tx.leads.trace(id))).toMatchObject({ fired: { by: 'rule', name: 'Hot lead' }, outcome: { kind: 'rep', repId: 'U0ALICE' } });
      const now = t.clock.now();
      expect(await t.offers(id)).toMatchObject([{ repId: 'U0ALICE', attempt: 1, state: 'pending', offeredAt: now, deadlineAt: now + 5 * MINUTE, remindAt: now + 2.5 * MINUTE }]);
      expect(await t.historyOf(id)).toEqual(['received', 'routed', 'offered']);
      const reps = await t.uow.read((tx) => tx.routing.loadReps(t.config, ['U0ALICE'], now));
      expect(reps.get('U0ALICE')).toMatchObject({ lastOfferAt: now, offersToday: 1 });
      expect(t.told()).toEqual(['lead.offered']);
    });

    it('routes a lead only once', async () => {
      const t = await useCasesOn(factory);
      const id = await t.received({ email: 'jane@beta.io', score: 90 });
      await route(t, id);
      expect(await route(t, id)).toEqual({ kind: 'skipped', reason: 'not_routable' });
      expect(await t.offers(id)).toHaveLength(1);
    });

    it('stores the round-robin state so the team takes turns by weight', async () => {
      const t = await useCasesOn(factory);
      const got: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        const outcome = await route(t, await t.received({ email: `lead${i}@beta.io`, score: 50 }));
        if (outcome.kind === 'rep') got.push(outcome.repId);
      }
      expect(got.filter((r) => r === 'U0BOB')).toHaveLength(4);
      expect(got.filter((r) => r === 'U0CAROL')).toHaveLength(2);
    });

    it('sends the account owner set at runtime rather than the config one', async () => {
      const t = await useCasesOn(factory);
      await t.write((tx) => tx.accounts.set('acme.com', 'U0BOB', 'U0MGR', 0));
      const id = await t.received({ email: 'jane@acme.com', score: 50 });
      expect(await route(t, id)).toMatchObject({ kind: 'rep', repId: 'U0BOB' });
      expect((await t.lead(id))?.routedBy).toBe('Named account');
    });

    it('sends a cold lead to its sequence: the webhook and the channel note go to the outbox, in lanes of their own', async () => {
      const t = await useCasesOn(factory);
      const id = await t.received({ email: 'jane@beta.io', name: 'Jane', score: 10 });
      expect(await route(t, id)).toEqual({
        kind: 'sequence',
        sequenceId: 'nurture',
        event: { event: 'lead.sequenced', leadId: id, at: t.clock.now(), receivedAt: t.clock.now(), by: 'system', rule: 'Cold lead', sequence: 'nurture' },
      });
      expect(await t.lead(id)).toMatchObject({ state: 'in_sequence', sequenceId: 'nurture', routedBy: 'Cold lead' });
      // Separate lanes: the channel note does not wait for the sequence's webhook (which may be down).
      const due = await t.store.outboxQueue.claimDue({ now: t.clock.now(), limit: 10, instance: 'test', leaseMs: 60_000 });
      expect(due.map((row) => row.effect)).toMatchObject([
        { type: 'webhook', event: 'sequence', url: 'http://127.0.0.1:9/nurture', body: { event: 'lead.sequenced', sequence: 'nurture', rule: 'Cold lead', lead: { ref: `L-${id}`, email: 'jane@beta.io' } } },
        { type: 'sequence_note', channel: 'C0NURTURE', sequenceId: 'nurture', rule: 'Cold lead' },
      ]);
      expect(await t.historyOf(id)).toEqual(['received', 'sent_to_sequence']);
    });

    it('queues a lead when nobody is eligible anywhere, escalates it, and offers it the moment someone returns', async () => {
      const t = await useCasesOn(factory);
      const back = t.clock.now() + 30 * MINUTE;
      for (const rep of ['U0ALICE', 'U0BOB', 'U0CAROL']) await setAway(t, rep, back);
      await setAway(t, 'U0DAN', null);
      const id = await t.received({ email: 'jane@beta.io', score: 50 });
      expect(await route(t, id)).toEqual({
        kind: 'queued',
        teamId: 'sdr',
        event: { event: 'lead.queued', leadId: id, at: t.clock.now(), receivedAt: t.clock.now(), by: 'system', team: 'sdr', reason: 'nobody_eligible' },
      });
      expect(await t.lead(id)).toMatchObject({ state: 'queued', teamId: 'sdr' });
      expect(await t.uow.read((tx) => tx.leads.escalation(id))).toMatchObject({ reason: 'queued', pings: 1 });
      expect((await t.deliverAll()).map((row) => row.effect.type)).toEqual(['post_escalation']);
      expect(await t.router.nextQueueCheckAt()).toBe(back);
      expect(await t.router.queueCheckDue()).toBe(false);

      t.clock.advance(29 * MINUTE);
      expect(await t.router.rerouteQueued()).toBe(0);
      expect((await t.lead(id))?.state).toBe('queued');
      expect(await t.historyOf(id)).toEqual(['received', 'queued']);

      t.clock.advance(MINUTE);
      expect(await t.router.queueCheckDue()).toBe(true);
      expect(await t.router.rerouteQueued()).toBe(1);
      expect(await t.lead(id)).toMatchObject({ state: 'offered', teamId: 'sdr' });
      expect(await t.historyOf(id)).toEqual(['received', 'queued', 'routed', 'offered']);
      expect(await t.router.nextQueueCheckAt()).toBeNull();
      // Its escalation message follows the lead, and stops being re-pinged.
      expect((await t.deliverAll()).map((row) => row.effect.type)).toEqual(['update_escalation', 'post_offer_card']);
      expect(await t.uow.read((tx) => tx.leads.escalationsDue(Number.MAX_SAFE_INTEGER, 10))).toEqual([]);
    });

    it('offers a queued lead when a rep at capacity frees a slot', async () => {
      const t = await useCasesOn(factory, { config: routingConfig(ROUTING_YAML.replace('fallback: { team: sdr }', 'fallback: { rep: U0ALICE }')) });
      const first = await t.received({ email: 'one@beta.io', score: 90 });
      await route(t, first);
      const claim = await t.lifecycle.onCard({ type: 'claim', offerId: (await t.pending(first))!.id, offerVersion: 0, by: 'U0ALICE' });
      expect(claim.ok).toBe(true);
      const second = await t.received({ email: 'two@beta.io', score: 90 });
      expect(await route(t, second)).toMatchObject({ kind: 'queued' });
      expect(await t.router.nextQueueCheckAt()).toBeNull(); // time alone will not free a slot
      expect(await t.lifecycle.done(first, 'U0ALICE', false)).toMatchObject({ ok: true, freesCapacity: true });
      expect((await t.lead(second))?.state).toBe('offered');
    });

    it('decides a lead routed in the same transaction as a lead done on what that changed', async () => {
      // Alice (capacity 1) is the senior team and owns a lead; the routing of two new hot leads and
      // her "done" come at once (on SQLite, in one transaction): the lead after the "done" is hers again.
      const t = await useCasesOn(factory);
      const first = await t.add({ email: 'one@beta.io', score: 90 });
      const offer = (await t.pending(first))!;
      expect((await t.lifecycle.onCard({ type: 'claim', offerId: offer.id, offerVersion: offer.version, by: 'U0ALICE' })).ok).toBe(true);
      const [second, third] = [await t.received({ email: 'two@beta.io', score: 90 }), await t.received({ email: 'three@beta.io', score: 90 })];
      const [, done] = await Promise.all([route(t, second), t.lifecycle.done(first, 'U0ALICE', false), route(t, third)]);
      expect(done.ok).toBe(true);
      expect((await t.lead(second))?.teamId).toBe('sdr');
      expect(await t.pending(third)).toMatchObject({ repId: 'U0ALICE' });
    });

    it('routes leads that were accepted but not routed before a restart', async () => {
      const t = await useCasesOn(factory);
      const ids = [await t.received({ email: 'a@beta.io', score: 50 }), await t.received({ email: 'b@beta.io', score: 10 })];
      expect(await t.router.routeReceived()).toBe(2);
      expect(await Promise.all(ids.map(async (id) => (await t.lead(id))?.state))).toEqual(['offered', 'in_sequence']);
    });

    it('routes the leads left received past a time (an instance died before routing them), not the arrivals after it', async () => {
      const t = await useCasesOn(factory);
      const left = await t.received({ email: 'a@beta.io', score: 50 });
      t.clock.advance(15_000);
      const fresh = await t.received({ email: 'b@beta.io', score: 50 });
      expect(await t.router.routeReceived({ receivedBefore: t.clock.now() - 10_000 })).toBe(1);
      expect((await t.lead(left))?.state).toBe('offered');
      expect((await t.lead(fresh))?.state).toBe('received');
      expect(await t.router.routeReceived({ receivedBefore: t.clock.now() - 10_000 })).toBe(0);
    });

    it('leaves to this instance the arrivals it has waiting for their batch, however long they waited (a long burst)', async () => {
      const t = await useCasesOn(factory);
      const id = await t.received({ email: 'a@beta.io', score: 50 });
      t.clock.advance(15_000);
      t.router.routeInBackground(id);
      // The sweep runs while the arrival waits for its batch: not its lead to route.
      expect(await t.router.routeReceived({ receivedBefore: t.clock.now() - 10_000 })).toBe(0);
      await t.router.idle();
      expect((await t.lead(id))?.state).toBe('offered');
      expect(await t.router.routeReceived({ receivedBefore: t.clock.now() - 10_000 })).toBe(0);
    });

    describe("routing's share of the time during a burst (the batch's time and the pause injected: no wall clock)", () => {
      /** `leads` accepted at once; each batch "takes" 5 ms on the injected clock; the pauses asked for are recorded, not waited. */
      const burst = async (leads: number, routingShare?: number) => {
        let ms = 0;
        const pauses: number[] = [];
        const shareTiming = { now: () => (ms += 5), pause: async (wait: number) => void pauses.push(wait) };
        const t = await useCasesOn(factory, { arrivals: { shareTiming, inline: false, ...(routingShare === undefined ? {} : { routingShare }) } });
        const results = await Promise.all(
          Array.from({ length: leads }, (_, i) => t.accept({ lead: { source: 'form', email: `lead${i}@northwind${i}.example`, company: {}, fields: {}, score: 60 } as Lead, requestHash: String(i) })),
        );
        await t.router.idle();
        const ids = results.map((result) => (result.status === 'accepted' ? result.leadId : -1));
        const states = await Promise.all(ids.map(async (id) => (await t.lead(id))?.state));
        return { routed: states.filter((state) => state !== undefined && state !== 'received').length, pauses };
      };

      it('pauses after each batch while a backlog waits, for the rest of the time its share leaves, and not after the last', async () => {
        const leads = ARRIVAL_BATCH * 2 + 22;
        const { routed, pauses } = await burst(leads);
        expect(routed).toBe(leads);
        // Three batches (64, 64, 22) of 5 ms each: a pause after the first two, none after the last.
        const expected = (5 * (1 - ROUTING_SHARE_UNDER_BURST)) / ROUTING_SHARE_UNDER_BURST;
        expect(pauses).toHaveLength(2);
        for (const pause of pauses) expect(pause).toBeCloseTo(expected, 6);
      });

      it('never pauses with a share of 1 (PostgreSQL: a batch waits on the database, the thread serves requests meanwhile)', async () => {
        const leads = ARRIVAL_BATCH * 2 + 22;
        const { routed, pauses } = await burst(leads, 1);
        expect(routed).toBe(leads);
        expect(pauses).toEqual([]);
      });

      it('does not pause after a lone arrival (a steady flow: a lead is routed at once)', async () => {
        const { routed, pauses } = await burst(1);
        expect(routed).toBe(1);
        expect(pauses).toEqual([]);
      });
    });

    it('routes leads arriving at the same time, each once', async () => {
      const t = await useCasesOn(factory);
      const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => t.received({ email: `g${i}@beta.io`, score: 50 })));
      const outcomes = await Promise.all(ids.map((id) => t.router.routeSoon(id)));
      expect(outcomes.map((o) => o.kind)).toEqual(['rep', 'rep', 'rep', 'rep', 'rep']);
      const offers = await Promise.all(ids.map((id) => t.offers(id)));
      expect(offers.map((list) => list.length)).toEqual([1, 1, 1, 1, 1]);
      // Weighted turns across the batch: Bob (weight 2) three or four, Carol the rest.
      expect(offers.flat().filter((o) => o.repId === 'U0BOB').length).toBeGreaterThanOrEqual(3);
    });
  });

  describe('routeLead with enrichment', () => {
    closeStoresAfterEach();
    /** A company table that knows beta.io. */
    const enricher = createLeadEnricher({ companies: () => new Map([['beta.io', { name: 'Beta', country: 'DE' }]]), webhook: null });

    it('enriches a new lead before deciding, and stores the enriched lead with the decision', async () => {
      const t = await useCasesOn(factory, { enricher });
      const id = await t.received({ email: 'jane@beta.io', score: 50 });
      expect(await t.router.routeSoon(id)).toMatchObject({ kind: 'rep' });
      expect(await t.historyOf(id)).toEqual(['received', 'enriched', 'routed', 'offered']);
      const stored = (await t.lead(id))!;
      expect(stored.lead.company).toEqual({ domain: 'beta.io', name: 'Beta', country: 'DE' });
      expect(stored.enrichment).toEqual(((await t.uow.read((tx) => tx.leads.trace(id))) as { enrichment: unknown }).enrichment);
      expect(stored.version).toBe(1);
    });

    it('routes a lead accepted while enrichment is configured after the answer, enriched', async () => {
      const t = await useCasesOn(factory, { enricher });
      const result = await t.accept({ lead: { source: 'form', email: 'jane@beta.io', score: 50, company: {}, fields: {} }, requestHash: 'e' });
      if (result.status !== 'accepted') throw new Error('not accepted');
      const id = result.leadId;
      expect((await t.lead(id))?.state).toBe('received');
      await t.router.idle();
      expect(await t.historyOf(id)).toEqual(['received', 'enriched', 'routed', 'offered']);
    });

    it('does not store an enrichment computed for another version of the lead, and routes the lead as stored', async () => {
      const t = await useCasesOn(factory, { enricher });
      const id = await t.received({ email: 'jane@beta.io', score: 50 });
      const stale = { lead: { source: 'form' as const, email: 'jane@beta.io', company: { name: 'Stale' }, fields: {} } as Lead, domain: 'beta.io', trace: { filled: [] }, version: 7 };
      expect(await route(t, id, stale)).toMatchObject({ kind: 'rep' });
      expect(await t.lead(id)).toMatchObject({ enrichment: null, lead: { company: { domain: 'beta.io' } } });
      expect(await t.historyOf(id)).not.toContain('enriched');
    });

    it('routes without enrichment when none is configured: no history entry, no trace section', async () => {
      const t = await useCasesOn(factory, { enricher: createLeadEnricher({ companies: null, webhook: null }) });
      const id = await t.received({ email: 'jane@beta.io', score: 50 });
      await t.router.routeSoon(id);
      expect(await t.historyOf(id)).toEqual(['received', 'routed', 'offered']);
      expect(await t.uow.read((tx) => tx.leads.trace(id))).not.toHaveProperty('enrichment');
    });
  });
}
