/**
 * Wake-ups across instances: what one instance commits (outbox rows, offers) wakes the listeners of
 * every instance, once per burst, never for a rollback; a lost listening connection is opened again
 * and everyone is told once, since what was notified meanwhile is gone.
 */
import { afterEach, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/logger.ts';
import { listenForWakeups, type PostgresWakeups } from '../../../src/adapters/postgres/postgresWakeups.ts';
import { eventually } from '../../support/eventually.ts';
import { describePostgres, usePostgres, type TestDatabase } from '../../support/postgres.ts';

const pg = usePostgres();
const opened: PostgresWakeups[] = [];
afterEach(async () => {
  for (const wakeups of opened.splice(0)) await wakeups.close();
});

async function listening(db: TestDatabase, options: { retryMs?: number } = {}) {
  const wakeups = await listenForWakeups(db.url, { logger: createLogger('silent'), ...options });
  opened.push(wakeups);
  const told = { outbox: 0, deadline: 0 };
  wakeups.onOutbox(() => (told.outbox += 1));
  wakeups.onDeadline(() => (told.deadline += 1));
  return { wakeups, told };
}

const insertOutboxRow = `INSERT INTO outbox (kind, method, lane, payload, next_attempt_at, created_at) VALUES ('slack', 'chat.postMessage', 'slack', '{}', 0, 0)`;

describePostgres('listenForWakeups', () => {
  it('tells every instance that outbox rows were committed, once for a transaction of many rows', async () => {
    const db = await pg.database({ migrated: true });
    const first = await listening(db);
    const second = await listening(db);
    const client = await db.pool.connect();
    await client.query('BEGIN');
    for (let i = 0; i < 5; i += 1) await client.query(insertOutboxRow);
    await client.query('COMMIT');
    client.release();
    await eventually(() => first.told.outbox === 1 && second.told.outbox === 1);
    // A marker committed after it arrives after it: nothing more was told for the five rows.
    await db.pool.query(`INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)`);
    await db.pool.query(`INSERT INTO offers (lead_id, rep_id, attempt, offered_at, deadline_at) VALUES (1, 'U0ALICE', 1, 0, 1)`);
    await eventually(() => first.told.deadline === 1 && second.told.deadline === 1);
    expect(first.told).toEqual({ outbox: 1, deadline: 1 });
    expect(second.told).toEqual({ outbox: 1, deadline: 1 });
  });

  it('tells nothing for a transaction that rolled back', async () => {
    const db = await pg.database({ migrated: true });
    const { told } = await listening(db);
    const client = await db.pool.connect();
    await client.query('BEGIN');
    await client.query(insertOutboxRow);
    await client.query('ROLLBACK');
    client.release();
    // The next commit's notification comes after the rolled-back one would have.
    await db.pool.query(`INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)`);
    await db.pool.query(`INSERT INTO offers (lead_id, rep_id, attempt, offered_at, deadline_at) VALUES (1, 'U0ALICE', 1, 0, 1)`);
    await eventually(() => told.deadline === 1);
    expect(told.outbox).toBe(0);
  });

  it('opens the connection again when the server ends it, tells everyone once, and listens on', async () => {
    const db = await pg.database({ migrated: true });
    const { wakeups, told } = await listening(db, { retryMs: 10 });
    const { rows } = await db.pool.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'leadrelay-wakeups' AND datname = current_database()`,
    );
    expect(rows).toEqual([{ ended: true }]);
    await eventually(() => wakeups.connections === 2);
    await wakeups.listening();
    expect(told).toEqual({ outbox: 1, deadline: 1 });
    await db.pool.query(insertOutboxRow);
    await eventually(() => told.outbox === 2);
  });

  it('fails to start when nothing answers', async () => {
    await expect(listenForWakeups('postgres://postgres@127.0.0.1:9/none', { logger: createLogger('silent') })).rejects.toThrow();
  });
});
