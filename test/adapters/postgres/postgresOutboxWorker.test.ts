/**
 * The outbox worker with several instances on PostgreSQL: the rows an instance is delivering stay
 * its own past their first lease (it renews them), so another instance never takes a delivery that
 * is still going on; once it is recorded, nothing is left leased.
 */
import { expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/logger.ts';
import { createOutboxWorker, type DeliveryOutcome } from '../../../src/adapters/outbox/outboxWorker.ts';
import { connectPostgres } from '../../../src/adapters/postgres/connectPostgres.ts';
import { postgresBackend } from '../../../src/adapters/postgres/postgresBackend.ts';
import { postgresOutboxQueue } from '../../../src/adapters/postgres/postgresOutboxStore.ts';
import { eventually } from '../../support/eventually.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';

const pg = usePostgres();
const LEASE_MS = 300;

describePostgres('the outbox worker on PostgreSQL', () => {
  it('renews the lease of a row while it delivers it, so another instance does not take it over; nothing stays leased once it is recorded', async () => {
    const db = await pg.database({ migrated: true });
    await db.pool.query(`INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)`);
    const logger = createLogger('silent');
    const backend = await postgresBackend(await connectPostgres(db.url, { max: 4 }), { url: db.url, instance: 'a', logger, leaseMs: LEASE_MS });
    const clock = { now: () => Date.now() };
    let finish: (outcome: DeliveryOutcome) => void = () => undefined;
    const delivering: number[] = [];
    const worker = createOutboxWorker({
      store: backend.store,
      clock,
      logger,
      instance: 'a',
      leases: backend.outboxLeases,
      deliver: (row) => {
        delivering.push(row.id);
        return new Promise<DeliveryOutcome>((resolve) => (finish = resolve));
      },
    });
    const id = await backend.store.uow.run((tx) => tx.outbox.enqueue(1, { type: 'webhook', event: 'lead.claimed', url: 'https://crm.example/hook', body: {} }, clock.now()));
    worker.start();
    await eventually(() => delivering.length === 1);
    const leaseOf = async () => (await db.pool.query<{ leased_by: string | null; lease_until: number | null }>('SELECT leased_by, lease_until FROM outbox WHERE id = $1', [id])).rows[0];
    const first = (await leaseOf())?.lease_until as number;
    // Well past the first lease, the row is still a's, renewed, and another instance gets nothing.
    await eventually(() => Date.now() > first + 2 * LEASE_MS, 5000);
    expect(await leaseOf()).toMatchObject({ leased_by: 'a', lease_until: expect.any(Number) });
    expect(((await leaseOf())?.lease_until as number) > first).toBe(true);
    expect(await postgresOutboxQueue(db.pool).claimDue({ now: Date.now(), limit: 10, instance: 'b', leaseMs: LEASE_MS })).toEqual([]);
    finish({ ok: true });
    await eventually(async () => (await db.pool.query(`SELECT state FROM outbox WHERE id = $1`, [id])).rows[0]?.state === 'done');
    await worker.stop();
    expect(await leaseOf()).toEqual({ leased_by: null, lease_until: null });
    expect(delivering).toEqual([id]);
    await backend.close();
  });
});
