/**
 * POST /leads answers once the lead is stored; leads that arrive together are routed after the
 * answer (all but the first, which routing, idle, takes in the commit that stores it): a crash
 * between the two loses nothing. The process here "dies" the instant the accepting commit resolved
 * (its database closed before the routing's turn of the event loop); the bot started again on the
 * same file routes those leads at start, and their cards are posted once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createAcceptLead } from '../../src/app/acceptLead.ts';
import { createEventBus } from '../../src/app/events.ts';
import { createLeadRouter } from '../../src/app/routeLead.ts';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../../src/adapters/sqlite/sqliteStore.ts';
import type { Lead } from '../../src/domain/lead.ts';
import { configFrom, describeEachStore, startHarness, useHarnessCleanup } from '../support/botHarness.ts';
import { offerCardsPosted } from '../support/botUnderTest.ts';
import { eventually } from '../support/eventually.ts';
import { FakeClock } from '../support/fakeClock.ts';
import { ROUTING_YAML } from '../support/routingConfig.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('a lead answered 202, then a crash before its routing', () => {
  it('is routed when the bot starts again, each lead offered once (the one routed with its intake too), its card posted once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadrelay-route-after-answer-'));
    dirs.push(dir);
    const dbPath = join(dir, 'leadrelay.db');
    const config = configFrom(ROUTING_YAML);
    const clock = new FakeClock('2026-11-24T14:00:00Z');

    // The first life: three leads accepted together (one commit, the first routed in it), then the process is gone.
    const db = openDatabase(dbPath);
    const { uow } = sqliteStore(db);
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const events = createEventBus(() => undefined);
    const router = createLeadRouter({ uow, clock, settings: () => config, events, logger: silent });
    const accept = createAcceptLead({ uow, clock, config: () => config, router, events });
    const results = await Promise.all(
      ['ana@northwind.example', 'ben@contoso.example', 'cy@fabrikam.example'].map((email, i) => accept({ lead: { source: 'form', email, company: {}, fields: {}, score: 60 } as Lead, requestHash: String(i) })),
    );
    db.close(); // the crash: the answers are due, the routing has not had its turn
    expect(results.map((result) => result.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const ids = results.map((result) => (result.status === 'accepted' ? result.leadId : -1));
    const file = new Database(dbPath, { readonly: true, fileMustExist: true });
    const states = () => ids.map((id) => (file.prepare('SELECT state FROM leads WHERE id = ?').get(id) as { state: string }).state);
    expect(states()).toEqual(['offered', 'received', 'received']);
    file.close();

    // The next life, on the same file.
    const t = await startHarness({ dbPath, config, clock });
    await eventually(async () => (await Promise.all(ids.map((id) => t.lead(id)))).every((lead) => lead.state !== 'received'));
    await t.bot.router.idle();
    await t.bot.outbox.drain();
    for (const id of ids) {
      expect(await t.events(id)).toEqual(['received', 'routed', 'offered']);
      expect(await t.pendingRep(id)).toBeDefined();
    }
    const offers = await Promise.all(ids.map(async (id) => (await t.sql.all<{ id: number }>('SELECT id FROM offers WHERE lead_id = ?', id)).map((offer) => offer.id)));
    expect(offers.map((list) => list.length)).toEqual([1, 1, 1]);
    expect(offerCardsPosted(t.slack).map((card) => card.offerId).sort()).toEqual(offers.flat().sort());
  });
});

describeEachStore('a lead POSTed to the bot while routing is idle', (store) => {
  useHarnessCleanup();

  if (store === 'sqlite') {
    it('is offered in the commit its 202 waited for: one commit for the lead, its offer and its card', async () => {
      const t = await startHarness({ store, configYaml: ROUTING_YAML });
      const response = await t.sendLead({ source: 'form', email: 'ana@northwind.example', score: 60 });
      expect(response.status).toBe(202);
      const id = Number(((await response.json()) as { lead: string }).lead.slice(2));
      // Read at once, before any turn of the event loop could route it after the answer.
      expect((await t.lead(id)).state).toBe('offered');
      expect(await t.events(id)).toEqual(['received', 'routed', 'offered']);
      await t.bot.outbox.drain();
      expect(offerCardsPosted(t.slack)).toHaveLength(1);
    });
  } else {
    it('is answered without waiting for the decision lock, and offered after its answer (the intake\'s transaction stays short on PostgreSQL)', async () => {
      const t = await startHarness({ store, configYaml: ROUTING_YAML, logLevel: 'warn' });
      // Another instance deciding: it holds the routing decision's lock (what every decision takes) until released.
      const other = new pg.Client({ connectionString: (t.database as { url: string }).url });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query(`SELECT pg_advisory_xact_lock(hashtextextended('leadrelay.routing.decision', 0))`);
        const response = await t.sendLead({ source: 'form', email: 'ana@northwind.example', score: 60 });
        expect(response.status).toBe(202);
        const id = Number(((await response.json()) as { lead: string }).lead.slice(2));
        expect((await t.lead(id)).state).toBe('received');
        await other.query('COMMIT');
        await eventually(async () => (await t.lead(id)).state === 'offered');
        await t.bot.router.idle();
        await t.bot.outbox.drain();
        expect(await t.events(id)).toEqual(['received', 'routed', 'offered']);
        expect(offerCardsPosted(t.slack)).toHaveLength(1);
        // The intake never tried to route it (that would have waited for the lock until its statement timed out).
        expect(t.logs()).toEqual([]);
      } finally {
        await other.end();
      }
    });
  }
});
