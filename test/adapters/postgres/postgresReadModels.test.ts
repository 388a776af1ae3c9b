/**
 * The read models on PostgreSQL answer as SQLite's do (test/adapters/sqlite/sqliteReadModels.test.ts
 * says what those answers mean): the same leads and offers written to both databases, every query
 * asked of both, for several scopes, limits and windows.
 */
import { expect, it } from 'vitest';
import { postgresReadModels } from '../../../src/adapters/postgres/postgresReadModels.ts';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';
import { sqliteReadModels } from '../../../src/adapters/sqlite/sqliteReadModels.ts';
import type { BoardScope, ReadModels } from '../../../src/app/readModels.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';

const pg = usePostgres();

const NOW = Date.UTC(2026, 2, 4, 12, 0, 0);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const LEAD_COLUMNS = ['id', 'source', 'domain', 'payload', 'state', 'owner_id', 'team_id', 'version', 'received_at', 'updated_at', 'claimed_at', 'escalated_at', 'escalation_reason', 'escalation_pings'] as const;
const OFFER_COLUMNS = ['id', 'lead_id', 'rep_id', 'attempt', 'state', 'version', 'offered_at', 'deadline_at', 'resolved_at', 'why'] as const;
type Row<C extends readonly string[]> = Record<C[number], string | number | null>;

/** A deterministic mix of leads and offers: every state, team, rep and window the queries tell apart, with ties in time. */
function dataset() {
  const reps = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE'];
  const teams = ['senior', 'junior', null];
  const states = ['received', 'offered', 'claimed', 'done', 'queued', 'escalated', 'in_sequence'];
  const offerStates = ['pending', 'claimed', 'passed', 'expired', 'withdrawn'];
  const leads: Row<typeof LEAD_COLUMNS>[] = [];
  const offers: Row<typeof OFFER_COLUMNS>[] = [];
  for (let i = 1; i <= 120; i += 1) {
    const state = states[i % states.length] as string;
    const updatedAt = NOW - ((i * 7) % 40) * DAY - (i % 3) * MINUTE;
    leads.push({
      id: i,
      source: 'form',
      domain: i % 5 === 0 ? null : `acme${i % 4}.com`,
      // Keys in an order of their own: the stored text is read back as written.
      payload: JSON.stringify({ source: 'form', name: `Lead ${i}`, email: `l${i}@acme.com`, company: { name: i % 2 ? 'Acme' : undefined }, fields: { z: i, a: 'x' } }),
      state,
      owner_id: state === 'claimed' || state === 'done' ? (reps[i % reps.length] as string) : null,
      team_id: teams[i % teams.length] ?? null,
      version: i % 4,
      received_at: updatedAt - DAY,
      updated_at: updatedAt,
      claimed_at: state === 'claimed' ? (i % 6 === 0 ? updatedAt : updatedAt - (i % 2) * MINUTE) : null,
      escalated_at: state === 'escalated' || (state === 'queued' && i % 2 === 0) ? (i % 3 === 0 ? null : updatedAt + MINUTE) : null,
      escalation_reason: state === 'escalated' ? (i % 2 ? 'max_offers' : 'queued') : null,
      escalation_pings: state === 'escalated' ? i % 4 : 0,
    });
  }
  let offerId = 0;
  for (const lead of leads) {
    const count = 1 + ((lead.id as number) % 3);
    for (let attempt = 1; attempt <= count; attempt += 1) {
      offerId += 1;
      const state = offerStates[(offerId * 3) % offerStates.length] as string;
      const offeredAt = NOW - ((offerId * 11) % 35) * DAY + (offerId % 2) * MINUTE;
      offers.push({
        id: offerId,
        lead_id: lead.id,
        rep_id: reps[(offerId + attempt) % reps.length] as string,
        attempt,
        state,
        version: offerId % 3,
        offered_at: offeredAt,
        deadline_at: offeredAt + ((offerId % 4) + 1) * 5 * MINUTE,
        resolved_at: state === 'pending' ? null : offeredAt + ((offerId * 37) % 90) * MINUTE,
        why: offerId % 3 === 0 ? null : `why ${offerId}`,
      });
    }
  }
  return { leads, offers };
}

describePostgres('postgresReadModels', () => {
  it('answers every query as the SQLite read models do, on the same rows', async () => {
    const { leads, offers } = dataset();
    const sqlite = openDatabase(':memory:');
    const db = await pg.database({ migrated: true });
    const insertSqlite = (table: string, columns: readonly string[], rows: Record<string, unknown>[]) => {
      const statement = sqlite.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
      for (const row of rows) statement.run(row);
    };
    const insertPostgres = async (table: string, columns: readonly string[], rows: Record<string, unknown>[]) => {
      for (const row of rows) {
        await db.pool.query(`INSERT INTO ${table} (${columns.join(', ')}) OVERRIDING SYSTEM VALUE VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, columns.map((c) => row[c]));
      }
    };
    insertSqlite('leads', LEAD_COLUMNS, leads);
    insertSqlite('offers', OFFER_COLUMNS, offers);
    await insertPostgres('leads', LEAD_COLUMNS, leads);
    await insertPostgres('offers', OFFER_COLUMNS, offers);

    const stores: [string, ReadModels][] = [
      ['sqlite', sqliteReadModels(sqlite)],
      ['postgres', postgresReadModels(db.pool)],
    ];
    const scopes: BoardScope[] = [
      { all: true, teamIds: ['senior', 'junior'] },
      { all: false, teamIds: ['junior'] },
      { all: false, teamIds: [] },
    ];
    const windows = [
      { since7: NOW - 7 * DAY, since30: NOW - 30 * DAY, now: NOW },
      { since7: NOW - 20 * DAY, since30: NOW - 25 * DAY, now: NOW - 10 * DAY },
    ];
    const ask = async (models: ReadModels) => ({
      pending: await Promise.all(['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE', 'U0NOBODY'].map((rep) => models.pendingOffersOfRep(rep))),
      open: await Promise.all(['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE'].map((rep) => models.openLeadsOfRep(rep))),
      queued: await Promise.all(scopes.flatMap((scope) => [0, 3, 200].map((limit) => models.queuedLeads(scope, limit)))),
      escalated: await Promise.all(scopes.flatMap((scope) => [0, 3, 200].map((limit) => models.escalatedLeads(scope, limit)))),
      pendingCounts: [...(await models.pendingOfferCounts())].sort(([a], [b]) => a.localeCompare(b)),
      outcomes: await Promise.all(windows.map(async (window) => [...(await models.offerOutcomes(window))].sort(([a], [b]) => a.localeCompare(b)))),
      // The quickest claim first; the order among equal times is no store's promise.
      claimTimes: await Promise.all(
        windows.map(async (window) => {
          const times = await models.claimTimes(window);
          expect(times.map((t) => t.ms)).toEqual(times.map((t) => t.ms).sort((a, b) => a - b));
          return times.sort((a, b) => a.ms - b.ms || a.offeredAt - b.offeredAt || a.repId.localeCompare(b.repId));
        }),
      ),
    });
    const [sqliteAnswers, postgresAnswers] = [await ask((stores[0] as [string, ReadModels])[1]), await ask((stores[1] as [string, ReadModels])[1])];
    expect(postgresAnswers).toEqual(sqliteAnswers);
    // The data exercises what it should: non-empty lists, pages shorter than their totals.
    expect(sqliteAnswers.pending.flat().length).toBeGreaterThan(5);
    expect(sqliteAnswers.open.flat().length).toBeGreaterThan(5);
    expect(sqliteAnswers.queued[1]).toMatchObject({ items: { length: 3 } });
    expect(sqliteAnswers.queued[1]?.total).toBeGreaterThan(3);
    expect(sqliteAnswers.escalated[0]?.total).toBeGreaterThan(3);
    expect(sqliteAnswers.claimTimes[0]?.length).toBeGreaterThan(5);
    // Lead payloads come back with their keys in the order written.
    expect(Object.keys(postgresAnswers.pending.flat()[0]?.lead.fields ?? {})).toEqual(['z', 'a']);
    sqlite.close();
  });
});
