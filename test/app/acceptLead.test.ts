import { describe, expect, it } from 'vitest';
import { createAcceptLead } from '../../src/app/acceptLead.ts';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteLeadStore } from '../../src/adapters/sqlite/sqliteLeadStore.ts';
import type { Lead } from '../../src/domain/lead.ts';
import { createLeadRouter } from '../../src/app/routeLead.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { sqliteOfferStore } from '../../src/adapters/sqlite/sqliteOfferStore.ts';
import { sqliteOutboxStore } from '../../src/adapters/sqlite/sqliteOutboxStore.ts';
import { sqliteRoutingStore } from '../../src/adapters/sqlite/sqliteRoutingStore.ts';
import { FakeClock } from '../support/fakeClock.ts';
import { routingConfig } from '../support/routingConfig.ts';

const config = { dedupe: { window: 1000 }, reps: [], teams: [] };
const lead = (email: string): Lead => ({ source: 'form', email, company: {}, fields: {} });

describe('acceptLead', () => {
  it('rolls back only the lead that fails inside a group commit', async () => {
    const db = openDatabase(':memory:');
    const leads = sqliteLeadStore(db);
    const failing = {
      ...leads,
      insertLead: (row: Parameters<typeof leads.insertLead>[0]) => {
        if (row.lead.email === 'boom@acme.com') {
          leads.insertLead(row); // written, then rolled back with its savepoint
          throw new Error('disk says no');
        }
        return leads.insertLead(row);
      },
    };
    const accept = createAcceptLead({ db, leads: failing, clock: new FakeClock(), config: () => config });
    const results = await Promise.allSettled([accept({ lead: lead('a@acme.com'), requestHash: 'a' }), accept({ lead: lead('boom@acme.com'), requestHash: 'b' }), accept({ lead: lead('c@beta.io'), requestHash: 'c' })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT email_key FROM leads ORDER BY id').all()).toEqual([{ email_key: 'a@acme.com' }, { email_key: 'c@beta.io' }]);
    expect(db.prepare("SELECT count(*) AS n FROM lead_history WHERE event = 'received'").get()).toEqual({ n: 2 });
  });
});

describe('acceptLead with a router', () => {
  /** `failOffers`: making an offer writes it, then throws (a bug in the middle of routing). */
  const setup = (failOffers = false) => {
    const config = routingConfig();
    const db = openDatabase(':memory:');
    const clock = new FakeClock('2026-11-24T14:00:00Z');
    const leads = sqliteLeadStore(db);
    const realOffers = sqliteOfferStore(db);
    const offers = failOffers
      ? {
          ...realOffers,
          create: (offer: Parameters<typeof realOffers.create>[0]): never => {
            realOffers.create(offer);
            throw new Error('routing bug');
          },
        }
      : realOffers;
    const router = createLeadRouter({ db, leads, offers, routing: sqliteRoutingStore(db), outbox: sqliteOutboxStore(db), clock, config: () => config, logger: createLogger('silent') });
    const accept = createAcceptLead({ db, leads, clock, config: () => config, router });
    const state = (id: number) => (db.prepare('SELECT state FROM leads WHERE id = ?').get(id) as { state: string }).state;
    return { db, accept, state };
  };

  it('stores and routes a new lead in the same commit: when the answer is due, the offer and its card are stored too', async () => {
    const t = setup();
    const result = await t.accept({ lead: { ...lead('jane@beta.io'), score: 90 }, requestHash: 'a' });
    expect(result).toMatchObject({ status: 'accepted', routing: { ok: true, outcome: { kind: 'rep', repId: 'U0ALICE' } } });
    if (result.status !== 'accepted') throw new Error('not accepted');
    expect(t.state(result.leadId)).toBe('offered');
    expect(t.db.prepare(`SELECT method FROM outbox WHERE lead_id = ?`).all(result.leadId)).toEqual([{ method: 'post_offer_card' }]);
  });

  it('keeps a lead whose routing fails, received, and says why', async () => {
    const t = setup(true);
    const result = await t.accept({ lead: lead('joe@beta.io'), requestHash: 'b' });
    expect(result).toMatchObject({ status: 'accepted', routing: { ok: false, error: new Error('routing bug') } });
    if (result.status !== 'accepted') throw new Error('not accepted');
    expect(t.state(result.leadId)).toBe('received');
    expect(t.db.prepare(`SELECT event FROM lead_history WHERE lead_id = ?`).all(result.leadId)).toEqual([{ event: 'received' }]);
    expect(t.db.prepare('SELECT count(*) AS n FROM offers').get()).toEqual({ n: 0 });
  });
});
