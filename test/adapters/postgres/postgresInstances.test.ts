/**
 * Two instances on one PostgreSQL database: two stores, each on its own pool, running the same use
 * cases at the same time. What one writer gives SQLite for free must hold here across instances:
 * a claim wins once, a lead arriving at both is stored once, round-robin takes turns, and a due
 * deadline is expired by one instance only.
 */
import { expect, it } from 'vitest';
import { connectPostgres } from '../../../src/adapters/postgres/connectPostgres.ts';
import { postgresStore } from '../../../src/adapters/postgres/postgresStore.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import type { StoreFactory } from '../../app/contract/stores.ts';
import { closeStoresAfterEach, useCasesOn } from '../../app/contract/useCases.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';

const pg = usePostgres();

/** Two instances' use cases on one fresh database, each with a pool of its own. */
async function twoInstances() {
  const db = await pg.database({ migrated: true });
  const instance: StoreFactory = async (options = {}) => {
    const pool = await connectPostgres(db.url, { max: 4 });
    const store = postgresStore(pool, options);
    return {
      store,
      close: async () => {
        await store.uow.flush();
        await pool.end();
      },
    };
  };
  return [await useCasesOn(instance), await useCasesOn(instance)] as const;
}

const form = (lead: Partial<Lead>): Lead => ({ source: 'form', company: {}, fields: {}, ...lead }) as Lead;

describePostgres('two instances on one PostgreSQL database', () => {
  closeStoresAfterEach();

  it('lets a claim clicked on both win once', async () => {
    const [a, b] = await twoInstances();
    for (let i = 0; i < 5; i += 1) {
      const id = await a.add({ email: `jane${i}@beta.io`, score: 90 });
      const offer = await a.pending(id);
      if (!offer) throw new Error('no offer');
      const claim = { type: 'claim', offerId: offer.id, offerVersion: offer.version, by: 'U0ALICE' } as const;
      const results = await Promise.all([a.lifecycle.onCard(claim), b.lifecycle.onCard(claim)]);
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(await b.lead(id)).toMatchObject({ state: 'claimed', ownerId: 'U0ALICE', version: 2 });
      expect((await b.historyOf(id)).filter((event) => event === 'claimed')).toHaveLength(1);
      // Alice's capacity is 1: done, so that the next hot lead is offered to her again.
      expect(await a.lifecycle.done(id, 'U0ALICE', false)).toMatchObject({ ok: true });
    }
  });

  it('stores a lead posted to both at once once, by external id, by e-mail, and by Idempotency-Key', async () => {
    const [a, b] = await twoInstances();
    const arrivals = [
      [form({ external_id: 'crm-1', email: 'one@beta.io' }), form({ external_id: 'crm-1', email: 'one.other@beta.io' })],
      [form({ email: 'two@beta.io' }), form({ email: ' Two@Beta.io ' })],
    ] as const;
    for (const [first, second] of arrivals) {
      const results = await Promise.all([a.accept({ lead: first, requestHash: 'h1' }), b.accept({ lead: second, requestHash: 'h2' })]);
      expect(results.map((result) => result.status).sort()).toEqual(['accepted', 'duplicate']);
    }
    const keyed = form({ email: 'three@beta.io' });
    const replays = await Promise.all([a.accept({ lead: keyed, requestHash: 'h3', idempotencyKey: 'k-3' }), b.accept({ lead: keyed, requestHash: 'h3', idempotencyKey: 'k-3' })]);
    expect(replays.map((result) => result.status).sort()).toEqual(['accepted', 'duplicate']);
    expect(new Set(replays.map((result) => ('leadId' in result ? result.leadId : null))).size).toBe(1);
    const waiting = await a.uow.read((tx) => tx.leads.countWaiting());
    expect(waiting.received + waiting.offered + waiting.queued + waiting.escalated).toBe(3);
  });

  it('takes round-robin turns across instances: nobody is offered two leads meant for two reps', async () => {
    const [a, b] = await twoInstances();
    // The fallback team sdr: Bob (weight 2) and Carol (weight 1), decided one after the other.
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).add({ email: `lead${i}@beta.io`, score: 50 })));
    const reps = await Promise.all(ids.map(async (id) => (await a.offers(id))[0]?.repId));
    expect(reps.filter((rep) => rep === 'U0BOB')).toHaveLength(8);
    expect(reps.filter((rep) => rep === 'U0CAROL')).toHaveLength(4);
  });

  it('expires each due offer on one instance only, whichever sweeps', async () => {
    const [a, b] = await twoInstances();
    const ids: number[] = [];
    for (let i = 0; i < 20; i += 1) ids.push(await a.add({ email: `lead${i}@beta.io`, score: 50 }));
    a.clock.advance(a.config.sla.claimWithin);
    b.clock.set(a.clock.now());
    const swept = await Promise.all([a.lifecycle.expireBatch(5), b.lifecycle.expireBatch(5), a.lifecycle.expireBatch(5), b.lifecycle.expireBatch(5)]);
    expect(swept.reduce((sum, n) => sum + n, 0)).toBe(20);
    for (const id of ids) expect((await a.historyOf(id)).filter((event) => event === 'expired')).toHaveLength(1);
  });
});
