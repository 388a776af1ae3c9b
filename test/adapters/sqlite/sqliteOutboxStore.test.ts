import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';
import { PRIORITY, sqliteOutboxStore } from '../../../src/adapters/sqlite/sqliteOutboxStore.ts';

function setup() {
  const db = openDatabase(':memory:');
  db.prepare("INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)").run();
  const outbox = sqliteOutboxStore(db);
  const due = (now = 0) => outbox.due(now, 100).map((row) => row.method);
  return { db, outbox, due };
}

describe('outbox: which rows are due (lanes per lead)', () => {
  it("keeps a lead's Slack effects in order: a later post waits for an earlier one", () => {
    const t = setup();
    t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'post_offer_card', payload: { offerId: 1 } }, 0);
    t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'thread_note', payload: { offerId: 1 } }, 0);
    expect(t.due()).toEqual(['post_offer_card']);
  });

  it('never holds a card update back, nor lets it hold anything back', () => {
    const t = setup();
    // A new rep's card, deferred by pacing (a busy DM), enqueued before the old card's update.
    const post = t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'post_offer_card', payload: { offerId: 2 } }, 0);
    t.outbox.defer(post, 60_000);
    t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_offer_card', payload: { offerId: 1 } }, 0);
    t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_escalation', payload: { leadId: 1 } }, 0);
    expect(t.due(1_000)).toEqual(['update_offer_card', 'update_escalation']);
    // And an update does not hold back a post behind it.
    const t2 = setup();
    t2.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_offer_card', payload: { offerId: 1 } }, 0);
    t2.outbox.enqueue({ leadId: 1, kind: 'card', method: 'post_offer_card', payload: { offerId: 2 } }, 0);
    expect(t2.due()).toEqual(['update_offer_card', 'post_offer_card']);
  });

  it('orders each webhook receiver on its own, apart from Slack', () => {
    const t = setup();
    t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'lead.claimed', payload: { url: 'https://crm.example/a', body: {} } }, 0);
    t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'lead.claimed', payload: { url: 'https://other.example/b', body: {} } }, 0);
    t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'lead.done', payload: { url: 'https://crm.example/a', body: {} } }, 0);
    t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'post_message', payload: { channel: 'C1', text: 'x' } }, 0);
    expect(t.due()).toEqual(['lead.claimed', 'lead.claimed', 'post_message']);
  });
});

describe('outbox: updates of a message', () => {
  it('waits for the post of its own message (it needs its ts), not for the rest of the lead', () => {
    const t = setup();
    const post = t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'post_offer_card', payload: { offerId: 7 } }, 0);
    t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_offer_card', payload: { offerId: 7 } }, 0);
    t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_offer_card', payload: { offerId: 6 } }, 0);
    expect(t.outbox.due(0, 100).map((row) => `${row.method} ${row.message_key}`)).toEqual(['post_offer_card offer:7', 'update_offer_card offer:6']);
    t.outbox.markDone({ id: post, changes: 0 }, { ts: '1.1' }, 0);
    expect(t.outbox.due(0, 100).map((row) => `${row.method} ${row.message_key}`)).toEqual(['update_offer_card offer:7', 'update_offer_card offer:6']);
  });

  it('keeps one pending update per message: later changes join it, and it is done only when no change came during its delivery', () => {
    const t = setup();
    const first = t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_offer_card', payload: { offerId: 7 } }, 0);
    const [delivering] = t.outbox.due(0, 100);
    expect(delivering).toMatchObject({ id: first, changes: 0 });
    // A change while it is delivered joins the same row…
    expect(t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_offer_card', payload: { offerId: 7 } }, 0)).toBe(first);
    // …so the delivery, which rendered the older state, does not end it: it goes again.
    expect(t.outbox.markDone(delivering as { id: number; changes: number }, null, 0)).toBe(false);
    const [again] = t.outbox.due(0, 100);
    expect(again).toMatchObject({ id: first, changes: 1 });
    expect(t.outbox.markDone(again as { id: number; changes: number }, null, 0)).toBe(true);
    expect(t.due()).toEqual([]);
    // Once done, the next change is a new row.
    expect(t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_offer_card', payload: { offerId: 7 } }, 0)).not.toBe(first);
  });

  it('hands out what a person waits for first, and a waiting change makes a paced update due now', () => {
    const t = setup();
    const background = t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_offer_card', payload: { offerId: 1 } }, 0);
    t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_offer_card', payload: { offerId: 2 } }, 0, PRIORITY.waiting);
    expect(t.outbox.due(0, 100).map((row) => row.message_key)).toEqual(['offer:2', 'offer:1']);
    expect(t.outbox.due(0, 100, PRIORITY.waiting).map((row) => row.message_key)).toEqual(['offer:2']);
    // Paced for a minute, then someone clicks that card: it goes now.
    t.outbox.defer(background, 60_000);
    expect(t.outbox.due(1000, 100).map((row) => row.message_key)).toEqual(['offer:2']);
    t.outbox.prioritize('offer:1', 1000);
    expect(t.outbox.due(1000, 100).map((row) => `${row.message_key} ${row.priority}`)).toEqual(['offer:2 0', 'offer:1 0']);
  });

  it('keeps the latest click\'s response_url per message, usable for 5 posts within 30 minutes (a minute short of it)', () => {
    const t = setup();
    t.outbox.rememberResponseUrl('offer:1', 'https://hooks.slack.example/a', 0);
    t.outbox.rememberResponseUrl('offer:1', 'https://hooks.slack.example/b', 10, 1);
    expect(t.outbox.usableResponseUrl('offer:1', 10)).toEqual({ url: 'https://hooks.slack.example/b', received_at: 10, uses: 1 });
    for (let i = 0; i < 4; i += 1) t.outbox.usedResponseUrl('offer:1', 'https://hooks.slack.example/b');
    expect(t.outbox.usableResponseUrl('offer:1', 10)).toBeNull();
    t.outbox.rememberResponseUrl('offer:2', 'https://hooks.slack.example/c', 0);
    expect(t.outbox.usableResponseUrl('offer:2', 28 * 60_000)).not.toBeNull();
    expect(t.outbox.usableResponseUrl('offer:2', 29 * 60_000)).toBeNull();
    t.outbox.spentResponseUrl('offer:2', 'https://hooks.slack.example/c');
    expect(t.outbox.usableResponseUrl('offer:2', 0)).toBeNull();
    expect(t.outbox.forgetExpiredResponseUrls(31 * 60_000)).toBe(2);
  });
});
