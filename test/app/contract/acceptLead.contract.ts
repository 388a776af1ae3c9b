import { describe, expect, it } from 'vitest';
import type { Lead } from '../../../src/domain/lead.ts';
import type { StoreFactory } from './stores.ts';
import { closeStoresAfterEach, useCasesOn } from './useCases.ts';

const lead = (email: string, more: Partial<Lead> = {}): Lead => ({ source: 'form', email, company: {}, fields: {}, ...more });

/** acceptLead (POST /leads and /hooks/<id>): new, replay or duplicate, stored in one transaction, routed in it. */
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

    it('stores and routes a new lead in the same commit: when the answer is due, the offer and its card are stored too', async () => {
      const t = await useCasesOn(factory);
      const result = await t.accept({ lead: lead('jane@beta.io', { score: 90 }), requestHash: 'a' });
      expect(result).toMatchObject({ status: 'accepted', routing: { ok: true, outcome: { kind: 'rep', repId: 'U0ALICE' } } });
      if (result.status !== 'accepted') throw new Error('not accepted');
      expect((await t.lead(result.leadId))?.state).toBe('offered');
      expect((await t.deliverAll()).map((row) => row.effect.type)).toEqual(['post_offer_card']);
      expect(t.told()).toEqual(['lead.received', 'lead.offered']);
    });

    it('keeps a lead whose routing fails, received, and routes it again after the answer', async () => {
      let calls = 0;
      const t = await useCasesOn(factory, {
        decorate: (repositories) => ({
          ...repositories,
          offers: {
            ...repositories.offers,
            create: async (offer) => {
              const made = await repositories.offers.create(offer);
              calls += 1;
              if (calls === 1) throw new Error('routing bug');
              return made;
            },
          },
        }),
      });
      const result = await t.accept({ lead: lead('joe@beta.io'), requestHash: 'b' });
      expect(result).toMatchObject({ status: 'accepted', routing: { ok: false, error: new Error('routing bug') } });
      if (result.status !== 'accepted') throw new Error('not accepted');
      await t.router.idle();
      expect(await t.historyOf(result.leadId)).toEqual(['received', 'routed', 'offered']);
      expect(await t.offers(result.leadId)).toHaveLength(1);
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
