import { describe, expect, it } from 'vitest';
import { PRIORITY, type Store, type Tx } from '../../../src/app/ports.ts';
import type { Effect } from '../../../src/domain/effects.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import type { StoreFactory, StoreUnderTest } from './stores.ts';

const lead: Lead = { source: 'form', email: 'jane@acme.com', company: {}, fields: {} };
const newLead = (tx: Tx, receivedAt = 0, more: Partial<{ emailKey: string; linkedinKey: string; externalId: string }> = {}) =>
  tx.leads.insert({ lead, externalId: more.externalId ?? null, emailKey: more.emailKey ?? 'jane@acme.com', linkedinKey: more.linkedinKey ?? null, domain: 'acme.com', receivedAt });

/**
 * The ports' own contract, below the use cases: what a store must do for them to be right. The
 * unit of work's semantics, compare-and-set, the outbox's lanes and coalescing, the lookups.
 */
export function portsContract(factory: StoreFactory): void {
  let opened: StoreUnderTest[] = [];
  const storeOf = async (): Promise<Store> => {
    const made = await factory();
    opened.push(made);
    return made.store;
  };
  const closeAll = async () => {
    for (const item of opened) await item.close();
    opened = [];
  };

  describe('unit of work', () => {
    it('commits a work and resolves with its result; after-commit hooks run in order, before the caller goes on', async () => {
      const { uow } = await storeOf();
      const seen: string[] = [];
      const id = await uow.run(async (tx) => {
        tx.afterCommit(() => seen.push('first'));
        const leadId = await newLead(tx);
        tx.afterCommit(() => seen.push('second'));
        return leadId;
      });
      seen.push('caller');
      expect(seen).toEqual(['first', 'second', 'caller']);
      expect((await uow.read((tx) => tx.leads.get(id)))?.lead).toEqual(lead);
      await closeAll();
    });

    it('rolls a work that throws back whole, rejects with its error and never runs its hooks', async () => {
      const { uow } = await storeOf();
      let hooked = false;
      await expect(
        uow.run(async (tx) => {
          await newLead(tx);
          tx.afterCommit(() => (hooked = true));
          throw new Error('bug');
        }),
      ).rejects.toThrow('bug');
      expect(hooked).toBe(false);
      expect(await uow.read((tx) => tx.leads.countWaiting())).toEqual({ received: 0, offered: 0, queued: 0, escalated: 0 });
      await closeAll();
    });

    it('rolls back a savepoint alone: its writes and its hooks; the rest of the work commits', async () => {
      const { uow } = await storeOf();
      const seen: string[] = [];
      const kept = await uow.run(async (tx) => {
        const id = await newLead(tx);
        tx.afterCommit(() => seen.push('kept'));
        await expect(
          tx.savepoint(async (inner) => {
            await newLead(inner, 1, { emailKey: 'other@acme.com' });
            inner.afterCommit(() => seen.push('dropped'));
            throw new Error('part failed');
          }),
        ).rejects.toThrow('part failed');
        expect(await tx.savepoint(async (inner) => inner.leads.appendHistory(id, 2, 'system', 'fine'))).toBeUndefined();
        return id;
      });
      expect(seen).toEqual(['kept']);
      expect(await uow.read((tx) => tx.leads.idsInState('received', 10))).toEqual([kept]);
      expect((await uow.read((tx) => tx.leads.history(kept))).map((h) => h.event)).toEqual(['fine']);
      await closeAll();
    });

    it('keeps scratch memory for the transaction, and forgets it when part of it rolls back', async () => {
      const { uow } = await storeOf();
      const key = Symbol('test');
      await uow.run(async (tx) => {
        const memory = tx.scratch(key, () => ({ n: 0 }));
        memory.n += 1;
        expect(tx.scratch(key, () => ({ n: 100 })).n).toBe(1);
        await tx.savepoint(async () => {
          throw new Error('x');
        }).catch(() => undefined);
        expect(tx.scratch(key, () => ({ n: 100 })).n).toBe(100);
      });
      await closeAll();
    });

    it('runs concurrent works each exactly once, each seeing the writes committed before it', async () => {
      const { uow } = await storeOf();
      const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => uow.run((tx) => newLead(tx, i, { emailKey: `l${i}@acme.com` }))));
      expect(new Set(ids).size).toBe(10);
      expect(await uow.read((tx) => tx.leads.countInState('received'))).toBe(10);
      await closeAll();
    });

    it('commits what `soon` was given, resolving once durable; flush commits it now', async () => {
      const { uow } = await storeOf();
      const id = await uow.run((tx) => newLead(tx));
      let recorded = false;
      const write = uow.soon((tx) => tx.leads.appendHistory(id, 1, 'system', 'delivered')).then(() => (recorded = true));
      await uow.flush();
      await write;
      expect(recorded).toBe(true);
      expect((await uow.read((tx) => tx.leads.history(id))).map((h) => h.event)).toEqual(['delivered']);
      await expect(uow.soon(async () => Promise.reject(new Error('bad write')))).rejects.toThrow('bad write');
      await closeAll();
    });
  });

  describe('compare-and-set and lookups', () => {
    it('changes a lead only at the version read', async () => {
      const { uow } = await storeOf();
      const id = await uow.run((tx) => newLead(tx));
      await uow.run(async (tx) => {
        expect(await tx.leads.setState({ id, version: 0, state: 'claimed', ownerId: 'U0ALICE', now: 5 })).toBe(true);
        expect(await tx.leads.setState({ id, version: 0, state: 'done', ownerId: 'U0ALICE', now: 6 })).toBe(false);
        expect(await tx.leads.applyRouting({ id, version: 0, state: 'offered', teamId: null, sequenceId: null, routedBy: 'x', trace: {}, now: 6 })).toBe(false);
      });
      expect(await uow.read((tx) => tx.leads.getState(id))).toEqual({ id, state: 'claimed', version: 1, ownerId: 'U0ALICE', receivedAt: 0 });
      expect(await uow.read((tx) => tx.leads.get(id))).toMatchObject({ claimedAt: 5, firstOwnedAt: 5, doneAt: null });
      await closeAll();
    });

    it('resolves an offer once, and takes due deadlines soonest first', async () => {
      const { uow } = await storeOf();
      const offers = await uow.run(async (tx) => {
        const a = await newLead(tx, 0, { emailKey: 'a@x.io' });
        const b = await newLead(tx, 0, { emailKey: 'b@x.io' });
        const later = await tx.offers.create({ leadId: a, repId: 'U0ALICE', offeredAt: 0, deadlineAt: 200, remindAt: 100, why: 'w' });
        const sooner = await tx.offers.create({ leadId: b, repId: 'U0BOB', offeredAt: 0, deadlineAt: 150, remindAt: null, why: 'w' });
        return { a, later, sooner };
      });
      await uow.run(async (tx) => {
        expect(await tx.offers.nextDeadlineAt()).toBe(150);
        expect((await tx.offers.takeDueDeadlines(199, 10)).map((o) => o.id)).toEqual([offers.sooner.id]);
        expect((await tx.offers.takeDueDeadlines(500, 10)).map((o) => o.id)).toEqual([offers.sooner.id, offers.later.id]);
        expect((await tx.offers.takeDueReminders(500, 10)).map((o) => o.id)).toEqual([offers.later.id]);
        expect(await tx.offers.resolve({ id: offers.later.id, version: 0, state: 'claimed', reason: null, now: 10 })).toBe(true);
        expect(await tx.offers.resolve({ id: offers.later.id, version: 0, state: 'passed', reason: null, now: 11 })).toBe(false);
        expect(await tx.offers.currentCardOf(offers.a)).toBe(offers.later.id);
        expect(await tx.offers.pendingOfRep('U0BOB')).toEqual([{ id: offers.sooner.id, leadId: expect.any(Number), version: 0 }]);
      });
      await closeAll();
    });

    it('finds an open lead by e-mail or LinkedIn key within a window, not a done one', async () => {
      const { uow } = await storeOf();
      const [older, newer] = await uow.run(async (tx) => [await newLead(tx, 10, { linkedinKey: 'linkedin.com/in/jane' }), await newLead(tx, 20)]);
      await uow.run(async (tx) => {
        expect(await tx.leads.findOpenByKeys({ emailKey: 'jane@acme.com', linkedinKey: null }, 0)).toEqual({ id: newer, state: 'received', ownerId: null, via: 'email' });
        expect(await tx.leads.findOpenByKeys({ emailKey: null, linkedinKey: 'linkedin.com/in/jane' }, 0)).toMatchObject({ id: older, via: 'linkedin_url' });
        expect(await tx.leads.findOpenByKeys({ emailKey: 'jane@acme.com', linkedinKey: null }, 21)).toBeNull();
        await tx.leads.setState({ id: newer!, version: 0, state: 'done', ownerId: null, now: 30 });
        expect(await tx.leads.findOpenByKeys({ emailKey: 'jane@acme.com', linkedinKey: null }, 0)).toMatchObject({ id: older });
        expect(await tx.leads.findLatestByKey({ emailKey: 'jane@acme.com' })).toBe(newer);
      });
      await closeAll();
    });

    it('keeps a rep away until a time, or until turned off, and tells whose time has come', async () => {
      const { uow } = await storeOf();
      await uow.run(async (tx) => {
        await tx.availability.setAway('U0ALICE', 1000, 0, 'U0ALICE');
        await tx.availability.setAway('U0BOB', null, 0, 'U0MGR');
        expect(await tx.availability.awayOf('U0ALICE', 999)).toEqual({ until: 1000 });
        expect(await tx.availability.awayOf('U0ALICE', 1000)).toBeNull();
        expect(await tx.availability.awayOf('U0BOB', 10 ** 15)).toEqual({ until: null });
        expect(await tx.availability.returnsDue(1000)).toEqual(['U0ALICE']);
        const reps = await tx.routing.loadReps({ reps: [{ id: 'U0BOB', weight: 1, timezone: 'UTC' }] } as never, ['U0BOB'], 0);
        expect(reps.get('U0BOB')?.awayUntil).toBe(Number.POSITIVE_INFINITY);
      });
      await closeAll();
    });
  });

  describe('outbox: which rows are due (lanes per lead)', () => {
    const enqueue = (store: Store, leadId: number | null, effect: Effect, priority: number = PRIORITY.background) =>
      store.uow.run((tx) => tx.outbox.enqueue(leadId, effect, 0, priority === PRIORITY.waiting ? PRIORITY.waiting : PRIORITY.background));
    const due = async (store: Store, now = 0, maxPriority: 0 | 1 = PRIORITY.background) =>
      (await store.outboxQueue.claimDue({ now, limit: 100, maxPriority, instance: 'test', leaseMs: 60_000 })).map((row) => (row.effect.type === 'webhook' ? row.effect.event : row.effect.type));
    const withLead = async () => {
      const store = await storeOf();
      await store.uow.run((tx) => newLead(tx));
      return store;
    };

    it("keeps a lead's Slack effects in order: a later post waits for an earlier one", async () => {
      const store = await withLead();
      await enqueue(store, 1, { type: 'post_offer_card', offerId: 1 });
      await enqueue(store, 1, { type: 'thread_note', offerId: 1, text: 'x' });
      expect(await due(store)).toEqual(['post_offer_card']);
      await closeAll();
    });

    it('never holds a card update back, nor lets it hold anything back', async () => {
      const store = await withLead();
      // A new rep's card, deferred by pacing (a busy DM), enqueued before the old card's update.
      const post = await enqueue(store, 1, { type: 'post_offer_card', offerId: 2 });
      await store.uow.run((tx) => tx.outbox.defer(post, 60_000));
      await enqueue(store, 1, { type: 'update_offer_card', offerId: 1 });
      await enqueue(store, 1, { type: 'update_escalation', leadId: 1 });
      expect(await due(store, 1_000)).toEqual(['update_offer_card', 'update_escalation']);
      const other = await withLead();
      await enqueue(other, 1, { type: 'update_offer_card', offerId: 1 });
      await enqueue(other, 1, { type: 'post_offer_card', offerId: 2 });
      expect(await due(other)).toEqual(['update_offer_card', 'post_offer_card']);
      await closeAll();
    });

    it('orders each webhook receiver on its own, apart from Slack', async () => {
      const store = await withLead();
      await enqueue(store, 1, { type: 'webhook', event: 'lead.claimed', url: 'https://crm.example/a', body: {} });
      await enqueue(store, 1, { type: 'webhook', event: 'lead.claimed', url: 'https://other.example/b', body: {} });
      await enqueue(store, 1, { type: 'webhook', event: 'lead.done', url: 'https://crm.example/a', body: {} });
      await enqueue(store, 1, { type: 'post_message', channel: 'C1', text: 'x' });
      expect(await due(store)).toEqual(['lead.claimed', 'lead.claimed', 'post_message']);
      await closeAll();
    });

    it('reads every effect back as it was written', async () => {
      const store = await withLead();
      const effects: Effect[] = [
        { type: 'signal_note', offerId: 3, channel: 'linkedin', kind: 'reply_positive', hot: true },
        { type: 'sequence_note', channel: 'C0NURTURE', sequenceId: 'nurture', rule: 'Cold lead' },
        { type: 'dm_reassigned_away', leadId: 1, repId: 'U0ALICE', by: 'U0MGR', to: 'U0BOB' },
        { type: 'webhook', event: 'sequence', url: 'https://seq.example/x', body: { lead: { ref: 'L-1' } } },
      ];
      for (const [i, effect] of effects.entries()) await enqueue(store, i === 0 ? 1 : null, effect);
      const rows = await store.outboxQueue.claimDue({ now: 0, limit: 10, instance: 'test', leaseMs: 60_000 });
      expect(rows.map((row) => row.effect)).toEqual(effects);
      expect(rows.map((row) => row.lane)).toEqual(['slack', 'slack', 'slack', 'webhook:https://seq.example/x']);
      await closeAll();
    });
  });

  describe('batch writes (a batch of expiries)', () => {
    it("changes many leads at the versions read in one statement, skipping one whose version moved on; appends each lead's history in order", async () => {
      const { uow } = await storeOf();
      const [a, b, c] = await uow.run(async (tx) => [await newLead(tx, 0, { emailKey: 'a@x.io' }), await newLead(tx, 0, { emailKey: 'b@x.io' }), await newLead(tx, 0, { emailKey: 'c@x.io' })]);
      // b changed since it was read (version 1 now).
      await uow.run((tx) => tx.leads.setState({ id: b as number, version: 0, state: 'queued', ownerId: null, now: 1 }));
      const trace = { at: 5, rules: [{ index: 0, name: 'r' }], outcome: { kind: 'rep', repId: 'U0ALICE' } };
      const changed = await uow.run((tx) =>
        tx.leads.applyRoutingMany([a, b, c].map((id) => ({ id: id as number, version: 0, state: 'offered', teamId: 't', sequenceId: null, routedBy: 'r', trace: { ...trace, lead: id }, now: 5 }))),
      );
      expect([...changed].sort()).toEqual([a, c]);
      expect(await uow.read((tx) => tx.leads.getMany([a as number, b as number, c as number, 999]))).toEqual([
        expect.objectContaining({ id: a, state: 'offered', version: 1, teamId: 't', routedBy: 'r', firstOfferedAt: 5 }),
        expect.objectContaining({ id: b, state: 'queued', version: 1, routedBy: null }),
        expect.objectContaining({ id: c, state: 'offered', version: 1 }),
      ]);
      expect(await uow.read((tx) => tx.leads.trace(c as number))).toEqual({ ...trace, lead: c });
      expect(await uow.read((tx) => tx.leads.trace(b as number))).toBeNull();
      await uow.run((tx) =>
        tx.leads.appendHistoryMany([
          { leadId: a as number, at: 5, actor: 'system', event: 'expired', detail: { offer: 1 } },
          { leadId: c as number, at: 5, actor: 'system', event: 'expired', detail: null },
          { leadId: a as number, at: 5, actor: 'system', event: 'routed', detail: { rule: 'r', to: 'U0BOB' } },
          { leadId: a as number, at: 5, actor: 'system', event: 'offered', detail: { rep: 'U0BOB', attempt: 2, why: 'w' } },
          { leadId: c as number, at: 5, actor: 'system', event: 'routed', detail: { z: 1, a: 2 } },
        ]),
      );
      expect(await uow.read((tx) => tx.leads.history(a as number))).toEqual([
        { at: 5, actor: 'system', event: 'expired', detail: { offer: 1 } },
        { at: 5, actor: 'system', event: 'routed', detail: { rule: 'r', to: 'U0BOB' } },
        { at: 5, actor: 'system', event: 'offered', detail: { rep: 'U0BOB', attempt: 2, why: 'w' } },
      ]);
      const ofC = await uow.read((tx) => tx.leads.history(c as number));
      expect(ofC.map((entry) => entry.event)).toEqual(['expired', 'routed']);
      expect(Object.keys(ofC[1]?.detail ?? {})).toEqual(['z', 'a']);
      await closeAll();
    });

    it("creates a batch's offers with each lead's next attempt, counts offers per lead, and records the reps' and teams' last state", async () => {
      const { uow } = await storeOf();
      const [a, b] = await uow.run(async (tx) => [await newLead(tx, 0, { emailKey: 'a@x.io' }), await newLead(tx, 0, { emailKey: 'b@x.io' })]);
      const first = await uow.run((tx) => tx.offers.create({ leadId: a as number, repId: 'U0ALICE', offeredAt: 0, deadlineAt: 10, remindAt: null, why: 'w' }));
      await uow.run((tx) => tx.offers.resolve({ id: first.id, version: 0, state: 'expired', reason: null, now: 10 }));
      const created = await uow.run((tx) =>
        tx.offers.createMany([
          { leadId: b as number, repId: 'U0CAROL', offeredAt: 10, deadlineAt: 20, remindAt: 15, why: 'x' },
          { leadId: a as number, repId: 'U0BOB', offeredAt: 10, deadlineAt: 20, remindAt: null, why: 'y' },
        ]),
      );
      expect(created.map((o) => o.attempt)).toEqual([1, 2]);
      expect(await uow.read((tx) => tx.offers.get(created[1]?.id as number))).toMatchObject({ leadId: a, repId: 'U0BOB', attempt: 2, state: 'pending', deadlineAt: 20, why: 'y' });
      const counts = await uow.read((tx) => tx.offers.countsOfLeads([a as number, b as number, 999]));
      expect([...counts].sort()).toEqual([[a, 2], [b, 1]]);
      const states = await uow.read((tx) => tx.routing.loadLeadStates([{ id: a as number, domain: 'acme.com' }, { id: b as number, domain: null }]));
      expect([...(states.get(a as number)?.excludedReps ?? [])]).toEqual(['U0ALICE']);
      expect(states.get(b as number)?.excludedReps.size).toBe(0);
      await uow.run((tx) =>
        tx.routing.recordOffersMade([
          { repId: 'U0BOB', now: 10, roundRobin: { teamId: 't', repId: 'U0BOB', pass: 1 / 3, level: 0 } },
          { repId: 'U0CAROL', now: 11, roundRobin: { teamId: 't', repId: 'U0CAROL', pass: 2 / 3, level: 1 / 3 } },
          { repId: 'U0BOB', now: 12 },
        ]),
      );
      const rr = (await uow.read((tx) => tx.routing.loadRoundRobin(['t']))).get('t');
      expect(rr?.level).toBe(1 / 3);
      expect([...(rr?.passes ?? [])].sort()).toEqual([['U0BOB', 1 / 3], ['U0CAROL', 2 / 3]]);
      await closeAll();
    });

    it("enqueues a batch's effects in the order given, each lead's lane in that order, an update joining its message's pending one", async () => {
      const store = await storeOf();
      const { uow } = store;
      const [a, b] = await uow.run(async (tx) => [await newLead(tx, 0, { emailKey: 'a@x.io' }), await newLead(tx, 0, { emailKey: 'b@x.io' })]);
      const pending = await uow.run((tx) => tx.outbox.enqueue(b as number, { type: 'update_offer_card', offerId: 2 }, 0));
      await uow.run((tx) =>
        tx.outbox.enqueueMany(
          [
            { leadId: a as number, effect: { type: 'post_offer_card', offerId: 3 } },
            { leadId: b as number, effect: { type: 'post_offer_card', offerId: 4 } },
            { leadId: a as number, effect: { type: 'thread_note', offerId: 3, text: 'x' } },
          ],
          0,
        ),
      );
      await uow.run((tx) =>
        tx.outbox.enqueueMany(
          [
            { leadId: a as number, effect: { type: 'update_offer_card', offerId: 1 } },
            { leadId: b as number, effect: { type: 'update_offer_card', offerId: 2 } },
          ],
          0,
        ),
      );
      const rows = await store.outboxQueue.claimDue({ now: 0, limit: 100, instance: 'test', leaseMs: 60_000 });
      // Each lead's post first in its lane (the note waits behind it); b's update joined the pending row.
      expect(rows.map((row) => `${row.leadId} ${row.effect.type} ${row.messageKey}`).sort()).toEqual(
        [`${a} post_offer_card offer:3`, `${b} post_offer_card offer:4`, `${a} update_offer_card offer:1`, `${b} update_offer_card offer:2`].sort(),
      );
      expect(rows.find((row) => row.messageKey === 'offer:2')).toMatchObject({ id: pending, changes: 1 });
      const posts = rows.filter((row) => row.effect.type === 'post_offer_card');
      expect(posts.map((row) => row.leadId)).toEqual([a, b]);
      expect((posts[0]?.id as number) < (posts[1]?.id as number)).toBe(true);
      await closeAll();
    });
  });

  describe('outbox: updates of a message', () => {
    const rowsOf = (store: Store, now = 0) => store.outboxQueue.claimDue({ now, limit: 100, instance: 'test', leaseMs: 60_000 });

    it('waits for the post of its own message (it needs its ts), not for the rest of the lead', async () => {
      const store = await storeOf();
      const { uow } = store;
      await uow.run((tx) => newLead(tx));
      const post = await uow.run((tx) => tx.outbox.enqueue(1, { type: 'post_offer_card', offerId: 7 }, 0));
      await uow.run((tx) => tx.outbox.enqueue(1, { type: 'update_offer_card', offerId: 7 }, 0));
      await uow.run((tx) => tx.outbox.enqueue(1, { type: 'update_offer_card', offerId: 6 }, 0));
      expect((await rowsOf(store)).map((row) => `${row.effect.type} ${row.messageKey}`)).toEqual(['post_offer_card offer:7', 'update_offer_card offer:6']);
      await uow.run((tx) => tx.outbox.markDone({ id: post, changes: 0 }, { ts: '1.1' }, 0));
      expect((await rowsOf(store)).map((row) => `${row.effect.type} ${row.messageKey}`)).toEqual(['update_offer_card offer:7', 'update_offer_card offer:6']);
      await closeAll();
    });

    it('keeps one pending update per message: later changes join it, and it is done only when no change came during its delivery', async () => {
      const store = await storeOf();
      const { uow } = store;
      await uow.run((tx) => newLead(tx));
      const update = { type: 'update_offer_card', offerId: 7 } as const;
      const first = await uow.run((tx) => tx.outbox.enqueue(1, update, 0));
      const [delivering] = await rowsOf(store);
      expect(delivering).toMatchObject({ id: first, changes: 0 });
      // A change while it is delivered joins the same row…
      expect(await uow.run((tx) => tx.outbox.enqueue(1, update, 0))).toBe(first);
      // …so the delivery, which rendered the older state, does not end it: it goes again.
      expect(await uow.run((tx) => tx.outbox.markDone(delivering!, null, 0))).toBe(false);
      const [again] = await rowsOf(store);
      expect(again).toMatchObject({ id: first, changes: 1 });
      expect(await uow.run((tx) => tx.outbox.markDone(again!, null, 0))).toBe(true);
      expect(await rowsOf(store)).toEqual([]);
      // Once done, the next change is a new row.
      expect(await uow.run((tx) => tx.outbox.enqueue(1, update, 0))).not.toBe(first);
      await closeAll();
    });

    it('hands out what a person waits for first, and a waiting change makes a paced update due now', async () => {
      const store = await storeOf();
      const { uow } = store;
      await uow.run((tx) => newLead(tx));
      const background = await uow.run((tx) => tx.outbox.enqueue(1, { type: 'update_offer_card', offerId: 1 }, 0));
      await uow.run((tx) => tx.outbox.enqueue(1, { type: 'update_offer_card', offerId: 2 }, 0, PRIORITY.waiting));
      expect((await rowsOf(store)).map((row) => row.messageKey)).toEqual(['offer:2', 'offer:1']);
      expect((await store.outboxQueue.claimDue({ now: 0, limit: 100, maxPriority: PRIORITY.waiting, instance: 'test', leaseMs: 1 })).map((row) => row.messageKey)).toEqual(['offer:2']);
      // Paced for a minute, then someone clicks that card: it goes now.
      await uow.run((tx) => tx.outbox.defer(background, 60_000));
      expect((await rowsOf(store, 1000)).map((row) => row.messageKey)).toEqual(['offer:2']);
      await uow.run((tx) => tx.outbox.prioritize('offer:1', 1000));
      expect((await rowsOf(store, 1000)).map((row) => `${row.messageKey} ${row.priority}`)).toEqual(['offer:2 0', 'offer:1 0']);
      await closeAll();
    });

    it("keeps the latest click's response_url per message, usable for 5 posts within 30 minutes (a minute short of it)", async () => {
      const { uow } = await storeOf();
      await uow.run(async (tx) => {
        await tx.outbox.rememberResponseUrl('offer:1', 'https://hooks.slack.example/a', 0);
        await tx.outbox.rememberResponseUrl('offer:1', 'https://hooks.slack.example/b', 10, 1);
        expect(await tx.outbox.usableResponseUrl('offer:1', 10)).toEqual({ url: 'https://hooks.slack.example/b', receivedAt: 10, uses: 1 });
        for (let i = 0; i < 4; i += 1) await tx.outbox.usedResponseUrl('offer:1', 'https://hooks.slack.example/b');
        expect(await tx.outbox.usableResponseUrl('offer:1', 10)).toBeNull();
        await tx.outbox.rememberResponseUrl('offer:2', 'https://hooks.slack.example/c', 0);
        expect(await tx.outbox.usableResponseUrl('offer:2', 28 * 60_000)).not.toBeNull();
        expect(await tx.outbox.usableResponseUrl('offer:2', 29 * 60_000)).toBeNull();
        await tx.outbox.spentResponseUrl('offer:2', 'https://hooks.slack.example/c');
        expect(await tx.outbox.usableResponseUrl('offer:2', 0)).toBeNull();
        expect(await tx.outbox.forgetExpiredResponseUrls(31 * 60_000)).toBe(2);
      });
      await closeAll();
    });

    it('counts the backlog and the webhook receivers that fail', async () => {
      const store = await storeOf();
      const { uow } = store;
      await uow.run((tx) => newLead(tx));
      const hook = await uow.run((tx) => tx.outbox.enqueue(1, { type: 'webhook', event: 'lead.claimed', url: 'https://crm.example/a', body: {} }, 1000));
      await uow.run((tx) => tx.outbox.markRetry(hook, 'HTTP 503 from crm.example', 5000));
      expect(await store.outboxQueue.backlog(31_000)).toEqual({ pending: 1, oldestAgeSeconds: 30 });
      expect(await store.outboxQueue.failingWebhooks()).toEqual([{ url: 'https://crm.example/a', pending: 1, since: 1000, lastError: 'HTTP 503 from crm.example' }]);
      expect(await store.outboxQueue.nextDueAt()).toBe(5000);
      expect(await uow.read((tx) => tx.outbox.hasPendingOfLeads([1, 2]))).toBe(true);
      expect(await uow.read((tx) => tx.outbox.hasPendingOfLeads([2]))).toBe(false);
      expect(await uow.read((tx) => tx.outbox.hasPendingOfLeads([]))).toBe(false);
      // Only what comes due after a time (the worker's last claim).
      expect(await store.outboxQueue.nextDueAt(4999)).toBe(5000);
      expect(await store.outboxQueue.nextDueAt(5000)).toBeNull();
      expect(await store.outboxQueue.pendingIds()).toEqual([hook]);
      await uow.run((tx) => tx.outbox.markFailed(hook, 'HTTP 410', 6000));
      expect(await store.outboxQueue.backlog(31_000)).toEqual({ pending: 0, oldestAgeSeconds: null });
      await closeAll();
    });
  });
}
