import { expect, it } from 'vitest';
import { connectPostgres } from '../../../src/adapters/postgres/connectPostgres.ts';
import { loadPostgresMigrations, migratePostgres, MIGRATION_LOCK, openPostgres } from '../../../src/adapters/postgres/migratePostgres.ts';
import { migrationChecksum, MigrationError, type Migration } from '../../../src/adapters/migrationFiles.ts';
import { loadMigrations } from '../../../src/adapters/sqlite/migrate.ts';
import { eventually } from '../../support/eventually.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';

const pg = usePostgres();
const shipped = loadPostgresMigrations();
const extra = (version: number, name: string, sql: string): Migration => ({ version, name: `${String(version).padStart(4, '0')}_${name}.sql`, sql });
/** The versions shipped (numbered from 1, one after the other), and the number a newer leadrelay's next migration would have. */
const versions = shipped.map((m) => m.version);
const latest = versions.at(-1) ?? 0;
const next = latest + 1;

async function recorded(db: { pool: import('pg').Pool }) {
  const { rows } = await db.pool.query('SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version');
  return rows as { version: number; name: string; checksum: string; applied_at: number }[];
}

describePostgres('migratePostgres', () => {
  it('ships db/migrations/postgres numbered from 0001, apart from the SQLite ones', () => {
    expect(shipped[0]?.name).toBe('0001_init.sql');
    expect(versions).toEqual(shipped.map((_, i) => i + 1));
    // The SQLite runner reads db/migrations only, never the postgres/ folder inside it.
    expect(loadMigrations().some((m) => m.sql.includes('GENERATED ALWAYS AS IDENTITY'))).toBe(false);
  });

  it('applies every migration on an empty database, each recorded with its checksum as on SQLite, and then has nothing left to do', async () => {
    const db = await pg.database();
    const before = Date.now();
    expect(await migratePostgres(db.pool)).toEqual(versions);
    const rows = await recorded(db);
    expect(rows).toEqual(shipped.map((m) => ({ version: m.version, name: m.name, checksum: migrationChecksum(m.sql), applied_at: expect.any(Number) })));
    expect(rows[0]?.applied_at).toBeGreaterThanOrEqual(before);
    const { rows: tables } = await db.pool.query(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('leads', 'offers', 'lead_history', 'outbox')`);
    expect(tables[0]).toEqual({ n: 4 });
    expect(await migratePostgres(db.pool)).toEqual([]);
  });

  it('applies the ones a database lacks, in order', async () => {
    const db = await pg.database({ migrated: true });
    const later = [...shipped, extra(next, 'pacing_note', 'ALTER TABLE slack_pacing ADD COLUMN note TEXT;'), extra(next + 1, 'second', 'CREATE TABLE second_table (x INTEGER);')];
    expect(await migratePostgres(db.pool, later)).toEqual([next, next + 1]);
    expect((await recorded(db)).map((row) => row.name)).toEqual(later.map((m) => m.name));
  });

  it('lets two instances started together migrate once: the second waits for the first, then finds nothing to do', async () => {
    const db = await pg.database();
    // A migration that fails if it runs twice.
    const migrations = [...shipped, extra(next, 'once', 'CREATE TABLE ran_once (at TIMESTAMPTZ DEFAULT now()); INSERT INTO ran_once DEFAULT VALUES;')];
    const instanceA = await connectPostgres(db.url, { max: 2 });
    const instanceB = await connectPostgres(db.url, { max: 2 });
    const holder = await db.pool.connect();
    try {
      // Both start while the lock is taken, so both certainly find the database unmigrated at once.
      await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
      const runs = [migratePostgres(instanceA, migrations), migratePostgres(instanceB, migrations)];
      await eventually(async () => {
        const { rows } = await db.pool.query(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
        return (rows[0] as { n: number }).n === 2;
      });
      await holder.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
      const applied = await Promise.all(runs);
      expect(applied.map((applied) => applied.join(',')).sort()).toEqual(['', [...versions, next].join(',')]);
      expect((await recorded(db)).map((row) => row.version)).toEqual([...versions, next]);
      expect((await db.pool.query('SELECT count(*) AS n FROM ran_once')).rows[0]).toEqual({ n: 1 });
    } finally {
      holder.release();
      await instanceA.end();
      await instanceB.end();
    }
  });

  it('refuses a database migrated by a newer leadrelay (a migration it does not know)', async () => {
    const future = extra(next, 'future', 'CREATE TABLE future (x INTEGER);');
    const db = await pg.database({ migrated: [...shipped, future] });
    const error = await migratePostgres(db.pool, shipped).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toBe(
      `the database has migration ${future.name}, which this version of leadrelay does not know; it was written by a newer leadrelay: run that version, or restore a backup taken before the upgrade`,
    );
  });

  it('refuses a database whose applied migration was edited afterwards', async () => {
    const db = await pg.database({ migrated: true });
    const edited = shipped.map((m) => (m.version === 1 ? { ...m, sql: `${m.sql}\n-- a comment added after release\n` } : m));
    await expect(migratePostgres(db.pool, edited)).rejects.toThrow(
      'migration 0001_init.sql differs from the one applied to this database (0001_init.sql); released migrations must never be edited: add a new one instead',
    );
  });

  it('applies nothing of a migration that fails half-way, and says which', async () => {
    const db = await pg.database({ migrated: true });
    const broken = [...shipped, extra(next, 'broken', 'CREATE TABLE half (x INTEGER);\nINSERT INTO half VALUES (\'not a number\');')];
    await expect(migratePostgres(db.pool, broken)).rejects.toThrow(new RegExp(`^migration ${broken.at(-1)?.name.replace('.', '\\.')} failed, nothing of it was applied: invalid input syntax for type integer`));
    expect((await recorded(db)).map((row) => row.version)).toEqual(versions);
    expect((await db.pool.query(`SELECT to_regclass('half') AS t`)).rows[0]).toEqual({ t: null });
  });

  it('opens the bot\'s pool on a migrated database with openPostgres', async () => {
    const db = await pg.database();
    const pool = await openPostgres(db.url);
    try {
      expect((await pool.query('SELECT max(version) AS v FROM schema_migrations')).rows[0]).toEqual({ v: latest });
    } finally {
      await pool.end();
    }
  });
});
