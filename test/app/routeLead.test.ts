import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.ts';
import { createAcceptLead } from '../../src/app/acceptLead.ts';
import { createLeadEnricher } from '../../src/app/enrichLead.ts';
import { createLeadRouter } from '../../src/app/routeLead.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteLeadStore } from '../../src/adapters/sqlite/sqliteLeadStore.ts';
import { sqliteOfferStore } from '../../src/adapters/sqlite/sqliteOfferStore.ts';
import { sqliteOutboxStore } from '../../src/adapters/sqlite/sqliteOutboxStore.ts';
import { AWAY_INDEFINITELY, sqliteRoutingStore } from '../../src/adapters/sqlite/sqliteRoutingStore.ts';
import type { Lead } from '../../src/domain/lead.ts';
import { FakeClock } from '../support/fakeClock.ts';
import { ROUTING_YAML, routingConfig } from '../support/routingConfig.ts';

const MINUTE = 60_000;

function setup(config: Config = routingConfig(), enricher?: ReturnType<typeof createLeadEnricher>) {
  const db = openDatabase(':memory:');
  const clock = new FakeClock('2026-11-24T14:00:00Z'); // a Tuesday, 14:00 UTC
  const leads = sqliteLeadStore(db);
  const outbox = sqliteOutboxStore(db);
  const routing = sqliteRoutingStore(db);
  const accept = createAcceptLead({ db, leads, clock, config: () => config });
  const router = createLeadRouter({ db, leads, offers: sqliteOfferStore(db), routing, outbox, clock, config: () => config, logger: createLogger('silent'), ...(enricher ? { enricher } : {}) });
  const add = async (lead: Partial<Lead>) => {
    const result = await accept({ lead: { source: 'form', company: {}, fields: {}, ...lead } as Lead, requestHash: String(Math.random()) });
    if (result.status !== 'accepted') throw new Error(result.status);
    return result.leadId;
  };
  const lead = (id: number) => db.prepare('SELECT state, team_id, sequence_id, routed_by, version, trace FROM leads WHERE id = ?').get(id) as Record<string, unknown>;
  const events = (id: number) => (db.prepare('SELECT event FROM lead_history WHERE lead_id = ? ORDER BY id').all(id) as { event: string }[]).map((r) => r.event);
  const setAway = (repId: string, until: number | null) =>
    db.prepare('INSERT INTO rep_state (rep_id, away_until, updated_at) VALUES (?, ?, 0) ON CONFLICT (rep_id) DO UPDATE SET away_until = excluded.away_until').run(repId, until);
  return { db, clock, leads, outbox, router, add, lead, events, setAway };
}

describe('routeLead', () => {
  it('offers a lead to a rep with the SLA deadline and reminder, and records decision, trace and history in one go', async () => {
    const t = setup();
    const id = await t.add({ email: 'jane@beta.io', score: 90 });
    expect(t.router.routeLead(id)).toMatchObject({ kind: 'rep', repId: 'U0ALICE' });
    expect(t.lead(id)).toMatchObject({ state: 'offered', team_id: 'senior', routed_by: 'Hot lead', version: 1 });
    expect(JSON.parse(t.lead(id).trace as string)).toMatchObject({ fired: { by: 'rule', name: 'Hot lead' }, outcome: { kind: 'rep', repId: 'U0ALICE' } });
    const now = t.clock.now();
    expect(t.db.prepare('SELECT rep_id, attempt, state, offered_at, deadline_at, remind_at FROM offers WHERE lead_id = ?').get(id)).toEqual({
      rep_id: 'U0ALICE', attempt: 1, state: 'pending', offered_at: now, deadline_at: now + 5 * MINUTE, remind_at: now + 2.5 * MINUTE,
    });
    expect(t.events(id)).toEqual(['received', 'routed', 'offered']);
    expect(t.db.prepare("SELECT last_offer_at FROM rep_state WHERE rep_id = 'U0ALICE'").get()).toEqual({ last_offer_at: now });
  });

  it('routes a lead only once', async () => {
    const t = setup();
    const id = await t.add({ email: 'jane@beta.io', score: 90 });
    t.router.routeLead(id);
    expect(t.router.routeLead(id)).toEqual({ kind: 'skipped', reason: 'not_routable' });
    expect(t.db.prepare('SELECT count(*) AS n FROM offers').get()).toEqual({ n: 1 });
  });

  it('stores the round-robin state so the team takes turns by weight', async () => {
    const t = setup();
    const got: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const id = await t.add({ email: `lead${i}@beta.io`, score: 50 });
      const outcome = t.router.routeLead(id);
      if (outcome.kind === 'rep') got.push(outcome.repId);
    }
    expect(got.filter((r) => r === 'U0BOB')).toHaveLength(4);
    expect(got.filter((r) => r === 'U0CAROL')).toHaveLength(2);
  });

  it('sends the account owner set at runtime rather than the config one', async () => {
    const t = setup();
    t.db.prepare("INSERT INTO account_owners (domain, owner_id, set_by, set_at) VALUES ('acme.com', 'U0BOB', 'U0MGR', 0)").run();
    const id = await t.add({ email: 'jane@acme.com', score: 50 });
    expect(t.router.routeLead(id)).toMatchObject({ kind: 'rep', repId: 'U0BOB' });
    expect(t.lead(id).routed_by).toBe('Named account');
  });

  it('sends a cold lead to its sequence: the webhook and the channel note go to the outbox', async () => {
    const t = setup();
    const id = await t.add({ email: 'jane@beta.io', name: 'Jane', score: 10 });
    expect(t.router.routeLead(id)).toEqual({
      kind: 'sequence',
      sequenceId: 'nurture',
      event: { event: 'lead.sequenced', leadId: id, at: t.clock.now(), receivedAt: t.clock.now(), by: 'system', rule: 'Cold lead', sequence: 'nurture' },
    });
    expect(t.lead(id)).toMatchObject({ state: 'in_sequence', sequence_id: 'nurture', routed_by: 'Cold lead' });
    const rows = t.outbox.due(t.clock.now(), 10);
    // Separate lanes: the channel note does not wait for the sequence's webhook (which may be down).
    expect(rows.map((r) => r.kind)).toEqual(['webhook', 'card']);
    expect(rows[0]).toMatchObject({ kind: 'webhook', method: 'sequence', payload: { url: 'http://127.0.0.1:9/nurture', body: { event: 'lead.sequenced', sequence: 'nurture', rule: 'Cold lead', lead: { ref: `L-${id}`, email: 'jane@beta.io' } } } });
    expect(t.db.prepare("SELECT method, payload FROM outbox WHERE kind = 'card'").get()).toMatchObject({ method: 'post_message', payload: expect.stringContaining('C0NURTURE') });
    expect(t.events(id)).toEqual(['received', 'sent_to_sequence']);
  });

  it('queues a lead when nobody is eligible anywhere, and offers it the moment someone returns', async () => {
    const t = setup();
    const back = t.clock.now() + 30 * MINUTE;
    for (const rep of ['U0ALICE', 'U0BOB', 'U0CAROL']) t.setAway(rep, back);
    t.setAway('U0DAN', AWAY_INDEFINITELY);
    const id = await t.add({ email: 'jane@beta.io', score: 50 });
    expect(t.router.routeLead(id)).toEqual({
      kind: 'queued',
      teamId: 'sdr',
      event: { event: 'lead.queued', leadId: id, at: t.clock.now(), receivedAt: t.clock.now(), by: 'system', team: 'sdr', reason: 'nobody_eligible' },
    });
    expect(t.lead(id)).toMatchObject({ state: 'queued', team_id: 'sdr' });
    expect(t.router.nextQueueCheckAt()).toBe(back);
    expect(t.router.queueCheckDue()).toBe(false);

    t.clock.advance(29 * MINUTE);
    expect(t.router.rerouteQueued()).toBe(0);
    expect(t.lead(id).state).toBe('queued');
    expect(t.events(id)).toEqual(['received', 'queued']);

    t.clock.advance(MINUTE);
    expect(t.router.queueCheckDue()).toBe(true);
    expect(t.router.rerouteQueued()).toBe(1);
    expect(t.lead(id)).toMatchObject({ state: 'offered', team_id: 'sdr' });
    expect(t.events(id)).toEqual(['received', 'queued', 'routed', 'offered']);
    expect(t.router.nextQueueCheckAt()).toBeNull();
  });

  it('offers a queued lead when a rep at capacity frees a slot', async () => {
    const t = setup(routingConfig(ROUTING_YAML.replace('fallback: { team: sdr }', 'fallback: { rep: U0ALICE }')));
    const first = await t.add({ email: 'one@beta.io', score: 90 });
    t.router.routeLead(first);
    t.db.prepare("UPDATE leads SET state = 'claimed', owner_id = 'U0ALICE' WHERE id = ?").run(first);
    const second = await t.add({ email: 'two@beta.io', score: 90 });
    expect(t.router.routeLead(second)).toMatchObject({ kind: 'queued' });
    expect(t.router.nextQueueCheckAt()).toBeNull(); // time alone will not free a slot
    t.db.prepare("UPDATE leads SET state = 'done' WHERE id = ?").run(first);
    expect(t.router.rerouteQueued()).toBe(1);
    expect(t.lead(second).state).toBe('offered');
  });

  it('routes leads that were accepted but not routed before a restart', async () => {
    const t = setup();
    const ids = [await t.add({ email: 'a@beta.io', score: 50 }), await t.add({ email: 'b@beta.io', score: 10 })];
    expect(await t.router.routeReceived()).toBe(2);
    expect(ids.map((id) => t.lead(id).state)).toEqual(['offered', 'in_sequence']);
  });

  it('group-commits leads routed at the same time', async () => {
    const t = setup();
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => t.add({ email: `g${i}@beta.io`, score: 50 })));
    const outcomes = await Promise.all(ids.map((id) => t.router.routeSoon(id)));
    expect(outcomes.map((o) => o.kind)).toEqual(['rep', 'rep', 'rep', 'rep', 'rep']);
    expect(t.db.prepare('SELECT count(*) AS n FROM offers').get()).toEqual({ n: 5 });
  });
});

describe('routeLead with enrichment', () => {
  /** A company table that knows beta.io. */
  const enricher = createLeadEnricher({ companies: () => new Map([['beta.io', { name: 'Beta', country: 'DE' }]]), webhook: null });

  it('enriches a new lead before deciding, and stores the enriched lead with the decision', async () => {
    const t = setup(routingConfig(), enricher);
    const id = await t.add({ email: 'jane@beta.io', score: 50 });
    expect(await t.router.routeSoon(id)).toMatchObject({ kind: 'rep' });
    expect(t.events(id)).toEqual(['received', 'enriched', 'routed', 'offered']);
    const stored = t.leads.getLead(id)!;
    expect(stored.lead.company).toEqual({ domain: 'beta.io', name: 'Beta', country: 'DE' });
    expect(stored.enrichment).toEqual(JSON.parse(t.lead(id).trace as string).enrichment);
    expect(stored.version).toBe(1);
  });

  it('does not store an enrichment computed for another version of the lead, and routes the lead as stored', async () => {
    const t = setup(routingConfig(), enricher);
    const id = await t.add({ email: 'jane@beta.io', score: 50 });
    const stale = { lead: { source: 'form' as const, email: 'jane@beta.io', company: { name: 'Stale' }, fields: {} }, domain: 'beta.io', trace: { filled: [] }, version: 7 };
    expect(t.router.routeLead(id, stale)).toMatchObject({ kind: 'rep' });
    expect(t.leads.getLead(id)).toMatchObject({ enrichment: null, lead: { company: { domain: 'beta.io' } } });
    expect(t.events(id)).not.toContain('enriched');
  });

  it('routes without enrichment when none is configured: no history entry, no trace section', async () => {
    const t = setup(routingConfig(), createLeadEnricher({ companies: null, webhook: null }));
    const id = await t.add({ email: 'jane@beta.io', score: 50 });
    await t.router.routeSoon(id);
    expect(t.events(id)).toEqual(['received', 'routed', 'offered']);
    expect(JSON.parse(t.lead(id).trace as string)).not.toHaveProperty('enrichment');
  });
});
