import { describe, expect, it } from 'vitest';
import { ROUTING_YAML, routingConfig } from '../../support/routingConfig.ts';
import type { StoreFactory } from './stores.ts';
import { closeStoresAfterEach, useCasesOn } from './useCases.ts';

const SIGNALS = routingConfig(`${ROUTING_YAML}signals:\n  - { name: Positive reply, when: { kind: reply_positive }, route: { team: sdr } }\n`);

/** Engagement signals (POST /signals). */
export function recordSignalContract(factory: StoreFactory): void {
  describe('recordSignal', () => {
    closeStoresAfterEach();

    it('takes a lead out of its sequence when a signal rule fires, the trace naming the rule', async () => {
      const t = await useCasesOn(factory, { config: SIGNALS });
      const id = await t.add({ email: 'jane@beta.io', score: 10 });
      expect((await t.lead(id))?.state).toBe('in_sequence');
      const result = await t.recordSignal({ id: 'sig-1', lead: { email: 'JANE@beta.io' }, channel: 'linkedin', kind: 'reply_positive' });
      expect(result).toMatchObject({ status: 'accepted', leadId: id, rule: 'Positive reply', outcome: { kind: 'rep' } });
      expect(await t.lead(id)).toMatchObject({ state: 'offered', routedBy: 'signal: Positive reply', teamId: 'sdr' });
      expect(await t.historyOf(id)).toEqual(['received', 'sent_to_sequence', 'signal', 'signal_rule', 'routed', 'offered']);
      expect(t.told().slice(-2)).toEqual(['lead.signal', 'lead.offered']);
      expect(await t.recordSignal({ id: 'sig-1', lead: { email: 'jane@beta.io' }, channel: 'linkedin', kind: 'reply_positive' })).toEqual({ status: 'duplicate', leadId: id, ref: `L-${id}` });
    });

    it('tells the rep holding the lead in the card\'s thread, and marks an unclaimed card urgent on a positive reply', async () => {
      const t = await useCasesOn(factory);
      const id = await t.add({ email: 'jane@beta.io', score: 90 });
      await t.deliverAll();
      const offer = await t.pending(id);
      expect(await t.recordSignal({ lead: { ref: `L-${id}` }, channel: 'email', kind: 'reply_positive' })).toMatchObject({ status: 'accepted', rule: null, outcome: { kind: 'noted' } });
      expect((await t.deliverAll()).map((row) => row.effect)).toEqual([
        { type: 'signal_note', offerId: offer!.id, channel: 'email', kind: 'reply_positive', hot: true },
        { type: 'update_offer_card', offerId: offer!.id },
      ]);
      expect(await t.uow.read((tx) => tx.signals.hasPositiveReply(id))).toBe(true);
      // An e-mail open is no news for the rep.
      expect(await t.recordSignal({ lead: { ref: `L-${id}` }, channel: 'email', kind: 'email_open' })).toMatchObject({ outcome: null });
    });

    it('answers not_found for a lead it cannot find, and stores nothing', async () => {
      const t = await useCasesOn(factory);
      expect(await t.recordSignal({ lead: { linkedin_url: 'https://linkedin.com/in/nobody' }, channel: 'linkedin', kind: 'profile_view' })).toEqual({ status: 'not_found' });
      expect(await t.recordSignal({ lead: { external_id: 'x' }, channel: 'linkedin', kind: 'profile_view' })).toEqual({ status: 'not_found' });
    });
  });
}
