/**
 * db/migrations/postgres/0001_init.sql: the constraints the code relies on hold on PostgreSQL as on
 * SQLite, and the two schemas stay one (same tables, columns, nullability, unique indexes), so that
 * a migration added to one store without the other fails here.
 */
import type { Pool } from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';
import { describePostgres, usePostgres, type TestDatabase } from '../../support/postgres.ts';

const pg = usePostgres();

/** Tables only one store has, and why. */
const SQLITE_ONLY_TABLES = new Set([
  'instance_lease', // one writer on SQLite; PostgreSQL instances all serve and lease outbox rows instead
  'sqlite_sequence', // SQLite's AUTOINCREMENT bookkeeping; identity sequences on PostgreSQL
]);
const POSTGRES_ONLY_TABLES = new Set(['slack_pacing', 'slack_pacing_slots', 'slack_channel_aliases', 'app_homes']); // pacing and App Homes shared by instances
/** Columns PostgreSQL has that SQLite may lack: the per-row leases, and the lane (SQLite gets it with the typed effects). */
const POSTGRES_ONLY_COLUMNS: Record<string, string[]> = { outbox: ['leased_by', 'lease_until', 'lane'] };
/** SQLite indexes PostgreSQL serves with another one. */
const REPLACED_INDEXES: Record<string, string> = {
  outbox_pending: 'outbox_due (the due rows, leases included)',
  outbox_lead: 'outbox_lane (lead, lane, id)',
};
/** How SQLite's column types are stored on PostgreSQL. */
const TYPE_OF: Record<string, string[]> = { INTEGER: ['bigint', 'integer'], REAL: ['double precision'], TEXT: ['text', 'json'] };

let db: TestDatabase;
let pool: Pool;
beforeAll(async () => {
  if (!pg.serverUrl) return;
  db = await pg.database({ migrated: true });
  pool = db.pool;
});

const code = (promise: Promise<unknown>) => promise.then(
  () => 'ok',
  (error: { code?: string; constraint?: string; message: string }) => `${error.code}${error.constraint ? ` ${error.constraint}` : ''}: ${error.message}`,
);

async function newLead(values: { external_id?: string | null; source?: string; state?: string } = {}): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO leads (external_id, source, state, payload, received_at, updated_at) VALUES ($1, $2, $3, $4, 1, 1) RETURNING id`,
    [values.external_id ?? null, values.source ?? 'form', values.state ?? 'received', JSON.stringify({ source: values.source ?? 'form' })],
  );
  return rows[0]?.id as number;
}

const newOffer = (leadId: number, state = 'pending') =>
  pool.query(`INSERT INTO offers (lead_id, rep_id, attempt, state, offered_at, deadline_at) VALUES ($1, 'U0ALICE', 1, $2, 1, 2)`, [leadId, state]);

describePostgres('the PostgreSQL schema', () => {
  it('allows one pending offer per lead, besides any number of ended ones', async () => {
    const lead = await newLead();
    expect(await code(newOffer(lead, 'expired'))).toBe('ok');
    expect(await code(newOffer(lead, 'expired'))).toBe('ok');
    expect(await code(newOffer(lead))).toBe('ok');
    expect(await code(newOffer(lead))).toMatch(/^23505 offers_one_pending_per_lead: duplicate key/);
    expect(await code(newOffer(await newLead()))).toBe('ok');
  });

  it('keeps external_id unique, while leads without one are many', async () => {
    expect(await code(newLead({ external_id: 'hs-9912' }))).toBe('ok');
    expect(await code(newLead({ external_id: 'hs-9912' }))).toMatch(/^23505 leads_external_id: duplicate key/);
    expect(await code(newLead())).toBe('ok');
    expect(await code(newLead())).toBe('ok');
  });

  it('keeps lead_history append-only: no update, delete or truncate', async () => {
    const lead = await newLead();
    await pool.query(`INSERT INTO lead_history (lead_id, at, actor, event, detail) VALUES ($1, 1, 'api', 'received', '{"via":"form"}')`, [lead]);
    expect(await code(pool.query(`UPDATE lead_history SET event = 'claimed' WHERE lead_id = $1`, [lead]))).toBe('23001: lead_history is append-only');
    expect(await code(pool.query('DELETE FROM lead_history WHERE lead_id = $1', [lead]))).toBe('23001: lead_history is append-only');
    expect(await code(pool.query('TRUNCATE lead_history'))).toBe('23001: lead_history is append-only');
    expect((await pool.query('SELECT event FROM lead_history WHERE lead_id = $1', [lead])).rows).toEqual([{ event: 'received' }]);
  });

  it('checks the same values as SQLite', async () => {
    expect(await code(newLead({ source: 'fax' }))).toMatch(/^23514 leads_source_check/);
    expect(await code(newLead({ state: 'lost' }))).toMatch(/^23514 leads_state_check/);
    expect(await code(newOffer(await newLead(), 'maybe'))).toMatch(/^23514 offers_state_check/);
    expect(await code(pool.query(`UPDATE leads SET escalation_reason = 'bored' WHERE id = $1`, [await newLead()]))).toMatch(/^23514 leads_escalation_reason_check/);
    expect(await code(pool.query(`INSERT INTO outbox (kind, method, lane, payload, state, next_attempt_at, created_at) VALUES ('card', 'x', 'slack', '{}', 'lost', 1, 1)`))).toMatch(/^23514 outbox_state_check/);
    expect(await code(pool.query(`INSERT INTO outbox (kind, method, payload, next_attempt_at, created_at) VALUES ('card', 'x', '{}', 1, 1)`))).toMatch(/^23502: null value in column "lane"/);
    expect(await code(pool.query(`INSERT INTO outbox (kind, method, lane, payload, next_attempt_at, created_at, leased_by) VALUES ('card', 'x', 'slack', '{}', 1, 1, 'host/1/2/abc')`))).toMatch(/^23514 outbox_check/);
    expect(await code(pool.query(`INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{not json', 1, 1)`))).toMatch(/^22P02: invalid input syntax for type json/);
  });

  it('numbers leads by a sequence the code cannot override: a reference is never handed out twice', async () => {
    const first = await newLead();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 1, 1)`);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await newLead()).toBe(first + 2);
    expect(await code(pool.query(`INSERT INTO leads (id, source, payload, received_at, updated_at) VALUES (1000, 'form', '{}', 1, 1)`))).toMatch(/^428C9: cannot insert a non-DEFAULT value into column "id"/);
  });

  it('keeps a JSON document as the code wrote it: its keys in their order, as SQLite does', async () => {
    const lead = await newLead();
    await pool.query(`INSERT INTO lead_history (lead_id, at, actor, event, detail) VALUES ($1, 1, 'U0MGR', 'reassigned', $2)`, [lead, '{"to":"U0BOB","from":"U0ALICE","reason":"vacation"}']);
    const { rows } = await pool.query<{ detail: object }>('SELECT detail FROM lead_history WHERE lead_id = $1', [lead]);
    expect(Object.keys(rows[0]?.detail ?? {})).toEqual(['to', 'from', 'reason']);
  });

  it('answers "pending outbox rows due now, not leased or with an expired lease" from outbox_due, and per-lead lane order from outbox_lane', async () => {
    const own = await pg.database({ migrated: true });
    await own.pool.query(`INSERT INTO leads (source, payload, received_at, updated_at) SELECT 'form', '{}', g, g FROM generate_series(1, 500) g`);
    await own.pool.query(`INSERT INTO outbox (lead_id, kind, method, lane, payload, state, next_attempt_at, created_at)
      SELECT g % 500 + 1, 'card', 'post_offer_card', 'slack', '{}', CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'done' END, g, g FROM generate_series(1, 20000) g`);
    await own.pool.query('ANALYZE outbox');
    const { rows } = await own.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) SELECT id FROM outbox o
      WHERE state = 'pending' AND greatest(next_attempt_at, coalesce(lease_until, 0)) <= 1000
        AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending' AND p.lead_id = o.lead_id AND p.lane = o.lane AND p.id < o.id)
      ORDER BY priority, greatest(next_attempt_at, coalesce(lease_until, 0)), id LIMIT 50 FOR UPDATE SKIP LOCKED`);
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index Scan using outbox_due on outbox o\s+Index Cond: \(GREATEST\(next_attempt_at, COALESCE\(lease_until, '0'::bigint\)\) <= 1000\)/);
    expect(plan).toMatch(/Index (Only )?Scan using outbox_lane on outbox p\s+Index Cond: \(\(lead_id = o\.lead_id\) AND \(lane = o\.lane\) AND \(id < o\.id\)\)/);
  });

  it('has every table, column and unique index of the SQLite schema, with the same nullability and a matching type', async () => {
    const sqlite = openDatabase(':memory:');
    try {
      const sqliteTables = (sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
      const { rows: pgColumns } = await pool.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
        `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
      );
      const pgTables = new Set(pgColumns.map((c) => c.table_name));
      const problems: string[] = [];
      for (const table of sqliteTables) {
        if (SQLITE_ONLY_TABLES.has(table)) continue;
        if (!pgTables.has(table)) {
          problems.push(`table ${table} is missing`);
          continue;
        }
        const columns = sqlite.prepare(`PRAGMA table_info(${table})`).all() as { name: string; type: string; notnull: number; pk: number }[];
        const pgOf = new Map(pgColumns.filter((c) => c.table_name === table).map((c) => [c.column_name, c]));
        for (const column of columns) {
          const twin = pgOf.get(column.name);
          if (!twin) {
            problems.push(`${table}.${column.name} is missing`);
            continue;
          }
          if (!(TYPE_OF[column.type] ?? []).includes(twin.data_type)) problems.push(`${table}.${column.name}: ${column.type} on SQLite, ${twin.data_type} on PostgreSQL`);
          const sqliteNotNull = column.notnull === 1 || column.pk > 0;
          if (sqliteNotNull !== (twin.is_nullable === 'NO')) problems.push(`${table}.${column.name}: ${sqliteNotNull ? 'NOT NULL' : 'nullable'} on SQLite only`);
          pgOf.delete(column.name);
        }
        for (const extra of pgOf.keys()) if (!(POSTGRES_ONLY_COLUMNS[table] ?? []).includes(extra)) problems.push(`${table}.${extra} is on PostgreSQL only`);
      }
      for (const table of pgTables) if (!sqliteTables.includes(table) && !POSTGRES_ONLY_TABLES.has(table)) problems.push(`table ${table} is on PostgreSQL only`);

      const sqliteIndexes = sqlite.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`).all() as { name: string; sql: string }[];
      const { rows: pgIndexes } = await pool.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`);
      const pgIndexOf = new Map(pgIndexes.map((i) => [i.indexname, i.indexdef]));
      for (const index of sqliteIndexes) {
        if (REPLACED_INDEXES[index.name] !== undefined) continue;
        const twin = pgIndexOf.get(index.name);
        if (twin === undefined) problems.push(`index ${index.name} is missing`);
        else if (/^CREATE UNIQUE/.test(index.sql) !== /^CREATE UNIQUE/.test(twin)) problems.push(`index ${index.name}: unique on one store only`);
      }
      expect(problems, 'add the change to db/migrations/postgres/ too (or list the difference here, with why)').toEqual([]);
      expect(pgIndexOf.has('outbox_due') && pgIndexOf.has('outbox_lane')).toBe(true);
    } finally {
      sqlite.close();
    }
  });
});
