/**
 * The PostgreSQL repositories on their own, each on a transaction's client: what is particular to
 * PostgreSQL (JSON kept as written, BIGINT times as numbers, locks that hold another transaction
 * back or let it skip). What every store must do is the port contract's (test/app/stores.test.ts).
 */
import { expect, it } from 'vitest';
import type { PgPool, PgQueryable } from '../../../src/adapters/postgres/connectPostgres.ts';
import { postgresLeadStore } from '../../../src/adapters/postgres/postgresLeadStore.ts';
import { postgresOfferStore } from '../../../src/adapters/postgres/postgresOfferStore.ts';
import { postgresRoutingStore } from '../../../src/adapters/postgres/postgresRoutingStore.ts';
import { postgresSlackDeliveryLog } from '../../../src/adapters/postgres/postgresSlackDeliveryLog.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';

const pg = usePostgres();

/** A transaction on a client of its own, held open until `end` is called (commit) — to see what it holds back. */
async function openTransaction(pool: PgPool) {
  const client = await pool.connect();
  await client.query('BEGIN');
  return {
    q: client as PgQueryable,
    async end(commit = true) {
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      client.release();
    },
  };
}

async function inTransaction<T>(pool: PgPool, work: (q: PgQueryable) => Promise<T>): Promise<T> {
  const tx = await openTransaction(pool);
  try {
    const value = await work(tx.q);
    await tx.end(true);
    return value;
  } catch (error) {
    await tx.end(false);
    throw error;
  }
}

const lead: Lead = { source: 'form', email: 'jane@acme.com', company: { name: 'Acme' }, fields: { zeta: 1, alpha: 'x', mid: true } };
const newLead = (q: PgQueryable, more: { emailKey?: string; externalId?: string } = {}) =>
  postgresLeadStore(q).insert({ lead, externalId: more.externalId ?? null, emailKey: more.emailKey ?? 'jane@acme.com', linkedinKey: null, domain: 'acme.com', receivedAt: 1_764_000_000_000 });

/** Whether `pending` is held back by a lock (rather than done or failed). */
async function isWaiting(pool: PgPool, pending: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void pending.then(
    () => (settled = true),
    () => (settled = true),
  );
  // The waiting session shows in pg_stat_activity as waiting for a lock: wait for that, not for time.
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    if ((rows[0]?.n ?? 0) > 0) return !settled;
    if (settled) return false;
  }
}

describePostgres('the PostgreSQL repositories', () => {
  it('reads a lead back as written: its JSON with keys in their order, times as numbers', async () => {
    const { pool } = await pg.database({ migrated: true });
    const id = await inTransaction(pool, (q) => newLead(q));
    await inTransaction(pool, (q) => postgresLeadStore(q).appendHistory(id, 5, 'api', 'received', { source: 'form', warnings: [{ path: 'x', message: 'y' }], b: 1, a: 2 }));
    const stored = await inTransaction(pool, (q) => postgresLeadStore(q).get(id));
    expect(stored?.lead).toEqual(lead);
    expect(Object.keys(stored?.lead.fields ?? {})).toEqual(['zeta', 'alpha', 'mid']);
    expect(stored).toMatchObject({ id, state: 'received', version: 0, receivedAt: 1_764_000_000_000, updatedAt: 1_764_000_000_000, enrichment: null });
    expect(await inTransaction(pool, (q) => postgresLeadStore(q).history(id))).toEqual([{ at: 5, actor: 'api', event: 'received', detail: { source: 'form', warnings: [{ path: 'x', message: 'y' }], b: 1, a: 2 } }]);
    expect(Object.keys((await inTransaction(pool, (q) => postgresLeadStore(q).history(id)))[0]?.detail ?? {})).toEqual(['source', 'warnings', 'b', 'a']);
    expect(await inTransaction(pool, (q) => postgresLeadStore(q).trace(id))).toBeNull();
  });

  it('numbers a lead\'s offers 1, 2, … and keeps at most one pending', async () => {
    const { pool } = await pg.database({ migrated: true });
    const offer = { repId: 'U0ALICE', offeredAt: 0, deadlineAt: 100, remindAt: null, why: 'w' };
    const [first, refused, next] = await inTransaction(pool, async (q) => {
      const leadId = await newLead(q);
      const offers = postgresOfferStore(q);
      const created = await offers.create({ ...offer, leadId });
      const second = await q.query('SAVEPOINT s').then(() => offers.create({ ...offer, leadId }).catch((error: { code?: string }) => error.code));
      await q.query('ROLLBACK TO SAVEPOINT s');
      await offers.resolve({ id: created.id, version: 0, state: 'passed', reason: null, now: 1 });
      return [created, second, await offers.create({ ...offer, leadId, repId: 'U0BOB' })];
    });
    expect(first.attempt).toBe(1);
    expect(refused).toBe('23505');
    expect(next).toMatchObject({ attempt: 2 });
  });

  it('holds a second transaction on the same dedupe key until the first ends, and not one on another key', async () => {
    const { pool } = await pg.database({ migrated: true });
    const first = await openTransaction(pool);
    await postgresLeadStore(first.q).lockDedupeKeys({ externalId: 'crm-1', emailKey: 'jane@acme.com', linkedinKey: null });
    await inTransaction(pool, (q) => postgresLeadStore(q).lockDedupeKeys({ externalId: 'crm-2', emailKey: 'joe@acme.com', linkedinKey: 'linkedin.com/in/joe' }));
    const second = inTransaction(pool, (q) => postgresLeadStore(q).lockDedupeKeys({ externalId: null, emailKey: 'jane@acme.com', linkedinKey: null }));
    expect(await isWaiting(pool, second)).toBe(true);
    await first.end();
    await second;
  });

  it('makes routing decisions take turns', async () => {
    const { pool } = await pg.database({ migrated: true });
    const first = await openTransaction(pool);
    await postgresRoutingStore(first.q).lockForDecision();
    const second = inTransaction(pool, (q) => postgresRoutingStore(q).lockForDecision());
    expect(await isWaiting(pool, second)).toBe(true);
    await first.end();
    await second;
  });

  it('takes each due deadline in one transaction only: another skips what one holds', async () => {
    const { pool } = await pg.database({ migrated: true });
    const ids = await inTransaction(pool, async (q) => {
      const made: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const leadId = await newLead(q, { emailKey: `l${i}@acme.com` });
        made.push((await postgresOfferStore(q).create({ leadId, repId: 'U0ALICE', offeredAt: 0, deadlineAt: 100 + i, remindAt: 50 + i, why: 'w' })).id);
      }
      return made;
    });
    const first = await openTransaction(pool);
    expect((await postgresOfferStore(first.q).takeDueDeadlines(1000, 2)).map((o) => o.id)).toEqual(ids.slice(0, 2));
    const second = await openTransaction(pool);
    expect((await postgresOfferStore(second.q).takeDueDeadlines(1000, 10)).map((o) => o.id)).toEqual(ids.slice(2));
    // Its own, it takes again; the first's, it skips.
    expect((await postgresOfferStore(second.q).takeDueReminders(1000, 10)).map((o) => o.id)).toEqual(ids.slice(2));
    await first.end();
    await second.end();
    expect((await inTransaction(pool, (q) => postgresOfferStore(q).takeDueReminders(1000, 10))).map((o) => o.id)).toEqual(ids);
  });

  it('changes an offer only at its version, once, whichever transaction commits first', async () => {
    const { pool } = await pg.database({ migrated: true });
    const offerId = await inTransaction(pool, async (q) => (await postgresOfferStore(q).create({ leadId: await newLead(q), repId: 'U0ALICE', offeredAt: 0, deadlineAt: 100, remindAt: null, why: 'w' })).id);
    const claim = await openTransaction(pool);
    expect(await postgresOfferStore(claim.q).resolve({ id: offerId, version: 0, state: 'claimed', reason: null, now: 1 })).toBe(true);
    const pass = inTransaction(pool, (q) => postgresOfferStore(q).resolve({ id: offerId, version: 0, state: 'passed', reason: null, now: 2 }));
    expect(await isWaiting(pool, pass)).toBe(true);
    await claim.end();
    expect(await pass).toBe(false);
    expect(await inTransaction(pool, (q) => postgresOfferStore(q).get(offerId))).toMatchObject({ state: 'claimed', version: 1, resolvedAt: 1 });
  });

  it('remembers a Slack delivery once, also when a retry reaches another connection meanwhile', async () => {
    const { pool } = await pg.database({ migrated: true });
    const first = await openTransaction(pool);
    expect(await postgresSlackDeliveryLog(first.q).remember('Ev1', 10)).toBe(true);
    const retry = inTransaction(pool, (q) => postgresSlackDeliveryLog(q).remember('Ev1', 11));
    expect(await isWaiting(pool, retry)).toBe(true);
    await first.end();
    expect(await retry).toBe(false);
    await inTransaction(pool, (q) => postgresSlackDeliveryLog(q).forgetBefore(11));
    expect(await inTransaction(pool, (q) => postgresSlackDeliveryLog(q).remember('Ev1', 12))).toBe(true);
  });
});
