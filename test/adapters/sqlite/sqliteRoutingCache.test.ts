import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Tx } from '../../../src/app/ports.ts';
import { openDatabase, type Db } from '../../../src/adapters/sqlite/openDatabase.ts';
import { sqliteRoutingStore } from '../../../src/adapters/sqlite/sqliteRoutingStore.ts';
import { sqliteStore } from '../../../src/adapters/sqlite/sqliteStore.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import type { Settings } from '../../../src/domain/settings.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const DAY = 24 * 60 * 60_000;
/** Noon UTC on some day. */
const NOON = 20_000 * DAY + DAY / 2;
const REPS = ['U0ALICE', 'U0BOB', 'U0CAROL'];
const settings = { reps: REPS.map((id) => ({ id, weight: 1, timezone: 'UTC' })) } as unknown as Settings;
const lead = { source: 'form', email: 'jane@acme.com', company: {}, fields: {} } as unknown as Lead;

function setup(path = ':memory:') {
  const db = openDatabase(path);
  const store = sqliteStore(db);
  /** The same database read without any cache: what the cached reads must equal. */
  const uncached = sqliteRoutingStore(db);
  return { db, store, uncached };
}

/** What routing reads about every rep and the team, through `routing`. */
const stateOf = async (routing: Tx['routing'], now: number) => ({
  reps: Object.fromEntries(await routing.loadReps(settings, REPS, now)),
  roundRobin: [...(await routing.loadRoundRobin(['sdr']))].map(([id, state]) => ({ id, level: state.level, passes: Object.fromEntries(state.passes) })),
});

/** The cached reads in a transaction of the unit of work equal the uncached reads of the same state. */
async function expectCoherent(t: ReturnType<typeof setup>, now = NOON) {
  const cached = await t.store.uow.run((tx) => stateOf(tx.routing, now));
  expect(cached).toEqual(await stateOf(t.uncached, now));
}

/** An offer to `repId` as routing makes it: the offer, the round-robin pass, the last offer time. */
async function offer(tx: Tx, repId: string, now: number, pass: number, level = 0) {
  const leadId = await tx.leads.insert({ lead, externalId: null, emailKey: null, linkedinKey: null, domain: null, receivedAt: now });
  await tx.offers.create({ leadId, repId, offeredAt: now, deadlineAt: now + 60_000, remindAt: null, why: 'test' });
  await tx.routing.saveRoundRobin({ teamId: 'sdr', repId, pass, level });
  await tx.routing.recordOfferMade(repId, now);
  return leadId;
}

/** Counts the executions of statements whose text contains `part` while `work` runs. */
async function countStatements<T>(part: string, work: () => Promise<T>): Promise<{ value: T; count: number }> {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  const originals = { all: prototype.all, get: prototype.get } as Record<'all' | 'get', (...args: unknown[]) => unknown>;
  let count = 0;
  for (const method of ['all', 'get'] as const) {
    prototype[method] = function (this: { source: string }, ...args: unknown[]) {
      if (this.source.includes(part)) count += 1;
      return originals[method].apply(this, args);
    };
  }
  try {
    return { value: await work(), count };
  } finally {
    prototype.all = originals.all;
    prototype.get = originals.get;
  }
}

describe('the SQLite routing cache', () => {
  it("serves a later transaction's routing reads from memory, kept what the database says as offers are made", async () => {
    const t = setup();
    await expectCoherent(t);
    await t.store.uow.run((tx) => offer(tx, 'U0ALICE', NOON, 1));
    await t.store.uow.run((tx) => offer(tx, 'U0BOB', NOON + 1, 1));
    await expectCoherent(t, NOON + 2);
    const reads = await countStatements('rep_state', () => t.store.uow.run((tx) => stateOf(tx.routing, NOON + 2)));
    const passes = await countStatements('round_robin_passes', () => t.store.uow.run((tx) => stateOf(tx.routing, NOON + 2)));
    expect({ repReads: reads.count, passReads: passes.count }).toEqual({ repReads: 0, passReads: 0 });
    expect(reads.value.reps.U0ALICE).toMatchObject({ offersToday: 1, lastOfferAt: NOON });
    expect(reads.value.roundRobin).toEqual([{ id: 'sdr', level: 0, passes: { U0ALICE: 1, U0BOB: 1 } }]);
    t.db.close();
  });

  it('forgets what a transaction that rolled back wrote or read', async () => {
    const t = setup();
    await expect(
      t.store.uow.run(async (tx) => {
        // Read after the offer (what is read includes it), then rolled back.
        await offer(tx, 'U0CAROL', NOON, 5, 3);
        await stateOf(tx.routing, NOON);
        throw new Error('the work fails after its offer');
      }),
    ).rejects.toThrow('the work fails');
    await expectCoherent(t);
    const after = await t.store.uow.run((tx) => stateOf(tx.routing, NOON));
    expect(after.reps.U0CAROL).toMatchObject({ offersToday: 0, lastOfferAt: null });
    expect(after.roundRobin).toEqual([{ id: 'sdr', level: 0, passes: {} }]);
    t.db.close();
  });

  it('forgets what a savepoint that rolled back wrote, and the transaction goes on reading what the database says', async () => {
    const t = setup();
    await expectCoherent(t);
    await t.store.uow.run(async (tx) => {
      await offer(tx, 'U0ALICE', NOON, 1);
      await expect(
        tx.savepoint(async (inner) => {
          await offer(inner, 'U0BOB', NOON, 1);
          expect((await inner.routing.loadReps(settings, ['U0BOB'], NOON)).get('U0BOB')).toMatchObject({ offersToday: 1 });
          throw new Error('routing failed');
        }),
      ).rejects.toThrow('routing failed');
      // Inside the transaction: Alice's offer stands, Bob's is gone.
      expect(await stateOf(tx.routing, NOON)).toEqual(await stateOf(t.uncached, NOON));
    });
    await expectCoherent(t);
    const after = await t.store.uow.run((tx) => stateOf(tx.routing, NOON));
    expect(after.reps.U0ALICE).toMatchObject({ offersToday: 1 });
    expect(after.reps.U0BOB).toMatchObject({ offersToday: 0 });
    t.db.close();
  });

  it("reads a rep's open leads again when a lead's owner or state changes, and their availability when they go away or come back", async () => {
    const t = setup();
    await expectCoherent(t);
    const leadId = await t.store.uow.run((tx) => offer(tx, 'U0ALICE', NOON, 1));
    await expectCoherent(t);
    await t.store.uow.run((tx) => tx.leads.setState({ id: leadId, version: 0, state: 'claimed', ownerId: 'U0ALICE', now: NOON }));
    await expectCoherent(t);
    await t.store.uow.run((tx) => tx.leads.setState({ id: leadId, version: 1, state: 'claimed', ownerId: 'U0BOB', now: NOON }));
    await expectCoherent(t);
    const moved = await t.store.uow.run((tx) => stateOf(tx.routing, NOON));
    expect([moved.reps.U0ALICE?.openLeads, moved.reps.U0BOB?.openLeads]).toEqual([0, 1]);
    await t.store.uow.run((tx) => tx.leads.escalate({ id: leadId, version: 2, reason: 'max_offers', now: NOON, nextPingAt: NOON + 1 }));
    await expectCoherent(t);
    await t.store.uow.run((tx) => tx.availability.setAway('U0CAROL', NOON + 1000, NOON, 'U0CAROL'));
    await expectCoherent(t);
    await t.store.uow.run((tx) => tx.availability.setBack('U0CAROL', NOON, 'U0CAROL'));
    await expectCoherent(t);
    t.db.close();
  });

  it("counts a rep's offers from their local midnight again once the day has turned", async () => {
    const t = setup();
    await t.store.uow.run((tx) => offer(tx, 'U0ALICE', NOON, 1));
    await expectCoherent(t, NOON + 1);
    await expectCoherent(t, NOON + DAY);
    const nextDay = await t.store.uow.run((tx) => stateOf(tx.routing, NOON + DAY));
    expect(nextDay.reps.U0ALICE).toMatchObject({ offersToday: 0, lastOfferAt: NOON });
    t.db.close();
  });

  it('reads everything again after another connection wrote to the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadrelay-cache-'));
    dirs.push(dir);
    const t = setup(join(dir, 'cache.db'));
    await t.store.uow.run((tx) => offer(tx, 'U0ALICE', NOON, 1));
    await expectCoherent(t);
    const other: Db = new Database(join(dir, 'cache.db'));
    other.prepare('UPDATE rep_state SET away_until = ? WHERE rep_id = ?').run(NOON + 5000, 'U0ALICE');
    other.prepare('UPDATE round_robin_passes SET pass = 7').run();
    other.close();
    await expectCoherent(t);
    const after = await t.store.uow.run((tx) => stateOf(tx.routing, NOON));
    expect(after.reps.U0ALICE?.awayUntil).toBe(NOON + 5000);
    expect(after.roundRobin[0]?.passes).toEqual({ U0ALICE: 7 });
    t.db.close();
  });

  it('is not used outside a transaction of the unit of work: reads go to the database, and a write there empties it', async () => {
    const t = setup();
    await t.store.uow.run((tx) => stateOf(tx.routing, NOON));
    // The repositories used outside the unit of work (uow.read hands them over as they are), in a
    // transaction of a script's own that rolls back: nothing of it may stay in the cache.
    await t.store.uow.read(async (read) => {
      t.db.exec('BEGIN');
      await (read as unknown as Tx).routing.recordOfferMade('U0BOB', NOON + 3);
      expect((await read.routing.loadReps(settings, ['U0BOB'], NOON)).get('U0BOB')).toMatchObject({ lastOfferAt: NOON + 3 });
      t.db.exec('ROLLBACK');
    });
    await expectCoherent(t);
    t.db.close();
  });
});
