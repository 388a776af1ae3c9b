import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';
import { sqliteOutboxStore } from '../../../src/adapters/sqlite/sqliteOutboxStore.ts';

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
