/**
 * Intake with several instances on PostgreSQL: a request retried on another instance (its first
 * instance died before answering, but after storing it) is answered as the replay it is, even when
 * the retry arrives while the first instance's transaction is still committing (the retry then
 * finds the lead by its e-mail, records the same key, loses that race and runs again as a replay).
 */
import { expect, it } from 'vitest';
import { connectPostgres } from '../../../src/adapters/postgres/connectPostgres.ts';
import { postgresStore } from '../../../src/adapters/postgres/postgresStore.ts';
import { createAcceptLead } from '../../../src/app/acceptLead.ts';
import { configFrom } from '../../support/botHarness.ts';
import { eventually } from '../../support/eventually.ts';
import { FakeClock } from '../../support/fakeClock.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';

const pg = usePostgres();
const config = configFrom('reps: [{ id: U0ALICE }]\nfallback: { rep: U0ALICE }\n');

describePostgres('intake on PostgreSQL, several instances', () => {
  it('answers a retry with the same Idempotency-Key as a replay when the first instance commits the lead while the retry waits for its keys', async () => {
    const db = await pg.database({ migrated: true });
    const clock = new FakeClock('2026-11-24T14:00:00Z');
    let recorded: () => void = () => undefined;
    const firstRecorded = new Promise<void>((resolve) => (recorded = resolve));
    let commit: () => void = () => undefined;
    const mayCommit = new Promise<void>((resolve) => (commit = resolve));
    // Instance a holds its transaction open once it has stored the lead and its key.
    const a = postgresStore(db.pool, {
      decorate: (repositories) => ({
        ...repositories,
        idempotency: {
          ...repositories.idempotency,
          async record(...args) {
            await repositories.idempotency.record(...args);
            recorded();
            await mayCommit;
          },
        },
      }),
    });
    const otherPool = await connectPostgres(db.url, { max: 2 });
    const b = postgresStore(otherPool);
    const request = { lead: { source: 'form' as const, email: 'jane@acme.com', company: {}, fields: {} }, requestHash: 'same-body', idempotencyKey: 'retry-1' };
    const first = createAcceptLead({ uow: a.uow, clock, config: () => config })(request);
    await firstRecorded;
    const retry = createAcceptLead({ uow: b.uow, clock, config: () => config })(request);
    // The retry found no replay yet and now waits for the keys a holds; then a commits.
    await eventually(async () => (await db.pool.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rowCount === 1);
    commit();
    const [stored, replayed] = await Promise.all([first, retry]);
    expect(stored).toMatchObject({ status: 'accepted' });
    expect(replayed).toEqual({ status: 'duplicate', leadId: (stored as { leadId: number }).leadId, ref: (stored as { ref: string }).ref, reason: 'idempotency_key' });
    // Not taken for the same person arriving again: no "seen again" on the lead.
    const { rows } = await db.pool.query<{ event: string }>('SELECT event FROM lead_history ORDER BY id');
    expect(rows.map((row) => row.event)).toEqual(['received']);
    await otherPool.end();
  });
});
