/**
 * The unit of work on PostgreSQL, beyond the port contract (test/app/stores.test.ts): what a
 * networked, concurrent store adds — works run again when they lose a race the database reports,
 * a transaction a failed statement aborted is never taken for committed, reads see one moment.
 */
import { expect, it } from 'vitest';
import { postgresRepositories } from '../../../src/adapters/postgres/postgresStore.ts';
import { postgresUnitOfWork, TransactionAborted } from '../../../src/adapters/postgres/postgresUnitOfWork.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';

const pg = usePostgres();

const lead: Lead = { source: 'form', email: 'jane@acme.com', company: {}, fields: {} };

describePostgres('postgresUnitOfWork', () => {
  it('runs a work again when a concurrent insert of the same key beat it, and gives up after maxAttempts', async () => {
    const { pool } = await pg.database({ migrated: true });
    const uow = postgresUnitOfWork(pool, postgresRepositories, { maxAttempts: 3 });
    const leadId = await uow.run((tx) => tx.leads.insert({ lead, externalId: null, emailKey: null, linkedinKey: null, domain: null, receivedAt: 0 }));
    let tries = 0;
    // The first try's insert loses (the row is there already); the next one finds the row, as a replay does.
    const answer = await uow.run(async (tx) => {
      tries += 1;
      const seen = await tx.idempotency.find('k-1', 'leads');
      if (seen) return seen;
      await pool.query(`INSERT INTO idempotency_keys (key, scope, request_hash, lead_id, created_at) VALUES ('k-1', 'leads', 'h', $1, 0)`, [leadId]);
      await tx.idempotency.record('k-1', 'leads', 'h', leadId, 0);
      return null;
    });
    expect(answer).toEqual({ leadId, requestHash: 'h' });
    expect(tries).toBe(2);
    let always = 0;
    await expect(
      uow.run(async (tx) => {
        always += 1;
        await tx.idempotency.record('k-1', 'leads', 'h', leadId, 0);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(always).toBe(3);
  });

  it('rejects a work that went on after a failed statement: nothing of it is committed, its hooks never run', async () => {
    const { pool } = await pg.database({ migrated: true });
    const uow = postgresUnitOfWork(pool, postgresRepositories);
    let hooked = false;
    await expect(
      uow.run(async (tx) => {
        await tx.leads.insert({ lead, externalId: null, emailKey: null, linkedinKey: null, domain: null, receivedAt: 0 });
        await tx.leads.appendHistory(999, 0, 'system', 'no such lead').catch(() => undefined);
        tx.afterCommit(() => (hooked = true));
      }),
    ).rejects.toBeInstanceOf(TransactionAborted);
    expect(hooked).toBe(false);
    expect(await uow.read((tx) => tx.leads.countInState('received'))).toBe(0);
  });

  it('reads one moment of the database: a commit made during a read is not seen by its later queries', async () => {
    const { pool } = await pg.database({ migrated: true });
    const uow = postgresUnitOfWork(pool, postgresRepositories);
    const insert = () => uow.run((tx) => tx.leads.insert({ lead, externalId: null, emailKey: null, linkedinKey: null, domain: null, receivedAt: 0 }));
    await insert();
    const counts = await uow.read(async (tx) => {
      const before = await tx.leads.countInState('received');
      await insert();
      return [before, await tx.leads.countInState('received')];
    });
    expect(counts).toEqual([1, 1]);
    expect(await uow.read((tx) => tx.leads.countInState('received'))).toBe(2);
  });

  it('runs the batches of different turns side by side: one waiting on a lock does not hold back the next', async () => {
    const { pool } = await pg.database({ migrated: true });
    const uow = postgresUnitOfWork(pool, postgresRepositories);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked: () => void = () => undefined;
    const hasLock = new Promise<void>((resolve) => (locked = resolve));
    const holder = uow.run(async (tx) => {
      await tx.routing.lockForDecision();
      locked();
      await held;
    });
    await hasLock;
    const waiter = uow.run((tx) => tx.routing.lockForDecision());
    // The next turn's work is another batch, on another client.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await uow.run((tx) => tx.leads.insert({ lead, externalId: null, emailKey: null, linkedinKey: null, domain: null, receivedAt: 0 }))).toBe(1);
    expect(await uow.read((tx) => tx.leads.countInState('received'))).toBe(1);
    release();
    await Promise.all([holder, waiter]);
  });
});
