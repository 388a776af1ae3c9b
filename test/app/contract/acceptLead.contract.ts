import { describe, expect, it } from 'vitest';
import type { Lead } from '../../../src/domain/lead.ts';
import type { StoreFactory } from './stores.ts';
import { closeStoresAfterEach, useCasesOn } from './useCases.ts';

const lead = (email: string, more: Partial<Lead> = {}): Lead => ({ source: 'form', email, company: {}, fields: {}, ...more });

/** acceptLead (POST /leads and /hooks/<id>): new, replay or duplicate, stored in one transaction; a new lead routed in it when routing is idle, else after the answer, in batches. */
export function acceptLeadContract(factory: StoreFactory): void {
  describe('acceptLead', () => {
    closeStoresAfterEach();

    it('rolls back only the lead that fails among leads arriving together', async () => {
      const t = await useCasesOn(factory, {
        decorate: (repositories) => ({
          ...repositories,
          leads: {
            ...repositories.leads,
            insert: async (row) => {
              const id = await repositories.leads.insert(row); // written, then rolled back with its work
              if (row.lead.email === 'boom@acme.com') throw new Error(`disk says no (${id})`);
              return id;
            },
          },
        }),
      });
      const results = await Promise.allSettled(['a@acme.com', 'boom@acme.com', 'c@beta.io'].map((email, i) => t.acceptOnly({ lead: lead(email), requestHash: String(i) })));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const ids = await t.uow.read((tx) => tx.leads.idsInState('received', 10));
      expect(await Promise.all(ids.map(async (id) => (await t.lead(id))?.lead.email))).toEqual(['a@acme.com', 'c@beta.io']);
      for (const id of ids) expect(await t.historyOf(id)).toEqual(['received']);
    });

    it('routes a lead that arrives while routing is idle in the transaction that stores it: offered at its answer, its card due, one commit', async () => {
      const t = await useCasesOn(factory);
      const result = await t.accept({ lead: lead('jane@beta.io', { score: 90 }), requestHash: 'a' });
      if (result.status !== 'accepted') throw new Error('not accepted');
      expect(result).toEqual({ status: 'accepted', leadId: result.leadId, ref: `L-${result.leadId}` });
      // Nothing left for after the answer: the lead, its offer and its card's outbox row committed together.
      expect(await t.pending(result.leadId)).toMatchObject({ repId: 'U0ALICE' });
      expect(await t.historyOf(result.leadId)).toEqual(['received', 'routed', 'offered']);
      expect(t.told()).toEqual(['lead.received', 'lead.offered']);
      expect((await t.deliverAll()).map((row) => row.effect.type)).toEqual(['post_offer_card']);
    });

    it('with routing on arrival off (PostgreSQL), answers once the lead is stored and routes it after the answer: the offer and its card follow in a commit of their own', async () => {
      const t = await useCasesOn(factory, { arrivals: { inline: false } });
      const result = await t.accept({ lead: lead('jane@beta.io', { score: 90 }), requestHash: 'a' });
      if (result.status !== 'accepted') throw new Error('not accepted');
      expect((await t.lead(result.leadId))?.state).toBe('received');
      expect(await t.deliverAll()).toEqual([]);
      await t.router.idle();
      expect(await t.pending(result.leadId)).toMatchObject({ repId: 'U0ALICE' });
      expect((await t.deliverAll()).map((row) => row.effect.type)).toEqual(['post_offer_card']);
      expect(t.told()).toEqual(['lead.received', 'lead.offered']);
    });

    it('accepts a lead whose routing with its intake throws all the same (stored received, its answer a 202), and routes it after the answer', async () => {
      let calls = 0;
      const t = await useCasesOn(factory, {
        decorate: (repositories) => ({
          ...repositories,
          offers: {
            ...repositories.offers,
            create: async (offer) => {
              calls += 1;
              if (calls === 1) throw new Error('routing bug');
              return repositories.offers.create(offer);
            },
          },
        }),
      });
      const result = await t.accept({ lead: lead('jane@beta.io', { score: 90 }), requestHash: 'a' });
      if (result.status !== 'accepted') throw new Error('not accepted');
      // The savepoint rolled the routing back, not the lead.
      expect(await t.historyOf(result.leadId)).toEqual(['received']);
      await t.router.idle();
      expect(await t.pending(result.leadId)).toMatchObject({ repId: 'U0ALICE' });
      expect(await t.historyOf(result.leadId)).toEqual(['received', 'routed', 'offered']);
      expect(calls).toBe(2);
    });

    it('never routes an arrival ahead of the leads waiting for their batch: they are routed in arrival order', async () => {
      const t = await useCasesOn(factory);
      const waiting = await t.received({ email: 'first@beta.io', score: 50 });
      t.router.routeInBackground(waiting);
      const result = await t.accept({ lead: lead('second@beta.io', { score: 50 }), requestHash: 'b' });
      if (result.status !== 'accepted') throw new Error('not accepted');
      await t.router.idle();
      const offered = t.published.flatMap((event) => (event.type === 'leadChanged' && event.event.event === 'lead.offered' ? [event.event.leadId] : []));
      expect(offered).toEqual([waiting, result.leadId]);
      // The round-robin's turns in that order (weights Bob 2, Carol 1).
      expect([(await t.pending(waiting))?.repId, (await t.pending(result.leadId))?.repId]).toEqual(['U0BOB', 'U0CAROL']);
    });

    it('routes leads arriving together in one batch after their answer (routing on arrival off), in arrival order, each with its history and events in order', async () => {
      let roundRobinLoads = 0;
      const t = await useCasesOn(factory, {
        arrivals: { inline: false },
        decorate: (repositories) => ({
          ...repositories,
          routing: {
            ...repositories.routing,
            loadRoundRobin: (teamIds) => {
              roundRobinLoads += 1;
              return repositories.routing.loadRoundRobin(teamIds);
            },
          },
        }),
      });
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => t.accept({ lead: lead(`rr${i}@beta.io`, { score: 50 }), requestHash: `rr${i}` })));
      const ids = results.map((result) => (result.status === 'accepted' ? result.leadId : -1));
      await t.router.idle();
      // One decision pass: the team's round-robin state loaded once for the six, kept current in memory.
      expect(roundRobinLoads).toBe(1);
      const reps = await Promise.all(ids.map(async (id) => (await t.pending(id))?.repId));
      // The turns one lead at a time would give (weights Bob 2, Carol 1: smooth weighted round-robin), in arrival order.
      expect(reps).toEqual(['U0BOB', 'U0CAROL', 'U0BOB', 'U0BOB', 'U0CAROL', 'U0BOB']);
      for (const id of ids) expect(await t.historyOf(id)).toEqual(['received', 'routed', 'offered']);
      const told = t.published.flatMap((event) => (event.type === 'leadChanged' ? [`${event.event.leadId}:${event.event.event}`] : []));
      expect(told).toEqual([...ids.map((id) => `${id}:lead.received`), ...ids.map((id) => `${id}:lead.offered`)]);
    });

    it('keeps a lead whose routing fails received, routes the others of its batch, and routes it at the next start', async () => {
      let calls = 0;
      const t = await useCasesOn(factory, {
        arrivals: { inline: false },
        decorate: (repositories) => ({
          ...repositories,
          offers: {
            ...repositories.offers,
            create: async (offer) => {
              const made = await repositories.offers.create(offer);
              calls += 1;
              if (calls === 2) throw new Error('routing bug');
              return made;
            },
          },
        }),
      });
      const results = await Promise.all(['a@beta.io', 'b@beta.io', 'c@beta.io'].map((email, i) => t.accept({ lead: lead(email), requestHash: String(i) })));
      const ids = results.map((result) => (result.status === 'accepted' ? result.leadId : -1));
      await t.router.idle();
      expect(await Promise.all(ids.map(async (id) => (await t.lead(id))?.state))).toEqual(['offered', 'received', 'offered']);
      expect(await t.historyOf(ids[1] as number)).toEqual(['received']);
      expect(await t.router.routeReceived()).toBe(1);
      expect(await t.historyOf(ids[1] as number)).toEqual(['received', 'routed', 'offered']);
      expect(await Promise.all(ids.map(async (id) => (await t.offers(id)).length))).toEqual([1, 1, 1]);
    });

    it('answers a replay of the same Idempotency-Key as the first time, and refuses the key with another body', async () => {
      const t = await useCasesOn(factory);
      const first = await t.accept({ lead: lead('jane@beta.io'), idempotencyKey: 'k-1', requestHash: 'body-1' });
      if (first.status !== 'accepted') throw new Error('not accepted');
      expect(await t.accept({ lead: lead('jane@beta.io'), idempotencyKey: 'k-1', requestHash: 'body-1' })).toEqual({ status: 'duplicate', leadId: first.leadId, ref: first.ref, reason: 'idempotency_key' });
      expect(await t.accept({ lead: lead('other@beta.io'), idempotencyKey: 'k-1', requestHash: 'body-2' })).toEqual({ status: 'conflict', error: 'idempotency_key_reused', ref: first.ref });
    });

    it('finds a repeat by external_id, and an open lead by e-mail within the dedupe window, noting it on the lead', async () => {
      const t = await useCasesOn(factory);
      const id = await t.add({ email: 'Jane@Beta.io', external_id: 'crm-1' });
      expect(await t.accept({ lead: lead('someone@else.io', { external_id: 'crm-1' }), requestHash: 'x' })).toMatchObject({ status: 'duplicate', leadId: id, reason: 'external_id' });
      expect(await t.accept({ lead: lead(' jane@beta.io ', { source: 'linkedin' }), requestHash: 'y' })).toMatchObject({ status: 'duplicate', leadId: id, reason: 'email' });
      expect(await t.historyOf(id)).toEqual(['received', 'routed', 'offered', 'seen_again']);
      expect(t.told()).toEqual(['lead.received', 'lead.offered', 'lead.duplicate', 'lead.duplicate']);
      // Past the window (30 days by default) the same e-mail is a new lead.
      t.clock.advance(31 * 24 * 3_600_000);
      expect(await t.accept({ lead: lead('jane@beta.io'), requestHash: 'z' })).toMatchObject({ status: 'accepted' });
    });

    it('refuses a pre-routed owner or team the config does not know, and stores nothing', async () => {
      const t = await useCasesOn(factory);
      expect(await t.accept({ lead: lead('jane@beta.io', { owner: 'nobody@example.com', team: 'moon' }), requestHash: 'a' })).toEqual({
        status: 'rejected',
        issues: [
          { path: 'owner', message: 'unknown rep "nobody@example.com" (expected a Slack user id or e-mail of a rep in the config)' },
          { path: 'team', message: 'unknown team "moon"' },
        ],
      });
      expect(await t.uow.read((tx) => tx.leads.countWaiting())).toEqual({ received: 0, offered: 0, queued: 0, escalated: 0 });
    });

    it('sends a lead pre-routed by its owner\'s e-mail to that owner', async () => {
      const t = await useCasesOn(factory);
      const id = await t.add({ email: 'jane@beta.io', owner: 'Alice@Example.com' });
      expect(await t.lead(id)).toMatchObject({ state: 'offered', routedBy: 'pre-routed', lead: { owner: 'U0ALICE' } });
    });
  });
}
