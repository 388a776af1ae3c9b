/**
 * The PostgreSQL outbox with several instances on one database: each instance has its own pool and
 * name, as two processes would. Claims never hand one row to two instances, a lead's lane keeps its
 * order across them, a lease that expires is taken over (and counted as an attempt that may have
 * been sent), a clean stop hands leases back, recording respects who holds a row now, and concurrent
 * changes of one message keep one pending update.
 */
import { expect, it } from 'vitest';
import { connectPostgres, type PgPool } from '../../../src/adapters/postgres/connectPostgres.ts';
import { postgresOutbox, postgresOutboxQueue } from '../../../src/adapters/postgres/postgresOutboxStore.ts';
import { PRIORITY, type Outbox, type OutboxRow } from '../../../src/app/ports.ts';
import type { Effect } from '../../../src/domain/effects.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';

const pg = usePostgres();

/** A database with `leads` leads, and two instances on it, each with a pool of its own. */
async function twoInstances(leads = 1) {
  const db = await pg.database({ migrated: true });
  for (let i = 0; i < leads; i += 1) {
    await db.pool.query(`INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)`);
  }
  const pools: PgPool[] = [await connectPostgres(db.url, { max: 4 }), await connectPostgres(db.url, { max: 4 })];
  const instance = (pool: PgPool, name: string) => ({
    name,
    pool,
    queue: postgresOutboxQueue(pool),
    claim: (now: number, limit = 100, leaseMs = 60_000) => postgresOutboxQueue(pool).claimDue({ now, limit, instance: name, leaseMs }),
    /** One transaction of this instance, with its outbox. */
    async tx<T>(work: (outbox: Outbox) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(postgresOutbox(client, { instance: name }));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    },
  });
  return {
    db,
    a: instance(pools[0] as PgPool, 'a'),
    b: instance(pools[1] as PgPool, 'b'),
    /** More instances, on the same two pools (an instance's name is what its leases are held by). */
    named: (name: string, on: 0 | 1) => instance(pools[on] as PgPool, name),
    async close() {
      await Promise.all(pools.map((pool) => pool.end()));
    },
  };
}

const note = (offerId: number, text: string): Effect => ({ type: 'thread_note', offerId, text });
const texts = (rows: OutboxRow[]) => rows.map((row) => (row.effect.type === 'thread_note' ? row.effect.text : row.effect.type));

describePostgres('PostgreSQL outbox, several instances', () => {
  it('never hands the same row to two instances claiming at once', async () => {
    const { a, b, named, close } = await twoInstances(40);
    // 40 leads, 5 rows each in their own lanes (a webhook receiver per row): 200 rows due at once.
    await a.tx(async (outbox) => {
      for (let lead = 1; lead <= 40; lead += 1) {
        for (let i = 0; i < 5; i += 1) await outbox.enqueue(lead, { type: 'webhook', event: 'lead.claimed', url: `https://crm.example/${i}`, body: { lead } }, 0);
      }
    });
    const seen = new Map<number, string>();
    const twice: number[] = [];
    const drain = async (instance: typeof a) => {
      for (;;) {
        const rows = await instance.claim(0, 7);
        if (rows.length === 0) return;
        for (const row of rows) {
          if (seen.has(row.id)) twice.push(row.id);
          seen.set(row.id, instance.name);
        }
        await instance.tx(async (outbox) => {
          for (const row of rows) expect(await outbox.markDone(row, null, 1)).toBe(true);
        });
      }
    };
    // Four instances (one drain each, as the worker runs), two on each pool.
    await Promise.all([drain(a), drain(b), drain(named('c', 0)), drain(named('d', 1))]);
    expect(twice).toEqual([]);
    expect(seen.size).toBe(200);
    // All took part (each claim is its own short transaction, so they interleave).
    expect(new Set(seen.values())).toEqual(new Set(['a', 'b', 'c', 'd']));
    expect(await a.queue.backlog(1)).toEqual({ pending: 0, oldestAgeSeconds: null });
    await close();
  });

  it("keeps a lead's lane in order across instances: a row waits for the earlier one, whoever holds it", async () => {
    const { a, b, close } = await twoInstances(1);
    await a.tx(async (outbox) => {
      for (const text of ['one', 'two', 'three']) await outbox.enqueue(1, note(1, text), 0);
    });
    const [first] = await a.claim(0);
    expect(texts([first as OutboxRow])).toEqual(['one']);
    // While a delivers the first, b gets nothing of the lead (and a nothing new).
    expect(await b.claim(0)).toEqual([]);
    expect((await a.claim(0)).map((row) => row.id)).toEqual([first?.id]);
    // Paced: the row stays pending, so the lane still waits for it, on both instances.
    await a.tx((outbox) => outbox.defer((first as OutboxRow).id, 5_000));
    expect(await b.claim(1_000)).toEqual([]);
    expect(texts(await b.claim(5_000))).toEqual(['one']);
    await b.tx((outbox) => outbox.markDone(first as OutboxRow, null, 5_000));
    expect(texts(await a.claim(5_000))).toEqual(['two']);
    expect(await b.claim(5_000)).toEqual([]);
    await close();
  });

  it('lets another instance take a row over once its lease expires, as an attempt that may have been sent', async () => {
    const { a, b, close } = await twoInstances(1);
    const id = await a.tx((outbox) => outbox.enqueue(1, { type: 'post_offer_card', offerId: 1 }, 0));
    expect((await a.claim(0, 10, 30_000)).map((row) => [row.id, row.attempts])).toEqual([[id, 0]]);
    expect(await b.claim(29_999)).toEqual([]);
    expect(await b.queue.nextDueAt()).toBe(30_000);
    // a died: at the end of its lease the row is b's, and b looks for the card before posting it again.
    const [taken] = await b.claim(30_000);
    expect(taken).toMatchObject({ id, attempts: 1 });
    expect(await a.claim(30_000)).toEqual([]);
    // Coming back late, a cannot reschedule or fail the row b holds…
    await a.tx(async (outbox) => {
      await outbox.markRetry(id, 'late', 31_000);
      await outbox.defer(id, 31_000);
      await outbox.markFailed(id, 'late', 31_000);
    });
    const { rows } = await b.pool.query('SELECT state, leased_by, attempts, next_attempt_at, last_error FROM outbox WHERE id = $1', [id]);
    expect(rows).toEqual([{ state: 'pending', leased_by: 'b', attempts: 1, next_attempt_at: 0, last_error: null }]);
    // …but a delivery it made is recorded, once: b's own record of it then changes nothing.
    expect(await a.tx((outbox) => outbox.markDone({ id, changes: 0 }, { ts: '1.1' }, 31_000))).toBe(true);
    expect(await b.tx((outbox) => outbox.markDone(taken as OutboxRow, { ts: '2.2' }, 31_000))).toBe(false);
    const after = await b.pool.query('SELECT state, leased_by, result FROM outbox WHERE id = $1', [id]);
    expect(after.rows).toEqual([{ state: 'done', leased_by: null, result: { ts: '1.1' } }]);
    await close();
  });

  it("takes a dead instance's rows over first, by when they were due, not behind the rows that came due before its lease ran out", async () => {
    const { a, b, close } = await twoInstances(30);
    // a holds lead 1's card (due at 0) when it dies; its lease runs out at 30 s.
    const dead = await a.tx((outbox) => outbox.enqueue(1, { type: 'post_offer_card', offerId: 1 }, 0));
    expect((await a.claim(0, 10, 30_000)).map((row) => row.id)).toEqual([dead]);
    // Meanwhile 29 other leads' cards came due (from 1 s to 29 s): a backlog b works through.
    await b.tx(async (outbox) => {
      for (let lead = 2; lead <= 30; lead += 1) await outbox.enqueue(lead, { type: 'post_offer_card', offerId: lead }, (lead - 1) * 1000);
    });
    const [first] = await b.claim(30_000, 5);
    expect(first).toMatchObject({ id: dead, attempts: 1 });
    await close();
  });

  it('does not count a webhook taken over from a stopped instance as a failing receiver', async () => {
    const { a, b, close } = await twoInstances(1);
    const hook = await a.tx((outbox) => outbox.enqueue(1, { type: 'webhook', event: 'lead.claimed', url: 'https://crm.example/a', body: {} }, 0));
    await a.claim(0, 10, 1_000);
    expect(await b.claim(1_000)).toMatchObject([{ id: hook, attempts: 1 }]);
    expect(await b.queue.failingWebhooks()).toEqual([]);
    await b.tx((outbox) => outbox.markRetry(hook, 'HTTP 503', 5_000));
    expect(await b.queue.failingWebhooks()).toEqual([{ url: 'https://crm.example/a', pending: 1, since: 0, lastError: 'HTTP 503' }]);
    await close();
  });

  it('renews the leases an instance still holds, and not those another took over', async () => {
    const { a, b, close } = await twoInstances(2);
    const [one, two] = await a.tx(async (outbox) => [await outbox.enqueue(1, note(1, 'x'), 0), await outbox.enqueue(2, note(2, 'y'), 0)]);
    await a.claim(0, 10, 10_000);
    // Only the second row is taken over: the first's lease was renewed in time.
    expect(await a.queue.renewLeases('a', 5_000)).toBe(0); // never shortened
    await a.pool.query('UPDATE outbox SET lease_until = 20000 WHERE id = $1', [one]);
    expect((await b.claim(10_000)).map((row) => row.id)).toEqual([two]);
    expect(await a.queue.renewLeases('a', 40_000)).toBe(1);
    const { rows } = await a.pool.query('SELECT id, leased_by, lease_until FROM outbox ORDER BY id');
    expect(rows).toEqual([
      { id: one, leased_by: 'a', lease_until: 40_000 },
      { id: two, leased_by: 'b', lease_until: 70_000 },
    ]);
    await close();
  });

  it('hands every lease back on a clean stop: the rows are due at once for the other instance, not counted as attempts', async () => {
    const { a, b, close } = await twoInstances(3);
    await a.tx(async (outbox) => {
      for (let lead = 1; lead <= 3; lead += 1) await outbox.enqueue(lead, note(lead, `n${lead}`), 0);
    });
    expect(await a.claim(0)).toHaveLength(3);
    expect(await b.claim(1)).toEqual([]);
    expect(await a.queue.releaseLeases('a')).toBe(3);
    const taken = await b.claim(1);
    expect(taken.map((row) => row.attempts)).toEqual([0, 0, 0]);
    expect(texts(taken)).toEqual(['n1', 'n2', 'n3']);
    expect(await a.queue.releaseLeases('a')).toBe(0);
    await close();
  });

  it('keeps one pending update per message under concurrent changes from both instances', async () => {
    const { a, b, close } = await twoInstances(1);
    const update: Effect = { type: 'update_offer_card', offerId: 7 };
    // 20 transactions on each instance, all at once, each changing the card.
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).tx((outbox) => outbox.enqueue(1, update, 0))));
    expect(new Set(ids).size).toBe(1);
    const { rows } = await a.pool.query(`SELECT id, changes FROM outbox WHERE state = 'pending'`);
    expect(rows).toEqual([{ id: ids[0], changes: 39 }]);
    // A change during the delivery keeps it pending, and the instance that delivered hands it back: due at once for either.
    const [delivering] = await a.claim(0);
    await b.tx((outbox) => outbox.enqueue(1, update, 0, PRIORITY.waiting));
    expect(await a.tx((outbox) => outbox.markDone(delivering as OutboxRow, null, 0))).toBe(false);
    expect(await b.claim(0)).toMatchObject([{ id: ids[0], changes: 40, priority: PRIORITY.waiting, attempts: 0 }]);
    await close();
  });

  it('gives up at once on a row no effect describes', async () => {
    const { a, close } = await twoInstances(1);
    await a.pool.query(`INSERT INTO outbox (lead_id, kind, method, lane, payload, next_attempt_at, created_at) VALUES (1, 'card', 'fly_to_moon', 'slack', '{}', 0, 0)`);
    await a.tx((outbox) => outbox.enqueue(1, note(1, 'after'), 0));
    expect(await a.claim(0)).toEqual([]);
    expect(texts(await a.claim(0))).toEqual(['after']);
    const { rows } = await a.pool.query(`SELECT state, last_error FROM outbox WHERE method = 'fly_to_moon'`);
    expect(rows).toEqual([{ state: 'failed', last_error: 'not an effect leadrelay knows: card fly_to_moon' }]);
    await close();
  });
});
